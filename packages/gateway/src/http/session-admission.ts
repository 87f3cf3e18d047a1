/**
 * Admitting one session, whatever the client's transport: auth (a gateway key, or a client
 * secret the gateway minted, whose session configuration then applies), the router's plan, the
 * key's rate token, a quota slot, and the upstream dialled with failover. The WebSocket upgrade
 * and the WebRTC calls endpoint both start their sessions here, so a limit or a check added to
 * one holds for the other.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { newSessionId, type WireError } from '@realtime-gateway/protocol';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { SessionQuota } from '../auth/quota.js';
import type { GatewayConfig, UpstreamConfig } from '../config/resolve.js';
import type { ResumeTokens } from '../continuity/resume-token.js';
import { SessionContinuity } from '../continuity/session-continuity.js';
import { withDialects } from '../dialects/beta-edges.js';
import { clientDialect, type Dialect } from '../dialects/dialect.js';
import type { BudgetEnforcer } from '../governance/budget-enforcer.js';
import type { Leg } from '../legs/leg.js';
import type { Tracing } from '../observability/tracing.js';
import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import type { RoutePlan, Router, UpstreamSlot } from '../routing/router.js';
import { boundSession } from '../secrets/bound-session.js';
import type { SecretBinding } from '../secrets/client-secrets.js';
import type { MiddlewareFactory } from '../session/middleware.js';
import type { SessionLog, SessionObserver } from '../session/observer.js';
import type { SessionRegistry, SessionStats } from '../session/registry.js';
import { GA_PROTOCOL, Session } from '../session/session.js';
import type { EndCause } from '../session/state.js';
import { StoreError } from '../store/store.js';
import { boundTranslationSession } from '../translation/bound-session.js';
import { TRANSLATION_PROTOCOL } from '../translation/protocol.js';
import { TRANSLATION_NEEDS_GA } from '../translation/upstream-dialect.js';
import { type AttemptListener, type Dialled, type DialOptions, dialWithFailover } from '../upstream/dial.js';
import { describeError, type SessionInfo, type SessionIntent } from '../vocabulary/session.js';
import type { SessionTrace, TraceAttributes, TraceSpan } from '../vocabulary/trace.js';
import type { RequestContexts } from './request-context.js';

/** What admission works with (the gateway's shared parts). */
export interface AdmissionContext {
  readonly config: GatewayConfig;
  readonly auth: Authenticator;
  readonly quota: SessionQuota;
  readonly router: Router;
  readonly registry: SessionRegistry;
  /** In order; see {@link Session}. Conversations' and transcription sessions'. */
  readonly middleware: readonly MiddlewareFactory[];
  /**
   * Translation sessions' middleware, in order: theirs are other events, so the conversation
   * list (MCP tools, response tracing, usage from `response.done`) does not apply. None when
   * absent.
   */
  readonly translationMiddleware?: readonly MiddlewareFactory[];
  readonly observer: SessionObserver;
  readonly log: SessionLog;
  /** Who a request is for the logs (request id, client address). */
  readonly proxies: RequestContexts;
  /** False once shutdown has begun: new sessions are refused with 503. */
  readonly accepting: () => boolean;
  readonly onAttempt?: AttemptListener;
  /**
   * Told, for each admission that got as far as taking its slots, how long it waited for the
   * store (budget, rate token, slots) before the dial: what a shared store adds to admission.
   */
  readonly onStoreWait?: (ms: number) => void;
  /** Each session's trace; {@link NO_TRACING} when telemetry is off. */
  readonly tracing: Tracing;
  /** Refuses keys whose budget is spent. */
  readonly budgets: BudgetEnforcer;
  /** Mints the tokens clients resume their sessions with (`continuity.clientGraceMs`). */
  readonly resumeTokens: ResumeTokens;
}

/** The parts of the request a realtime session is about. */
export interface RealtimeRequest {
  readonly model: string | null;
  readonly intent: SessionIntent;
  readonly callId: string | null;
}

/** One request for a session. */
export interface AdmissionRequest {
  readonly headers: IncomingHttpHeaders;
  readonly query: RealtimeRequest;
  /** Whether the client went away (or was answered) while the upstream was dialled. */
  readonly gone: () => boolean;
  /**
   * A check of the transport's own, run once the principal is known and before any slot is
   * taken (the calls endpoint's per-key call limit): a refusal here gives the secret back.
   */
  readonly precheck?: (principal: Principal) => Promise<Refusal | null>;
  /**
   * A session configuration that came with the request (a WebRTC offer's `session` part),
   * applied as a client secret's is; its fields win over the secret's.
   */
  readonly session?: Readonly<Record<string, unknown>> | null;
  /**
   * Middleware of the transport's own, first in the list (right after a bound configuration,
   * so they see it as they see the client's events).
   */
  readonly middleware?: readonly MiddlewareFactory[];
  /** Told when the session ends, after its slots are freed. */
  readonly onEnd?: (cause: EndCause) => void;
  /** The request's log (its request id and client address on every line); `ctx.log` when absent. */
  readonly log?: SessionLog;
  /** How the client reaches the session, for its trace; default `websocket`. */
  readonly transport?: 'websocket' | 'webrtc';
}

