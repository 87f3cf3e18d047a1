/**
 * `POST /v1/realtime/calls` answered by the gateway, for models served by upstreams set to
 * `webrtc: terminate` (the reference engine, any WebSocket-only server): the offer is checked,
 * the session admitted as a WebSocket one is (auth, a client secret's configuration, plan,
 * limits, the upstream dialled), the call's own slot taken, and the SDP answer returned with
 * `Location: /v1/realtime/calls/{call_id}`. The call is then a {@link Session} whose client leg
 * is a {@link WebRtcLeg}, so middleware, MCP tools, metrics and limits act inside it unchanged.
 *
 * `POST /v1/realtime/calls/{id}/hangup` ends such a call, and `…/reject` one whose peer has not
 * connected yet. Requests for calls the gateway did not terminate are left to REST forwarding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from '@realtime-gateway/protocol';
import { extractCredential } from '../auth/credentials.js';
import type { SessionQuota, SessionSlot } from '../auth/quota.js';
import { everyCallTerminated } from '../config/resolve.js';
import type { Forwarding } from '../http/forwarding.js';
import { withFields } from '../http/request-context.js';
import { sendRefusal } from '../http/respond.js';
import { type AdmissionContext, admitSession } from '../http/session-admission.js';
import type { RequestTarget } from '../http/target.js';
import type { Pacer } from '../media/pacer.js';
import { callNotFound, refusal } from '../refusal.js';
import { findModel, readBody } from '../rest/body.js';
import { isClientSecret } from '../secrets/client-secrets.js';
import type { Session } from '../session/session.js';
import type { StoreHolder } from '../store/holder.js';
import { CALL_ENTRY } from '../store/store.js';
import { describeError } from '../vocabulary/session.js';
import { callAudioFormats } from './audio-formats.js';
import { Call } from './call.js';
import { readOffer } from './offer-request.js';
import type { AnsweredPeer } from './peer.js';

export const CALLS_PATH = '/v1/realtime/calls';
/** As REST forwarding reads control paths: an id of URL-safe characters, then the action. */
const CONTROL = /^\/v1\/realtime\/calls\/([A-Za-z0-9_-]+)\/(accept|hangup|refer|reject)$/;
/** The model OpenAI gives a call that names none; routing decides with it. */
const DEFAULT_MODEL = 'gpt-realtime';

let callMedia: Promise<typeof import('./call-media.js')> | null = null;

/** werift and opusscript, loaded at the first call (a broken install is tried again at the next). */
function loadCallMedia(): Promise<typeof import('./call-media.js')> {
  callMedia ??= import('./call-media.js');
  callMedia.catch(() => {
    callMedia = null;
  });
  return callMedia;
}

/** What the calls endpoint works with. */
export interface CallsContext extends AdmissionContext {
  readonly holder: StoreHolder;
  /** Concurrent calls, in total and per key (`webrtc.maxCalls`, `keys[].maxCalls`). */
  readonly callQuota: SessionQuota;
  readonly pacer: Pacer;
  /** Passes control requests for calls another process holds to it; absent with one process. */
  readonly forwarding?: Forwarding;
}

/** Whether the endpoint answered, or the body it read for the forwarding that comes next. */
export type CallsOutcome = { readonly taken: true } | { readonly taken: false; readonly body?: Buffer };

const NOT_TAKEN: CallsOutcome = { taken: false };
const TAKEN: CallsOutcome = { taken: true };

/**
 * @example
 * const calls = new CallsEndpoint(() => ctx);
 * const outcome = await calls.handle(req, res, target);
 * if (!outcome.taken) forward(req, res, outcome.body);
 */
export class CallsEndpoint {
  private readonly calls = new Map<string, Call>();
  /** The session each live call is bridged to, for sideband connections. */
  private readonly sessions = new Map<string, Session>();

  /**
   * `context` gives the gateway's settings of the moment (its configuration is reloadable): each
   * request is answered with the settings it found, and a live call keeps those it started with.
   */
  constructor(private readonly context: () => CallsContext) {}

  /** Calls live in this process. */
  get size(): number {
    return this.calls.size;
  }

