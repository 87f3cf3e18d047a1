import type { GatewayConfig, UpstreamConfig } from '../config/resolve.js';
import type { Dialect } from '../dialects/dialect.js';
import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import { StoreHolder } from '../store/holder.js';
import { MemoryStore } from '../store/memory-store.js';
import { upstreamPool } from '../store/pools.js';
import { StoreError } from '../store/store.js';
import { servesModel, specificity } from '../vocabulary/models.js';
import {
  admit,
  type CircuitState,
  CLOSED,
  isAvailable,
  onFailure,
  onPeerOpened,
  onSuccess,
  onTrialAbandoned,
} from './circuit.js';

/**
 * What the router learns of an upstream while it runs. A router made from a new configuration
 * takes it over from the previous one for an upstream of the same name, so the sessions it
 * carries still count and its circuit is remembered (see {@link RouterOptions.previous}).
 */
interface UpstreamHealth {
  /** This process's sessions on the upstream (the store counts the deployment's). */
  active: number;
  circuit: CircuitState;
}

/** What the router needs to know per upstream while it runs. */
interface UpstreamState {
  readonly config: UpstreamConfig;
  readonly pool: string;
  readonly health: UpstreamHealth;
}

/** The deployment's sessions per upstream pool when last counted, and this process's then. */
interface LoadCount {
  readonly at: number;
  readonly sessions: ReadonlyMap<string, { readonly counted: number; readonly activeHere: number }>;
}

/** A session slot on an upstream, taken with {@link Router.tryAcquire}. */
export interface UpstreamSlot {
  /** Gives the slot back; calling it again does nothing. */
  readonly release: () => void;
  /**
   * Gives the slot back before any connection was attempted with it: a half-open circuit's
   * trial it took goes back too, since no attempt will report on it.
   */
  readonly abandon: () => void;
}

/** The dialect a session needs its upstream to speak, and why (said in the refusal). */
export interface DialectNeed {
  readonly dialect: Dialect;
  /** A sentence: `Translation sessions exist only in the GA protocol.` */
  readonly why: string;
}

/** The refusal when every upstream serving `model` speaks a dialect other than the one needed. */
function dialectRefusal(model: string, serving: readonly UpstreamState[], needs: DialectNeed): Refusal {
  const names = serving.map((s) => `'${s.config.name}' (dialect: ${s.config.dialect})`).join(', ');
  return refusal(
    503,
    'no_compatible_upstream',
    `No upstream for the model '${model}' speaks the ${needs.dialect === 'ga' ? 'GA' : 'beta'} protocol: ${needs.why} The upstreams serving it are ${names}.`,
    { param: 'model' },
  );
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
  /** This process's sessions on the upstream. */
  readonly active: number;
  readonly circuit: CircuitState['kind'];
}

/** Told when an upstream's circuit moves from one state to another. */
export type CircuitChangeListener = (
  upstream: string,
  from: CircuitState['kind'],
  to: CircuitState['kind'],
  /** `here`: this node's own attempts moved it; `peer`: another node's open circuit (see {@link Router.learnOpened}). */
  cause: CircuitChangeCause,
) => void;

/** Why a circuit changed. */
export type CircuitChangeCause = 'here' | 'peer';

/** Options for {@link Router}. */
export interface RouterOptions {
  /** Where upstream slots are counted; by default a store in this process's memory. */
  readonly holder?: StoreHolder;
  readonly now?: () => number;
  /** Told when an upstream's circuit changes state (`closed`, `open`, `half-open`). */
  readonly onCircuitChange?: CircuitChangeListener;
  /**
   * The router of the configuration this one replaces: an upstream of the same name keeps its
   * session count, and its circuit unless its `baseUrl` or `kind` changed (then it is another
   * server, and starts closed). Sessions on upstreams the new configuration drops still count
   * should the upstream come back.
   */
  readonly previous?: Router;
}

/**
 * Chooses upstreams for a model: aliases are rewritten; among the upstreams that serve the model
 * most specifically (exact name, then the longest `prefix*` pattern, then `*`), those that have
 * a free slot and a closed (or cooled-down) circuit are ranked by active sessions divided by
 * weight, and the best few become the plan. Slots and the counts the ranking uses are in the
 * store, so `maxSessions` and weights hold for the deployment; circuits are this process's own.
 * The caller reports each attempt's outcome so that circuits open and close.
 *
 * @example
 * const plan = await router.plan('gpt-realtime');
 * if ('status' in plan) return refuse(plan);
 * for (const upstream of plan.candidates) { const slot = await router.tryAcquire(upstream.name); ... }
 */