/**
 * An admitted session, its upstream open and its slots held, not yet started. Exactly one of
 * {@link Admitted.session}'s `start` or {@link Admitted.abandon} follows.
 */
export interface Admitted {
  readonly session: Session;
  readonly upstream: Leg;
  readonly principal: Principal;
  /** The token the client may resume the session with, or null when client resume is off. */
  readonly resumeToken: string | null;
  /**
   * Undoes the admission when the client cannot be given the session after all: the upstream
   * is dropped, the slots are freed, the session leaves the registry, and the client secret
   * is given back (`giveBack`: the client never had the session it paid for).
   */
  abandon(giveBack: boolean): void;
}

/** Reads `?model=`, `?intent=` and `?call_id=`; refuses (400) what cannot be a session. */
export function parseRealtimeQuery(params: URLSearchParams): RealtimeRequest | Refusal {
  const model = params.get('model') || null;
  const intentParam = params.get('intent');
  const callId = params.get('call_id') || null;
  if (intentParam !== null && intentParam !== 'transcription') {
    return refusal(
      400,
      'invalid_value',
      `Invalid value for 'intent': '${intentParam}'. Supported values are: 'transcription'.`,
      {
        param: 'intent',
      },
    );
  }
  const intent = intentParam === 'transcription' ? 'transcription' : 'conversation';
  return { model, intent, callId };
}

/**
 * Reads a translation session's `?model=` (required, as OpenAI requires it, unless a client
 * secret names it). Translation sessions have no intents and no calls to attach to.
 *
 * @example
 * parseTranslationQuery(new URLSearchParams('model=gpt-realtime-translate'));
 * // { model: 'gpt-realtime-translate', intent: 'translation', callId: null }
 */
export function parseTranslationQuery(params: URLSearchParams): RealtimeRequest {
  return { model: params.get('model') || null, intent: 'translation', callId: null };
}

/**
 * The session's middleware, around which a client secret's configuration (and the request's
 * own, over it) is applied.
 */
function withBoundSession(
  middleware: readonly MiddlewareFactory[],
  binding: SecretBinding | null,
  requested: Readonly<Record<string, unknown>> | null,
): readonly MiddlewareFactory[] {
  if (binding === null && requested === null) return middleware;
  const bound = boundSession({ ...binding?.session, ...requested });
  return [() => bound.config, ...middleware, () => bound.view];
}

/**
 * The session a request asks for, once its principal is known: a client secret fixes the model
 * and intent it was minted for (a translation secret opens translation sessions only, on their
 * endpoint, and no other secret does); otherwise a conversation or a translation needs a model
 * (a call attach or a transcription session may do without).
 */
function sessionRequest(request: RealtimeRequest, principal: Principal): RealtimeRequest | Refusal {
  const bound = principal.secret?.binding;
  if (bound !== undefined) {
    const translating = request.intent === 'translation';
    if ((bound.intent === 'translation') !== translating) {
      return refusal(
        400,
        'invalid_value',
        translating
          ? 'The client secret was not minted for a translation session.'
          : 'The client secret was minted for a translation session: connect to /v1/realtime/translations.',
        { param: 'client_secret' },
      );
    }
    if (request.model !== null && request.model !== bound.model) {
      return refusal(
        400,
        'invalid_value',
        `The client secret was minted for the model '${bound.model}', not '${request.model}'.`,
        { param: 'model' },
      );
    }
    return { model: bound.model, intent: bound.intent, callId: request.callId };
  }
  if (request.model === null && request.intent !== 'transcription' && request.callId === null) {
    return refusal(400, 'missing_required_parameter', "Missing required parameter: 'model'.", {
      param: 'model',
    });
  }
  return request;
}

/**
 * Admits a session: a refusal (the secret given back), null when the client went away during
 * the dial (nothing is left held), or the session ready to start.
 *
 * @example
 * const admitted = await admitSession(ctx, { headers: req.headers, query, gone: () => socket.destroyed });
 * if (admitted === null) return;
 * if ('status' in admitted) return refuse(admitted);
 * admitted.session.start(clientLeg, admitted.upstream);
 */
