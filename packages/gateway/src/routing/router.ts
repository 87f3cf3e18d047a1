import type { GatewayConfig, UpstreamConfig } from '../config/resolve.js';
import { type Refusal, refusal } from '../refusal.js';
import { servesModel, specificity } from '../vocabulary/models.js';
import { admit, type CircuitState, CLOSED, isAvailable, onFailure, onSuccess } from './circuit.js';

/** What the router needs to know per upstream while it runs. */
interface UpstreamState {
  readonly config: UpstreamConfig;
  active: number;
  circuit: CircuitState;
}

/** A choice of upstreams for one session, best first. */
export interface RoutePlan {
  /** The model as the client named it. */
  readonly model: string;
  /** The model name sent upstream, after alias rewriting. */
  readonly upstreamModel: string;
  /** Upstreams to try in order, at most `routing.maxAttempts`. */
  readonly candidates: readonly UpstreamConfig[];
}

/** A snapshot of one upstream, for health checks and the admin API. */
export interface UpstreamStatus {
  readonly name: string;
  readonly active: number;
  readonly circuit: CircuitState['kind'];
}

/**
 * Chooses upstreams for a model: aliases are rewritten; among the upstreams that serve the model
 * most specifically (exact name, then the longest `prefix*` pattern, then `*`), those that have
 * a free slot and a closed (or cooled-down) circuit are ranked by active sessions divided by
 * weight, and the best few become the plan. The caller reports each attempt's outcome so that
 * circuits open and close.
 *
 * @example
 * const plan = router.plan('gpt-realtime');
 * if ('status' in plan) return refuse(plan);
 * for (const upstream of plan.candidates) { if (!router.tryAcquire(upstream.name)) continue; ... }
 */
/** Told when an upstream's circuit moves from one state to another. */
export type CircuitChangeListener = (
  upstream: string,
  from: CircuitState['kind'],
  to: CircuitState['kind'],
) => void;

export class Router {
  private readonly states = new Map<string, UpstreamState>();

  constructor(
    private readonly config: Pick<GatewayConfig, 'upstreams' | 'aliases' | 'routing'>,
    private readonly now: () => number = Date.now,
    /** Told when an upstream's circuit changes state (`closed`, `open`, `half-open`). */
    private readonly onCircuitChange?: CircuitChangeListener,
  ) {
    for (const upstream of config.upstreams) {
      this.states.set(upstream.name, { config: upstream, active: 0, circuit: CLOSED });
    }
  }

  /** The model name sent upstream for a client's model name. */
  rewrite(model: string): string {
    return this.config.aliases[model] ?? model;
  }

  /** Whether any upstream serves `model` (as the client names it). */
  serves(model: string): boolean {
    const upstreamModel = this.rewrite(model);
    return this.config.upstreams.some((u) => servesModel(u, model, upstreamModel));
  }

  /** Ranks the upstreams for a model, or refuses: 404 for a model nobody serves, 503 when none is available. */
  plan(model: string): RoutePlan | Refusal {
    const upstreamModel = this.rewrite(model);
    const all = [...this.states.values()];
    // Only the most specific tier serves: an upstream named for the model is never passed over
    // for (or failed over to) a catch-all one.
    let tier = 0;
    for (const s of all) tier = Math.max(tier, specificity(s.config, model, upstreamModel));
    const serving = all.filter((s) => tier > 0 && specificity(s.config, model, upstreamModel) === tier);
    return this.rank(model, upstreamModel, serving);
  }

  /** Ranks every upstream, whatever it serves: for requests that name no model (call control). */
  planAny(): RoutePlan | Refusal {
    if (this.states.size === 0) return refusal(503, 'no_healthy_upstream', 'No upstream is configured.');
    return this.rank('', '', [...this.states.values()]);
  }

  private rank(model: string, upstreamModel: string, serving: UpstreamState[]): RoutePlan | Refusal {
    if (serving.length === 0) {
      return refusal(
        404,
        'model_not_found',
        `The model '${model}' does not exist or you do not have access to it.`,
        {
          param: 'model',
        },
      );
    }
    const now = this.now();
    const available = serving.filter(
      (s) => s.config.weight > 0 && s.active < s.config.maxSessions && isAvailable(s.circuit, now),
    );
    if (available.length === 0) {
      return refusal(503, 'no_healthy_upstream', `No upstream is available for the model '${model}'.`);
    }
    // Least active sessions relative to weight; ties keep configuration order.
    available.sort((a, b) => a.active / a.config.weight - b.active / b.config.weight);
    return {
      model,
      upstreamModel,
      candidates: available.slice(0, this.config.routing.maxAttempts).map((s) => s.config),
    };
  }

  /**
   * Takes a session slot on an upstream just before dialling it; false when its circuit (or its
   * half-open trial) or its capacity does not allow it any more.
   */
  tryAcquire(name: string): boolean {
    const state = this.states.get(name);
    if (state === undefined || state.active >= state.config.maxSessions) return false;
    const decision = admit(state.circuit, this.now());
    this.setCircuit(state, decision.state);
    if (!decision.allowed) return false;
    state.active++;
    return true;
  }

  /** Gives back a slot taken with {@link tryAcquire}. */
  release(name: string): void {
    const state = this.states.get(name);
    if (state !== undefined && state.active > 0) state.active--;
  }

  reportSuccess(name: string): void {
    const state = this.states.get(name);
    if (state !== undefined) this.setCircuit(state, onSuccess(state.circuit));
  }

  reportFailure(name: string): void {
    const state = this.states.get(name);
    if (state !== undefined)
      this.setCircuit(state, onFailure(state.circuit, this.now(), this.config.routing));
  }

  private setCircuit(state: UpstreamState, next: CircuitState): void {
    const from = state.circuit.kind;
    state.circuit = next;
    if (next.kind !== from) this.onCircuitChange?.(state.config.name, from, next.kind);
  }

  /** Every upstream's load and circuit state. */
  status(): UpstreamStatus[] {
    return [...this.states.values()].map((s) => ({
      name: s.config.name,
      active: s.active,
      circuit: s.circuit.kind,
    }));
  }

  /** The configuration of an upstream chosen by name, for REST forwarding. */
  upstream(name: string): UpstreamConfig | undefined {
    return this.states.get(name)?.config;
  }
}