export class Router {
  private readonly states = new Map<string, UpstreamState>();
  /** Dropped upstreams' health while sessions still run on them, for when they come back. */
  private readonly retired = new Map<string, UpstreamState>();
  private readonly holder: StoreHolder;
  private readonly now: () => number;
  private readonly onCircuitChange: CircuitChangeListener | undefined;
  /** The last count of the deployment's sessions per upstream (see {@link activeSessions}). */
  private counted: LoadCount | null = null;
  private counting: Promise<unknown> | null = null;

  constructor(
    private readonly config: Pick<GatewayConfig, 'upstreams' | 'aliases' | 'routing'>,
    options: RouterOptions = {},
  ) {
    this.holder = options.holder ?? new StoreHolder(new MemoryStore(), { ttlMs: 15_000 });
    this.now = options.now ?? Date.now;
    this.onCircuitChange = options.onCircuitChange;
    const before = new Map<string, UpstreamState>();
    if (options.previous !== undefined) {
      for (const [name, state] of options.previous.retired) before.set(name, state);
      for (const [name, state] of options.previous.states) before.set(name, state);
    }
    for (const upstream of config.upstreams) {
      const pool = upstreamPool(upstream.name);
      const old = before.get(upstream.name);
      before.delete(upstream.name);
      const health = old?.health ?? { active: 0, circuit: CLOSED };
      const state = { config: upstream, pool, health };
      if (old !== undefined && (old.config.baseUrl !== upstream.baseUrl || old.config.kind !== upstream.kind))
        this.setCircuit(state, CLOSED);
      this.states.set(upstream.name, state);
    }
    for (const [name, state] of before) if (state.health.active > 0) this.retired.set(name, state);
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

  /**
   * Ranks the upstreams for a model, or refuses: 404 for a model nobody serves, 503 when none is
   * available. With `needs`, only upstreams of that dialect are candidates, and a model whose
   * serving upstreams all speak another is refused (503 `no_compatible_upstream`) with the reason.
   *
   * @example
   * await router.plan('gpt-realtime-translate', { dialect: 'ga', why: 'Translation sessions exist only in the GA protocol.' });
   */
  plan(model: string, needs?: DialectNeed): Promise<RoutePlan | Refusal> {
    const upstreamModel = this.rewrite(model);
    const all = [...this.states.values()];
    // Only the most specific tier serves: an upstream named for the model is never passed over
    // for (or failed over to) a catch-all one, nor for one that speaks the dialect needed.
    let tier = 0;
    for (const s of all) tier = Math.max(tier, specificity(s.config, model, upstreamModel));
    const serving = all.filter((s) => tier > 0 && specificity(s.config, model, upstreamModel) === tier);
    if (needs === undefined) return this.rank(model, upstreamModel, serving);
    const speaking = serving.filter((s) => s.config.dialect === needs.dialect);
    if (serving.length > 0 && speaking.length === 0)
      return Promise.resolve(dialectRefusal(model, serving, needs));
    return this.rank(model, upstreamModel, speaking);
  }

  /** Ranks every upstream, whatever it serves: for requests that name no model (call control). */
  async planAny(): Promise<RoutePlan | Refusal> {
    if (this.states.size === 0) return refusal(503, 'no_healthy_upstream', 'No upstream is configured.');
    return this.rank('', '', [...this.states.values()]);
  }

  private async rank(
    model: string,
    upstreamModel: string,
    serving: UpstreamState[],
  ): Promise<RoutePlan | Refusal> {
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
    const open = serving.filter((s) => s.config.weight > 0 && isAvailable(s.health.circuit, now));
    let active: number[];
    try {
      active = await this.activeSessions(open, now);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return storeUnavailable();
    }
    const load = new Map(open.map((s, k) => [s, active[k]!]));
    const available = open.filter((s) => load.get(s)! < s.config.maxSessions);
    if (available.length === 0) {
      return refusal(503, 'no_healthy_upstream', `No upstream is available for the model '${model}'.`);
    }
    // Least active sessions relative to weight; ties keep configuration order.
    const share = (s: UpstreamState): number => load.get(s)! / s.config.weight;
    available.sort((a, b) => share(a) - share(b));
    return {
      model,
      upstreamModel,
      candidates: available.slice(0, this.config.routing.maxAttempts).map((s) => s.config),
    };
  }

  /**
   * The deployment's sessions on each upstream, for the ranking. Counting them is a round trip
   * to a shared store, so the last count is used while it is younger than
   * `routing.loadRefreshMs`, moved by this process's own sessions since (which makes it exact
   * with a store of one process's); an older count is used once more while a new one is made.
   * The ranking only chooses: the slot taken before the dial is what holds `maxSessions`.
   */
  private async activeSessions(states: readonly UpstreamState[], now: number): Promise<number[]> {
    const refreshMs = this.config.routing.loadRefreshMs;
    let counted = this.counted;
    if (refreshMs === 0 || counted === null || states.some((s) => !counted!.sessions.has(s.pool))) {
      counted = await this.count();
    } else if (now - counted.at >= refreshMs && this.counting === null) {
      // A failed count leaves the old one, and the next session tries again.
      this.counting = this.count()
        .catch(() => null)
        .finally(() => {
          this.counting = null;
        });
    }
    const at = counted;
    return states.map((s) => {
      const pool = at.sessions.get(s.pool)!;
      return Math.max(0, pool.counted + s.health.active - pool.activeHere);
    });
  }

  /** Counts every upstream's sessions in the store (see {@link activeSessions}). */
  private async count(): Promise<LoadCount> {
    const states = [...this.states.values()];
    const activeHere = states.map((s) => s.health.active);
    const at = this.now();
    const counts = await this.holder.store.count(states.map((s) => s.pool));
    const sessions = new Map(
      states.map((s, k) => [s.pool, { counted: counts[k]!, activeHere: activeHere[k]! }] as const),
    );
    this.counted = { at, sessions };
    return this.counted;
  }

  /**
   * Takes a session slot on an upstream just before dialling it; null when its circuit (or its
   * half-open trial) or its capacity does not allow it any more. Throws a `StoreError` when the
   * store cannot answer.
   */
  async tryAcquire(name: string): Promise<UpstreamSlot | null> {
    const state = this.states.get(name);
    if (state === undefined || !isAvailable(state.health.circuit, this.now())) return null;
    const grant = await this.holder.acquire([{ pool: state.pool, limit: state.config.maxSessions }]);
    if (!grant.ok) return null;
    // The circuit is asked last, so a half-open trial is only taken with a slot.
    const before = state.health.circuit;
    const decision = admit(before, this.now());
    this.setCircuit(state, decision.state);
    if (!decision.allowed) {
      this.holder.release(grant.slotId);
      return null;
    }
    const tookTrial = before.kind !== 'closed';
    const { health } = state;
    health.active++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      health.active--;
      this.holder.release(grant.slotId);
    };
    return {
      release,
      abandon: () => {
        if (released) return;
        if (tookTrial) this.setCircuit(state, onTrialAbandoned(state.health.circuit));
        release();
      },
    };
  }