export async function admitSession(
  ctx: AdmissionContext,
  request: AdmissionRequest,
): Promise<Admitted | Refusal | null> {
  // A refused session is a trace too: an operator looks for why a client was turned away.
  const trace = ctx.tracing.session(request.headers, {
    'realtime_gateway.transport': request.transport ?? 'websocket',
  });
  let admitted: Admitted | Refusal | null;
  try {
    admitted = await admit(ctx, request, trace);
  } catch (error) {
    trace.fail('internal_error');
    trace.end();
    throw error;
  }
  if (admitted === null) {
    trace.fail('client_gone', 'The client went away while the upstream was dialled.');
    trace.end();
  } else if ('status' in admitted) {
    trace.set({ 'http.response.status_code': admitted.status });
    trace.fail(admitted.code, admitted.message);
    trace.end();
  }
  return admitted;
}

/** Session ends that are a fault of the upstream's or the gateway's, not a client's choice. */
const FAILED_ENDS: ReadonlySet<EndCause> = new Set(['upstream_lost', 'buffer_overflow']);

async function admit(
  ctx: AdmissionContext,
  request: AdmissionRequest,
  trace: SessionTrace,
): Promise<Admitted | Refusal | null> {
  if (!ctx.accepting()) return refusal(503, 'shutting_down', 'The gateway is shutting down.');
  const authResult = await ctx.auth.admitSession(request.headers);
  if (!authResult.ok) return authResult.refusal;
  const principal = authResult.principal;
  const secret = principal.secret;
  // A session refused after its secret was taken does not cost the client the secret.
  const giveBack = (): void => {
    secret?.giveBack().catch((error: unknown) => {
      (request.log ?? ctx.log).warn({ err: describeError(error) }, 'a client secret could not be given back');
    });
  };
  const deny = (r: Refusal): Refusal => {
    giveBack();
    return r;
  };
  const asked = sessionRequest(request.query, principal);
  if ('status' in asked) return deny(asked);
  const model = asked.model ?? '';
  trace.set({
    'gen_ai.request.model': asked.model ?? undefined,
    'realtime_gateway.key.id': principal.keyId ?? undefined,
    'realtime_gateway.session.intent': asked.intent,
  });
  if (asked.model !== null) {
    const forbidden = ctx.auth.authorizeModel(principal, asked.model);
    if (forbidden !== null) return deny(forbidden);
  }
  // Each step below asks the store, which with Redis is a round trip. The router plans from
  // session counts it keeps (see `Router`), so every other step, the first candidate's upstream
  // slot among them, is asked at once: admission waits one round trip before the dial. The first
  // refusal in the order written is the answer. Whatever was taken beside a refusal is given back
  // (the transport's own, by its caller), but for the rate token: an attempt refused for another
  // reason still counts against the key's rate.
  const storeAsked = performance.now();
  const budgetChecked = ctx.budgets.admit(principal.keyId);
  const plan = await ctx.router.plan(
    model,
    asked.intent === 'translation' ? TRANSLATION_NEEDS_GA : undefined,
  );
  if ('status' in plan) return deny((await budgetChecked) ?? plan);
  const [overBudget, prechecked, limited, slot, firstSlot] = await Promise.all([
    budgetChecked,
    request.precheck?.(principal) ?? null,
    ctx.auth.takeSessionToken(principal),
    ctx.quota.acquire(principal.keyId, principal.key?.maxSessions ?? ctx.config.limits.maxSessionsPerKey),
    reserveUpstream(ctx.router, plan),
  ]);
  ctx.onStoreWait?.(performance.now() - storeAsked);
  const refused =
    overBudget ??
    prechecked ??
    limited ??
    ('status' in slot ? slot : null) ??
    (firstSlot !== null && 'status' in firstSlot ? firstSlot : null);
  if (refused !== null) {
    if (!('status' in slot)) slot.release();
    if (firstSlot !== null && !('status' in firstSlot)) firstSlot.abandon();
    return deny(refused);
  }
  if ('status' in slot) return deny(slot);
  if (firstSlot !== null && 'status' in firstSlot) return deny(firstSlot);

  const connecting = trace.span('upstream.connect');
  const dialOptions: DialOptions = {
    intent: asked.intent,
    callId: asked.callId,
    sendModel: asked.model !== null,
    passthroughKey: principal.upstreamKey,
    maxPayload: ctx.config.limits.maxBufferedBytes,
  };
  const dialled = await dialWithFailover(ctx.router, plan, {
    ...dialOptions,
    firstSlot,
    onAttempt: tracedAttempts(ctx.onAttempt, connecting),
  });
  if ('status' in dialled) {
    connecting.fail(dialled.code);
    connecting.end();
    slot.release();
    return deny(dialled);
  }
  connecting.set(upstreamAttributes(dialled.upstream));
  connecting.end();
  // What the closures below keep for the session's life is named one by one: a closure that
  // read `dialled` or `request` would keep all of them (and the request's headers).
  // The slot of the upstream the session is on: a replacement moves it.
  let upstreamSlot = dialled.slot;
  const upstreamLeg = dialled.leg;
  const dialect = dialled.upstream.dialect;
  const ended = request.onEnd;
  let released = false;
  const releaseAll = (): void => {
    if (released) return;
    released = true;
    slot.release();
    upstreamSlot.release();
  };
  if (!ctx.accepting()) {
    dialled.leg.destroy();
    releaseAll();
    return deny(refusal(503, 'shutting_down', 'The gateway is shutting down.'));
  }
  if (request.gone()) {
    dialled.leg.destroy();
    releaseAll();
    giveBack();
    return null;
  }

  const info: SessionInfo = {
    sessionId: newSessionId(),
    model,
    upstreamModel: plan.upstreamModel,
    upstreamName: dialled.upstream.name,
    keyId: principal.keyId,
    intent: asked.intent,
    transport: request.transport ?? 'websocket',
  };
  const log = request.log ?? ctx.log;
  const { clientGraceMs, resumeWindowBytes } = ctx.config.continuity;
  // A call's client is a peer connection, which cannot come back under the same session.
  const resumable = clientGraceMs > 0 && (request.transport ?? 'websocket') === 'websocket';
  // A call attach joins a session the upstream holds; there is nothing of the gateway's to replay.
  // A translation has no conversation to replay: a lost upstream ends it.
  const continuity =
    ctx.config.continuity.enabled && asked.callId === null && asked.intent !== 'translation'
      ? new SessionContinuity({
          maxReplacements: ctx.config.continuity.maxReplacements,
          replayTimeoutMs: ctx.config.continuity.replayTimeoutMs,
          ledger: {
            maxItems: ctx.config.continuity.maxItems,
            maxTextBytes: ctx.config.continuity.maxTextBytes,
          },
          maxSessionMs: dialled.upstream.maxSessionMs,
          rolloverBeforeMs: ctx.config.continuity.rolloverBeforeMs,
          log,
          dial: async (lost) => {
            // Given back first, so an upstream with a single slot may take the session again.
            upstreamSlot.release();
            const next = await redial(
              ctx,
              model,
              { ...dialOptions, onAttempt: ctx.onAttempt },
              lost,
              dialect,
            );
            if ('status' in next) return { ok: false, error: replacementError(next) };
            if (released) {
              next.leg.destroy();
              next.slot.release();
              return {
                ok: false,
                error: replacementError(refusal(503, 'session_ended', 'The session ended.')),
              };
            }
            upstreamSlot = next.slot;
            return {
              ok: true,
              leg: next.leg,
              upstream: next.upstream.name,
              maxSessionMs: next.upstream.maxSessionMs,
            };
          },
          replaced: (replaced, replacement) => ctx.observer.upstreamReplaced(replaced.info, replacement),
        })
      : null;
  const translating = asked.intent === 'translation';
  const session = new Session({
    info,
    limits: ctx.config.limits,
    middleware: translating
      ? withBoundTranslation(ctx.translationMiddleware ?? [], secret?.binding ?? null)
      : withDialects(
          withContinuity(
            withBoundSession(
              [...(request.middleware ?? []), ...ctx.middleware],
              secret?.binding ?? null,
              request.session ?? null,
            ),
            continuity,
          ),
          clientDialect(request.headers, principal.key?.dialect ?? null),
          dialled.upstream.dialect,
        ),
    protocol: translating ? TRANSLATION_PROTOCOL : GA_PROTOCOL,
    ...(continuity === null ? {} : { upstreamEnded: continuity.upstreamEnded }),
    resume: resumable ? { graceMs: clientGraceMs, windowBytes: resumeWindowBytes } : null,
    observer: ctx.observer,
    log,
    trace,
    onEnd: (ending, cause) => {
      releaseAll();
      ctx.registry.remove(info.sessionId);
      endTrace(trace, cause, ending.stats);
      ended?.(cause);
    },
  });
  trace.set({
    'realtime_gateway.session.id': info.sessionId,
    'gen_ai.conversation.id': info.sessionId,
    ...upstreamAttributes(dialled.upstream),
  });
  continuity?.serve(session);
  ctx.registry.add(session);
  return {
    session,
    upstream: dialled.leg,
    principal,
    resumeToken: resumable
      ? ctx.resumeTokens.mint(info.sessionId, principal.keyId ?? '', {
          // The session cannot outlive its maximum duration, nor the token it.
          ttlMs: ctx.config.limits.maxSessionMs + clientGraceMs,
          now: Date.now(),
        })
      : null,
    abandon(giveSecretBack) {
      if (giveSecretBack) giveBack();
      session.refuse();
      upstreamLeg.destroy();
      releaseAll();
      ctx.registry.remove(info.sessionId);
      trace.fail('abandoned', 'The client went away before the session started.');
      trace.end();
    },
  };
}

