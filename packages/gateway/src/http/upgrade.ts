/**
 * The `GET /v1/realtime` and `GET /v1/realtime/translations` upgrades, upstream first: every
 * check and the upstream connection happen while the client still waits for its HTTP answer,
 * so any refusal reaches it as an HTTP status with an OpenAI-style JSON body, never as a
 * WebSocket that opens and drops.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocketServer } from 'ws';
import { everyCallTerminated } from '../config/resolve.js';
import { resumeRefusal } from '../continuity/resume-token.js';
import { WebSocketLeg } from '../legs/websocket-leg.js';
import { callNotFound, type Refusal, refusal } from '../refusal.js';
import { CloseCode } from '../session/close-codes.js';
import type { Session } from '../session/session.js';
import { CALL_ENTRY, SESSION_ENTRY } from '../store/store.js';
import { describeError } from '../vocabulary/session.js';
import type { Forwarding } from './forwarding.js';
import { checkHandshake } from './handshake.js';
import type { OriginPolicy } from './origins.js';
import { withFields } from './request-context.js';
import { writeRefusal } from './respond.js';
import { answerResumeToken, notResumable, type ResumeRequest, resumeRequestOf } from './resume-request.js';
import { TRANSLATIONS_PATH } from './server.js';
import {
  type AdmissionContext,
  admitSession,
  parseRealtimeQuery,
  parseTranslationQuery,
} from './session-admission.js';
import { isRefusal, parseTarget } from './target.js';
import { guardUpgrade } from './upgrade-guard.js';

export { parseRealtimeQuery, type RealtimeRequest } from './session-admission.js';

/** A live call this process terminates, as a sideband connection finds it. */
type LiveCall = { readonly session: Session; readonly keyId: string | null };

/** What the upgrade handler works with. */
export interface UpgradeContext extends AdmissionContext {
  readonly wss: WebSocketServer;
  /** Which browser origins may open sessions. */
  readonly origins: OriginPolicy;
  /** Told about every refusal, for metrics. */
  readonly onRefused?: (refusal: Refusal) => void;
  /** The live call of an id, when this process terminates it (see `CallsEndpoint.sideband`). */
  readonly sideband?: (callId: string) => LiveCall | null;
  /** Passes sideband connections and resumes to the process holding them; absent with one process. */
  readonly forwarding?: Forwarding;
}

/**
 * Handles one upgrade request for `/v1/realtime`.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => void handleRealtimeUpgrade(ctx, req, socket, head));
 */
export async function handleRealtimeUpgrade(
  gateway: UpgradeContext,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  // Every line about this request, and the session it opens, says which request and client.
  const ctx: UpgradeContext = { ...gateway, log: withFields(gateway.log, gateway.proxies.contextOf(req)) };
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
  const query =
    target.path === TRANSLATIONS_PATH
      ? parseTranslationQuery(target.query)
      : parseRealtimeQuery(target.query);
  if ('status' in query) return refuse(query);
  const resuming = resumeRequestOf(req);
  if (resuming !== null)
    return resumeSession(ctx, { req, socket, head }, resuming, { answer, refuse, settle });
  const call = query.callId === null ? null : (ctx.sideband?.(query.callId) ?? null);
  if (call !== null) {
    joinCall(ctx, { req, socket, head }, { call, callId: query.callId!, answer, refuse, settle });
    return;
  }
  if (
    query.callId !== null &&
    (await passedOn(ctx, { req, socket, head }, CALL_ENTRY, query.callId, answer, settle))
  )
    return;
  // With no upstream running calls of its own, a call the gateway does not hold is no call.
  if (query.callId !== null && everyCallTerminated(ctx.config)) return refuse(callNotFound(query.callId));

  // The client may give up while the upstream is being dialled.
  let clientGone = false;
  const onGone = (): void => {
    clientGone = true;
  };
  socket.once('close', onGone);
  const admitted = await admitSession(ctx, {
    log: ctx.log,
    headers: req.headers,
    query,
    gone: () => clientGone || socket.destroyed || answer.given,
  });
  socket.off('close', onGone);
  if (admitted === null) return;
  if ('status' in admitted) return refuse(admitted);
  const { session, upstream } = admitted;
  // The handshake was checked, but the client may still go away before ws completes it.
  // (Removed once upgraded: for the session's life it would keep this whole setup alive.)
  const onClosedEarly = (): void => admitted.abandon(true);
  socket.once('close', onClosedEarly);
  if (admitted.resumeToken !== null) answerResumeToken(req, admitted.resumeToken);
  ctx.wss.handleUpgrade(req, socket, head, (client) => {
    socket.off('close', onClosedEarly);
    answer.given = true;
    settle();
    try {
      session.start(new WebSocketLeg(client), upstream);
    } catch (error) {
      // Nothing of the session can be trusted now: both sockets go, and the slots are freed.
      ctx.log.error({ sessionId: session.id, err: describeError(error) }, 'session start failed');
      client.terminate();
      admitted.abandon(false);
    }
  });
}

