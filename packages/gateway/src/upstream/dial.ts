import type { UpstreamConfig } from '../config/resolve.js';
import type { Leg } from '../legs/leg.js';
import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import type { RoutePlan, Router, UpstreamSlot } from '../routing/router.js';
import { StoreError } from '../store/store.js';
import { type ConnectFailure, type ConnectResult, connectUpstream, type UpstreamTarget } from './connect.js';

/** An open upstream connection and where it goes. */
export interface Dialled {
  /** The upstream leg, holding what the upstream sent until the session attaches. */
  readonly leg: Leg;
  readonly upstream: UpstreamConfig;
  /** The upstream slot the connection holds; the caller releases it when the session ends. */
  readonly slot: UpstreamSlot;
  readonly latencyMs: number;
}

/**
 * Told about each connection attempt, for metrics and logs; `attempt` counts from 1 within one
 * client's dial, so a success with `attempt > 1` is a failover.
 */
export type AttemptListener = (upstream: UpstreamConfig, result: ConnectResult, attempt: number) => void;

/** Options for {@link dialWithFailover}. */
export interface DialOptions {
  readonly intent: UpstreamTarget['intent'];
  readonly callId: string | null;
  /** Whether the client gave a model (a transcription or call attach may not). */
  readonly sendModel: boolean;
  readonly passthroughKey: string | null;
  readonly maxPayload?: number;
  readonly onAttempt?: AttemptListener;
  /** Connect through something other than {@link connectUpstream} (tests, embedding). */
  readonly connect?: typeof connectUpstream;
  /**
   * The first candidate's slot, already asked for together with the session's other slots (one
   * round trip to a shared store instead of two); null when it was not granted, and the first
   * candidate is passed over. Without it, each candidate's slot is taken before its dial.
   */
  readonly firstSlot?: UpstreamSlot | null;
}

/**
 * Tries the plan's upstreams in order. A connect error, a timeout or a 5xx counts against the
 * upstream's circuit and moves on to the next; a 4xx is the client's problem and ends the
 * attempt with that status. When every attempt fails the client gets 504 if the last one timed
 * out and 503 otherwise.
 *
 * @example
 * const dialled = await dialWithFailover(router, plan, { intent: 'conversation', callId: null, sendModel: true, passthroughKey: null });
 * if ('status' in dialled) return refuse(dialled);
 */
export async function dialWithFailover(
  router: Router,
  plan: RoutePlan,
  options: DialOptions,
): Promise<Dialled | Refusal> {
  const connect = options.connect ?? connectUpstream;
  const target: UpstreamTarget = {
    model: options.sendModel ? plan.upstreamModel : null,
    intent: options.intent,
    callId: options.callId,
  };
  let last: ConnectFailure | null = null;
  let attempt = 0;
  for (const [index, upstream] of plan.candidates.entries()) {
    let slot: UpstreamSlot | null;
    try {
      slot =
        index === 0 && options.firstSlot !== undefined
          ? options.firstSlot
          : await router.tryAcquire(upstream.name);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return storeUnavailable();
    }
    if (slot === null) continue;
    const result = await connect(upstream, target, {
      passthroughKey: options.passthroughKey,
      ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {}),
    });
    options.onAttempt?.(upstream, result, ++attempt);
    if (result.ok) {
      router.reportSuccess(upstream.name);
      return { leg: result.leg, upstream, slot, latencyMs: result.latencyMs };
    }
    slot.release();
    const failure = result.failure;
    if (failure.kind === 'status' && failure.status < 500) {
      // The upstream is healthy; it refused this request. Its circuit is not charged.
      router.reportSuccess(upstream.name);
      return clientRefusal(failure, options.passthroughKey !== null);
    }
    router.reportFailure(upstream.name);
    last = failure;
  }
  if (last?.kind === 'timeout') {
    return refusal(
      504,
      'upstream_timeout',
      `The upstream did not answer in time for the model '${plan.model}'.`,
    );
  }
  if (last === null) {
    return refusal(503, 'no_healthy_upstream', `No upstream is available for the model '${plan.model}'.`);
  }
  return refusal(503, 'upstream_unavailable', `No upstream could be reached for the model '${plan.model}'.`);
}

/** An upstream's 4xx as the client sees it. */
function clientRefusal(failure: ConnectFailure & { kind: 'status' }, passthrough: boolean): Refusal {
  // With the gateway's own upstream key, an upstream 401/403 is the gateway's misconfiguration,
  // not the client's; saying 401 would send the client looking at the wrong key.
  if (!passthrough && (failure.status === 401 || failure.status === 403)) {
    return refusal(503, 'upstream_auth_failed', 'The gateway could not authenticate with the upstream.');
  }
  const upstreamError = upstreamErrorBody(failure.body);
  return refusal(
    failure.status,
    upstreamError?.code ?? 'upstream_refused',
    upstreamError?.message ?? `The upstream refused the session (HTTP ${failure.status}).`,
    { ...(upstreamError?.type ? { type: upstreamError.type } : {}), param: upstreamError?.param ?? null },
  );
}

function upstreamErrorBody(
  body: string,
): { code?: string; message?: string; type?: string; param?: string | null } | null {
  try {
    const parsed = JSON.parse(body) as { error?: Record<string, unknown> };
    const error = parsed?.error;
    if (typeof error !== 'object' || error === null) return null;
    const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    return {
      ...(text(error.code) ? { code: text(error.code)! } : {}),
      ...(text(error.message) ? { message: text(error.message)! } : {}),
      ...(text(error.type) ? { type: text(error.type)! } : {}),
      param: text(error.param) ?? null,
    };
  } catch {
    return null;
  }
}
