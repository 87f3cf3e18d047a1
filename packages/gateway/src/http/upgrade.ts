/**
 * The `GET /v1/realtime` upgrade, upstream first: every check and the upstream connection happen
 * while the client still waits for its HTTP answer, so any refusal reaches it as an HTTP status
 * with an OpenAI-style JSON body, never as a WebSocket that opens and drops.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { newSessionId } from '@realtime-gateway/protocol';
import type { WebSocketServer } from 'ws';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { SessionQuota } from '../auth/quota.js';
import type { GatewayConfig } from '../config/resolve.js';
import { WebSocketLeg } from '../legs/websocket-leg.js';
import { type Refusal, refusal } from '../refusal.js';
import type { Router } from '../routing/router.js';
import { boundSession } from '../secrets/bound-session.js';
import type { SecretBinding } from '../secrets/client-secrets.js';
import type { MiddlewareFactory } from '../session/middleware.js';
import type { SessionLog, SessionObserver } from '../session/observer.js';
import type { SessionRegistry } from '../session/registry.js';
import { Session } from '../session/session.js';
import { type AttemptListener, dialWithFailover } from '../upstream/dial.js';
import { describeError, type SessionInfo } from '../vocabulary/session.js';
import { checkHandshake } from './handshake.js';
import type { OriginPolicy } from './origins.js';
import { writeRefusal } from './respond.js';
import { isRefusal, parseTarget } from './target.js';
import { guardUpgrade } from './upgrade-guard.js';

/** What the upgrade handler works with. */
export interface UpgradeContext {
  readonly config: GatewayConfig;
  readonly wss: WebSocketServer;
  readonly auth: Authenticator;
  readonly quota: SessionQuota;
  /** Which browser origins may open sessions. */
  readonly origins: OriginPolicy;
  readonly router: Router;
  readonly registry: SessionRegistry;
  /** In order; see {@link Session}. */
  readonly middleware: readonly MiddlewareFactory[];
  readonly observer: SessionObserver;
  readonly log: SessionLog;
  /** False once shutdown has begun: new sessions are refused with 503. */
  readonly accepting: () => boolean;
  readonly onAttempt?: AttemptListener;
  /** Told about every refusal, for metrics. */
  readonly onRefused?: (refusal: Refusal) => void;
}