/**
 * `GET /v1/realtime` with a resume token: the client of a session whose connection dropped
 * takes it back, with the credentials of the key that opened it (a fresh client secret minted
 * for that key does). Everything is checked before the upgrade, so a refusal is an HTTP answer.
 */
async function resumeSession(
  ctx: UpgradeContext,
  { req, socket, head }: Upgrade,
  resuming: ResumeRequest,
  answering: {
    readonly answer: { given: boolean };
    readonly refuse: (r: Refusal) => void;
    readonly settle: () => void;
  },
): Promise<void> {
  // A session another process holds is resumed there, credentials and all (a client secret
  // must not be spent here first).
  const sessionId = ctx.resumeTokens.sessionOf(resuming.token);
  if (
    sessionId !== null &&
    !ctx.registry.has(sessionId) &&
    (await passedOn(ctx, { req, socket, head }, SESSION_ENTRY, sessionId, answering.answer, answering.settle))
  )
    return;
  const who = await ctx.auth.admitSession(req.headers);
  if (!who.ok) return answering.refuse(who.refusal);
  const secret = who.principal.secret;
  const deny = (r: Refusal): void => {
    secret?.giveBack().catch((error: unknown) => {
      ctx.log.warn({ err: describeError(error) }, 'a client secret could not be given back');
    });
    answering.refuse(r);
  };
  const grant = ctx.resumeTokens.check(resuming.token, who.principal.keyId ?? '', Date.now());
  if (!grant.ok) return deny(resumeRefusal(grant));
  const blocked = ctx.registry.resumeCheck(grant.sessionId, resuming.lastEventId);
  if (blocked !== null) return deny(notResumable(blocked, resuming.lastEventId));
  ctx.wss.handleUpgrade(req, socket, head, (client) => {
    answering.answer.given = true;
    answering.settle();
    const leg = new WebSocketLeg(client);
    // The session may have ended, or been resumed by another connection, during the handshake.
    const refused = ctx.registry.resume(grant.sessionId, leg, resuming.lastEventId);
    if (refused !== null) leg.close(CloseCode.internalError, 'the session can no longer be resumed');
  });
}

/**
 * Passes the upgrade to the process that holds `kind`/`id`, when another process of the
 * deployment does; false (nothing done) when it is held here, by no one, or with one process.
 */
async function passedOn(
  ctx: UpgradeContext,
  { req, socket, head }: Upgrade,
  kind: string,
  id: string,
  answer: { given: boolean },
  settle: () => void,
): Promise<boolean> {
  if (ctx.forwarding === undefined) return false;
  const peer = await ctx.forwarding.holderOf(kind, id, req);
  if (peer === null) return false;
  // From here the holder answers the handshake; its own guard bounds it.
  answer.given = true;
  settle();
  ctx.forwarding.forwardUpgrade(req, socket, head, peer);
  return true;
}

/**
 * `GET /v1/realtime?call_id=…` for a call the gateway terminates: a sideband connection, as
 * OpenAI's, with a gateway key of the call's owner. It hears what the call's upstream sends and
 * may send client events (instructions, tools) into the call's session; its leaving does not end
 * the call. Another key's call is refused as unknown.
 */
function joinCall(
  ctx: UpgradeContext,
  { req, socket, head }: Upgrade,
  join: {
    readonly call: LiveCall;
    readonly callId: string;
    readonly answer: { given: boolean };
    readonly refuse: (r: Refusal) => void;
    readonly settle: () => void;
  },
): void {
  const who = ctx.auth.authenticate(req.headers);
  if (!who.ok) {
    join.refuse(who.refusal);
    return;
  }
  if (who.principal.keyId !== join.call.keyId) {
    join.refuse(callNotFound(join.callId));
    return;
  }
  ctx.wss.handleUpgrade(req, socket, head, (client) => {
    join.answer.given = true;
    join.settle();
    const leg = new WebSocketLeg(client);
    if (!join.call.session.attach(leg)) leg.close(1011, 'the call has ended');
    else ctx.log.info({ sessionId: join.call.session.id }, 'sideband joined a call');
  });
}