/**
 * A translation session's middleware, around which a translation client secret's audio
 * settings are applied. The beta dialect had no translation sessions, so no edge translates.
 */
function withBoundTranslation(
  middleware: readonly MiddlewareFactory[],
  binding: SecretBinding | null,
): readonly MiddlewareFactory[] {
  const bound = binding === null ? null : boundTranslationSession(binding.session);
  if (bound === null) return middleware;
  return [() => bound.config, ...middleware, () => bound.view];
}

/**
 * The continuity's two middleware around the rest: ids become the client's before any other
 * middleware reads an upstream event, and the upstream's after every other one wrote a client event.
 */
function withContinuity(
  middleware: readonly MiddlewareFactory[],
  continuity: SessionContinuity | null,
): readonly MiddlewareFactory[] {
  if (continuity === null) return middleware;
  return [() => continuity.upstreamSide, ...middleware, () => continuity.clientSide];
}

/** The plan's first upstream's slot, asked for beside the session's others (see `DialOptions.firstSlot`). */
async function reserveUpstream(router: Router, plan: RoutePlan): Promise<UpstreamSlot | Refusal | null> {
  const first = plan.candidates[0];
  if (first === undefined) return null;
  try {
    return await router.tryAcquire(first.name);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    return storeUnavailable();
  }
}