/** The parts of the request URL a realtime session is about. */
export interface RealtimeRequest {
  readonly model: string | null;
  readonly intent: 'conversation' | 'transcription';
  readonly callId: string | null;
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

/** The session's middleware, around which a client secret's configuration is applied. */
function withBoundSession(
  middleware: readonly MiddlewareFactory[],
  binding: SecretBinding | null,
): readonly MiddlewareFactory[] {
  if (binding === null) return middleware;
  const bound = boundSession(binding.session);
  return [() => bound.config, ...middleware, () => bound.view];
}

/**
 * The session a request asks for, once its principal is known: a client secret fixes the model
 * and intent it was minted for; otherwise a conversation needs a model (a call attach or a
 * transcription session may do without).
 */
function sessionRequest(request: RealtimeRequest, principal: Principal): RealtimeRequest | Refusal {
  const bound = principal.secret?.binding;
  if (bound !== undefined) {
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
  if (request.model === null && request.intent === 'conversation' && request.callId === null) {
    return refusal(400, 'missing_required_parameter', "Missing required parameter: 'model'.", {
      param: 'model',
    });
  }
  return request;
}

/**
 * Handles one upgrade request for `/v1/realtime`.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => void handleRealtimeUpgrade(ctx, req, socket, head));
 */
export async function handleRealtimeUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  // The first answer wins: a refusal after the guard's timeout (or the reverse) is not sent twice.
  const answer = { given: false };
  const refuse = (r: Refusal): void => {
    if (answer.given) return;
    answer.given = true;
    settle();
    ctx.onRefused?.(r);
    ctx.log.info({ status: r.status, code: r.code }, 'session refused');
    writeRefusal(socket, r);
  };
  const settle = guardUpgrade(socket, ctx.config.limits.upgradeTimeoutMs, () =>
    refuse(
      refusal(504, 'upgrade_timeout', 'The session could not be set up in time.', { type: 'server_error' }),
    ),
  );
  try {
    await admit(ctx, { req, socket, head }, answer, refuse, settle);
  } catch (error) {
    // A fault of the gateway's own. Before the upgrade the client gets an HTTP 500; after it,
    // the socket speaks WebSocket, so it is dropped rather than written an HTTP answer into.
    ctx.log.error({ err: describeError(error) }, 'session setup failed');
    if (!answer.given) refuse(refusal(500, 'internal_error', 'The gateway failed to set up the session.'));
    else socket.destroy();
  }
}

/** The request being upgraded. */
interface Upgrade {
  readonly req: IncomingMessage;
  readonly socket: Socket;
  readonly head: Buffer;
}

async function admit(
  ctx: UpgradeContext,
  { req, socket, head }: Upgrade,
  answer: { given: boolean },
  refuse: (r: Refusal) => void,
  settle: () => void,
): Promise<void> {
  if (!ctx.accepting()) return refuse(refusal(503, 'shutting_down', 'The gateway is shutting down.'));
  // Before any upstream work, rate-limit token or quota slot: ws must not be left to refuse a
  // handshake that already cost an upstream session.
  const handshake = checkHandshake(req);
  if (handshake !== null) return refuse(handshake);
  const foreign = ctx.origins.check(req);
  if (foreign !== null) return refuse(foreign);
  const target = parseTarget(req.url);
  if (isRefusal(target)) return refuse(target);
  const query = parseRealtimeQuery(target.query);
  if ('status' in query) return refuse(query);

  const authResult = await ctx.auth.admitSession(req.headers);
  if (!authResult.ok) return refuse(authResult.refusal);
  const principal = authResult.principal;
  const secret = principal.secret;
  // A session refused after its secret was taken does not cost the client the secret.
  const giveBack = (): void => {
    secret?.giveBack().catch((error: unknown) => {
      ctx.log.warn({ err: describeError(error) }, 'a client secret could not be given back');
    });
  };
  const deny = (r: Refusal): void => {
    giveBack();
    refuse(r);
  };
  const request = sessionRequest(query, principal);
  if ('status' in request) return deny(request);
  const model = request.model ?? '';
  if (request.model !== null) {
    const forbidden = ctx.auth.authorizeModel(principal, request.model);
    if (forbidden !== null) return deny(forbidden);
  }
  const plan = await ctx.router.plan(model);
  if ('status' in plan) return deny(plan);
  const limited = await ctx.auth.takeSessionToken(principal);
  if (limited !== null) return deny(limited);
  const slot = await ctx.quota.acquire(
    principal.keyId,
    principal.key?.maxSessions ?? ctx.config.limits.maxSessionsPerKey,
  );
  if ('status' in slot) return deny(slot);

  // The client may give up while the upstream is being dialled.
  let clientGone = false;
  const onGone = (): void => {
    clientGone = true;
  };
  socket.once('close', onGone);
  const dialled = await dialWithFailover(ctx.router, plan, {
    intent: request.intent,
    callId: request.callId,
    sendModel: request.model !== null,
    passthroughKey: principal.upstreamKey,
    maxPayload: ctx.config.limits.maxBufferedBytes,
    ...(ctx.onAttempt ? { onAttempt: ctx.onAttempt } : {}),
  });
  socket.off('close', onGone);
  if ('status' in dialled) {
    slot.release();
    return deny(dialled);
  }
  let released = false;
  const releaseAll = (): void => {
    if (released) return;
    released = true;
    slot.release();
    dialled.slot.release();
  };
  if (!ctx.accepting()) {
    dialled.leg.destroy();
    releaseAll();
    return deny(refusal(503, 'shutting_down', 'The gateway is shutting down.'));
  }
  if (clientGone || socket.destroyed || answer.given) {
    dialled.leg.destroy();
    releaseAll();
    giveBack();
    return;
  }

  const info: SessionInfo = {
    sessionId: newSessionId(),
    model,
    upstreamModel: plan.upstreamModel,
    upstreamName: dialled.upstream.name,
    keyId: principal.keyId,
    intent: request.intent,
  };
  const session = new Session({
    info,
    limits: ctx.config.limits,
    middleware: withBoundSession(ctx.middleware, secret?.binding ?? null),
    observer: ctx.observer,
    log: ctx.log,
    onEnd: () => {
      releaseAll();
      ctx.registry.remove(info.sessionId);
    },
  });
  ctx.registry.add(session);
  let upgraded = false;
  // The handshake was checked, but the client may still go away before ws completes it.
  socket.once('close', () => {
    if (upgraded) return;
    giveBack();
    session.refuse();
    dialled.leg.destroy();
    releaseAll();
    ctx.registry.remove(info.sessionId);
  });
  ctx.wss.handleUpgrade(req, socket, head, (client) => {
    upgraded = true;
    answer.given = true;
    settle();
    try {
      session.start(new WebSocketLeg(client), dialled.leg);
    } catch (error) {
      // Nothing of the session can be trusted now: both sockets go, and the slots are freed.
      ctx.log.error({ sessionId: info.sessionId, err: describeError(error) }, 'session start failed');
      client.terminate();
      dialled.leg.destroy();
      releaseAll();
      ctx.registry.remove(info.sessionId);
    }
  });
}