  reportSuccess(name: string): void {
    const state = this.states.get(name);
    if (state !== undefined) this.setCircuit(state, onSuccess(state.health.circuit));
  }

  reportFailure(name: string): void {
    const state = this.states.get(name);
    if (state !== undefined)
      this.setCircuit(state, onFailure(state.health.circuit, this.now(), this.config.routing));
  }

  /**
   * Another node of the deployment opened the circuit of the upstream it names `name` at
   * `baseUrl`: this node opens its own for a cool-down, unless it knows that name as another
   * server or is already judging the upstream itself (see `onPeerOpened`).
   */
  learnOpened(name: string, baseUrl: string): void {
    const state = this.states.get(name);
    if (state === undefined || state.config.baseUrl !== baseUrl) return;
    this.setCircuit(state, onPeerOpened(state.health.circuit, this.now(), this.config.routing), 'peer');
  }

  private setCircuit(state: UpstreamState, next: CircuitState, cause: CircuitChangeCause = 'here'): void {
    const from = state.health.circuit.kind;
    state.health.circuit = next;
    if (next.kind !== from) this.onCircuitChange?.(state.config.name, from, next.kind, cause);
  }

  /** Every upstream's load and circuit state. */
  status(): UpstreamStatus[] {
    return [...this.states.values()].map((s) => ({
      name: s.config.name,
      active: s.health.active,
      circuit: s.health.circuit.kind,
    }));
  }

  /** The configuration of an upstream chosen by name, for REST forwarding. */
  upstream(name: string): UpstreamConfig | undefined {
    return this.states.get(name)?.config;
  }
}