  /**
   * A live call this process terminates, for a sideband connection (`GET /v1/realtime?call_id=`):
   * its session and the key it belongs to; null when no such call lives here.
   *
   * @example
   * const call = calls.sideband('rtc_123');
   * if (call !== null && call.keyId === principal.keyId) call.session.attach(new WebSocketLeg(socket));
   */
  sideband(id: string): { readonly session: Session; readonly keyId: string | null } | null {
    const call = this.calls.get(id);
    const session = this.sessions.get(id);
    if (call === undefined || session === undefined || call.state === 'ended') return null;
    return { session, keyId: call.keyId };
  }

  async handle(req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<CallsOutcome> {
    if (req.method !== 'POST') return NOT_TAKEN;
    const current = this.context();
    // Every line about this request, and a call's session, says which request and client.
    const ctx = { ...current, log: withFields(current.log, current.proxies.contextOf(req)) };
    if (target.path === CALLS_PATH) return this.create(ctx, req, res, target);
    const control = CONTROL.exec(target.path);
    if (control === null) return NOT_TAKEN;
    return this.control(ctx, req, res, control[1]!, control[2]!);
  }

  // ------------------------------------------------------------------------------------------

  /** Whether the gateway answers this offer itself rather than forwarding it. */
  private async terminates(ctx: CallsContext, req: IncomingMessage, model: string | null): Promise<boolean> {
    const credential = extractCredential(req.headers);
    // A client secret is the gateway's own unless keys pass through (then it is the upstream's).
    if (credential !== null && isClientSecret(credential.key) && ctx.config.auth.mode !== 'passthrough')
      return true;
    const plan = await ctx.router.plan(model ?? DEFAULT_MODEL);
    return !('status' in plan) && plan.candidates[0]?.webrtc === 'terminate';
  }

  private async create(
    ctx: CallsContext,
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
  ): Promise<CallsOutcome> {
    const limit = ctx.config.limits.maxRestBodyBytes;
    const body = await readBody(req, limit);
    if (body === null) {
      sendRefusal(res, refusal(413, 'request_too_large', `The request body is larger than ${limit} bytes.`));
      return TAKEN;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!(await this.terminates(ctx, req, findModel(body, contentType, target.query))))
      return { taken: false, body };

    // The offer is checked before the client secret is taken: a bad offer costs nothing.
    const offer = readOffer(body, contentType, target.query);
    if ('status' in offer) {
      sendRefusal(res, offer);
      return TAKEN;
    }
    const { MediaStreamTrack, WebRtcLeg, answerOffer, createOpusCodec } = await loadCallMedia();
    let callSlot: SessionSlot | null = null;
    let call: Call | null = null;
    const admitted = await admitSession(ctx, {
      log: ctx.log,
      headers: req.headers,
      query: { model: offer.model, intent: 'conversation', callId: null },
      transport: 'webrtc',
      session: offer.session,
      middleware: [callAudioFormats],
      gone: () => req.socket.destroyed,
      precheck: async (principal) => {
        const slot = await ctx.callQuota.acquire(
          principal.keyId,
          principal.key?.maxCalls ?? ctx.config.webrtc.maxCallsPerKey,
        );
        if ('status' in slot) return slot;
        callSlot = slot;
        return null;
      },
      onEnd: (cause) => call?.apply({ type: cause === 'client_lost' ? 'lost' : 'session_ended' }),
    });
    const releaseCall = (): void => (callSlot as SessionSlot | null)?.release();
    if (admitted === null) {
      releaseCall();
      return TAKEN;
    }
    if ('status' in admitted) {
      releaseCall();
      sendRefusal(res, admitted);
      return TAKEN;
    }

    const speaker = new MediaStreamTrack({ kind: 'audio' });
    let answered: AnsweredPeer;
    try {
      answered = await answerOffer(offer.sdp, ctx.config.webrtc, speaker);
    } catch (error) {
      ctx.log.info({ err: describeError(error) }, 'an SDP offer could not be answered');
      admitted.abandon(true);
      releaseCall();
      sendRefusal(
        res,
        refusal(400, 'invalid_offer', 'The SDP offer could not be answered.', { param: 'sdp' }),
      );
      return TAKEN;
    }
    if (req.socket.destroyed) {
      await answered.peer.close().catch(() => {});
      admitted.abandon(true);
      releaseCall();
      return TAKEN;
    }

    const id = newId('rtc');
    const leg = new WebRtcLeg({
      peer: answered.peer,
      audio: answered.audio,
      speaker,
      codec: createOpusCodec(),
      pacer: ctx.pacer,
      idleTimeoutMs: ctx.config.webrtc.idleTimeoutMs,
      onConnected: () => call?.apply({ type: 'connect' }),
    });
    call = new Call({
      id,
      keyId: admitted.principal.keyId,
      sessionId: admitted.session.id,
      leg,
      connectTimeoutMs: ctx.config.webrtc.connectTimeoutMs,
      log: ctx.log,
      onEnd: () => {
        releaseCall();
        this.calls.delete(id);
        this.sessions.delete(id);
        ctx.holder.forget(CALL_ENTRY, id).catch((error: unknown) => {
          ctx.log.warn({ err: describeError(error) }, 'the store did not take a directory change');
        });
      },
    });
    this.calls.set(id, call);
    this.sessions.set(id, admitted.session);
    ctx.holder.claim(CALL_ENTRY, id).catch((error: unknown) => {
      ctx.log.warn({ err: describeError(error) }, 'the store did not take a directory change');
    });
    try {
      admitted.session.start(leg, admitted.upstream);
    } catch (error) {
      // As on the WebSocket path: nothing of the session can be trusted, so everything goes.
      ctx.log.error({ callId: id, err: describeError(error) }, 'session start failed');
      leg.destroy();
      admitted.abandon(false);
      call.apply({ type: 'session_ended' });
      sendRefusal(res, refusal(500, 'internal_error', 'The gateway failed to set up the call.'));
      return TAKEN;
    }
    ctx.log.info({ callId: id, sessionId: admitted.session.id }, 'call answered');
    res.writeHead(201, {
      'content-type': 'application/sdp',
      location: `${CALLS_PATH}/${id}`,
      'cache-control': 'no-store',
    });
    res.end(answered.answer);
    return TAKEN;
  }

  private async control(
    ctx: CallsContext,
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    action: string,
  ): Promise<CallsOutcome> {
    const call = this.calls.get(id);
    if (call === undefined) {
      const peer = (await ctx.forwarding?.holderOf(CALL_ENTRY, id, req)) ?? null;
      if (peer !== null) {
        await ctx.forwarding!.forwardRequest(req, res, peer);
        return TAKEN;
      }
      if (!(await this.answersUnknownCalls(ctx, id))) return NOT_TAKEN;
    }
    const who = ctx.auth.authenticate(req.headers);
    if (!who.ok) {
      sendRefusal(res, who.refusal);
      return TAKEN;
    }
    // Another key's call is answered as no call at all: its existence is not told.
    if (call === undefined || (ctx.config.auth.mode === 'keys' && call.keyId !== who.principal.keyId)) {
      sendRefusal(res, callNotFound(id));
      return TAKEN;
    }
    if (action === 'hangup') call.apply({ type: 'hangup' });
    else if (action === 'reject') {
      if (!call.apply({ type: 'reject' })) {
        sendRefusal(
          res,
          refusal(409, 'call_already_connected', `The call '${id}' is connected; hang it up instead.`),
        );
        return TAKEN;
      }
    } else {
      sendRefusal(
        res,
        refusal(400, 'unsupported_call_action', `'${action}' applies to SIP calls, not to WebRTC calls.`),
      );
      return TAKEN;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
    return TAKEN;
  }

  /**
   * Whether a control request for a call not in this process is still the gateway's to answer:
   * a call another process of the deployment terminated (found in the store's directory), or
   * any call when no upstream forwards calls (the request could go nowhere else).
   */
  private async answersUnknownCalls(ctx: CallsContext, id: string): Promise<boolean> {
    if (everyCallTerminated(ctx.config)) return true;
    try {
      return (await ctx.holder.store.locate(CALL_ENTRY, id)) !== null;
    } catch {
      return false;
    }
  }
}