/** A new upstream connection for a session that lost its own: the router asked again, the lost upstream tried last. */
async function redial(
  ctx: AdmissionContext,
  model: string,
  options: DialOptions,
  lost: string,
  dialect: Dialect,
): Promise<Dialled | Refusal> {
  const plan = await ctx.router.plan(model);
  if ('status' in plan) return plan;
  // The session's edges translate for the dialect it began with: only upstreams that speak it.
  const same = plan.candidates.filter((upstream) => upstream.dialect === dialect);
  const candidates = [
    ...same.filter((upstream) => upstream.name !== lost),
    ...same.filter((upstream) => upstream.name === lost),
  ];
  return dialWithFailover(ctx.router, { ...plan, candidates }, options);
}

/** What a client whose upstream could not be replaced is told: the loss, and why no other upstream took it. */
function replacementError(why: Refusal): WireError {
  return {
    type: 'server_error',
    code: 'upstream_lost',
    message: `The connection to the upstream server was lost and no other could be opened: ${why.message}`,
  };
}

/** The dial's attempts as events of its span, and told to `listener` as before. */
function tracedAttempts(listener: AttemptListener | undefined, span: TraceSpan): AttemptListener {
  return (upstream, result, attempt) => {
    listener?.(upstream, result, attempt);
    span.event('attempt', {
      'realtime_gateway.upstream.name': upstream.name,
      'realtime_gateway.attempt': attempt,
      outcome: result.ok ? 'connected' : result.failure.kind,
      'http.response.status_code':
        !result.ok && result.failure.kind === 'status' ? result.failure.status : undefined,
    });
  };
}

/** The upstream a session went to: its name, and the provider in GenAI terms. */
function upstreamAttributes(upstream: UpstreamConfig): TraceAttributes {
  return {
    'realtime_gateway.upstream.name': upstream.name,
    'gen_ai.provider.name': PROVIDER_NAMES[upstream.kind],
  };
}

const PROVIDER_NAMES: Readonly<Record<UpstreamConfig['kind'], string | undefined>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  generic: undefined,
};

function endTrace(trace: SessionTrace, cause: EndCause, stats: SessionStats): void {
  trace.set({
    'realtime_gateway.session.end_cause': cause,
    'realtime_gateway.client.frames': stats.clientFrames,
    'realtime_gateway.client.bytes': stats.clientBytes,
    'realtime_gateway.upstream.frames': stats.upstreamFrames,
    'realtime_gateway.upstream.bytes': stats.upstreamBytes,
  });
  if (FAILED_ENDS.has(cause)) trace.fail(cause);
  trace.end();
}
