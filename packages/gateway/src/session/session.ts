/**
 * One session: a client leg and an upstream leg joined by a middleware pipeline in each
 * direction. The relay is written once; {@link Side} is one direction of it.
 *
 * Backpressure: when a leg a frame goes to has more than `highWaterBytes` queued, the session
 * stops reading from the legs frames to it come from, and resumes once the queue has drained to
 * half of that. Frames already read (and events middleware inject) still queue; if a queue
 * passes `maxBufferedBytes` the session is closed with 1013. A middleware that holds frames
 * pauses its direction's source in the same way; past `maxHeldFrames` held frames the session
 * is closed with 1013.
 */
import {
  type ClientEvent,
  errorEvent,
  parseClientEvent,
  parseServerEvent,
  peekEvent,
  type ServerEvent,
  type WireError,
} from '@realtime-gateway/protocol';
import type { Leg, LegListener } from '../legs/leg.js';
import type { RelayLimits } from '../vocabulary/limits.js';
import { type Direction, describeError, type SessionInfo } from '../vocabulary/session.js';
import { NO_TRACE, type SessionTrace } from '../vocabulary/trace.js';
import { CloseCode, relayableCloseCode } from './close-codes.js';
import type { Frame, LegReport, Middleware, MiddlewareContext, MiddlewareFactory } from './middleware.js';
import { FORWARD } from './middleware.js';
import { NO_LOG, NO_OBSERVER, type SessionLog, type SessionObserver } from './observer.js';
import { type EventParser, Flow, type FlowSink, type PipelineEvent, type Stage } from './pipeline.js';
import type { ResumeRefused, SessionSnapshot, SessionStats } from './registry.js';
import { ResumeWindow } from './resume-window.js';
import { type EndCause, isRelaying, type SessionEvent, type SessionState, transition } from './state.js';

/** Everything a session needs besides its legs. */
export interface SessionOptions {
  readonly info: SessionInfo;
  readonly limits: RelayLimits;
  /** In order; each direction runs them in this order. */
  readonly middleware?: readonly MiddlewareFactory[];
  readonly observer?: SessionObserver;
  readonly log?: SessionLog;
  /** Called once, when the legs are closed; releases quotas and router slots. */
  readonly onEnd?: (session: Session, cause: EndCause) => void;
  readonly now?: () => number;
  /** The session's trace, for its middleware to add spans to; ended by whoever made it. */
  readonly trace?: SessionTrace;
  /**
   * Asked when the upstream connection ends while the session is open: true when it takes
   * over (the session then waits, `replacing`, for {@link Session.replaceUpstream} or
   * {@link Session.failReplacement}); false, or absent, and the session ends as the upstream did.
   */
  readonly upstreamEnded?: UpstreamLossHandler;
  /**
   * Client resume: a client connection that drops without a close frame leaves the session
   * `detached` for `graceMs`, its upstream going on, until {@link Session.resume}; the last
   * `windowBytes` of what was sent to the client are kept for it. Absent: the session ends.
   */
  readonly resume?: { readonly graceMs: number; readonly windowBytes: number } | null;
  /**
   * How the session reads its frames for middleware: GA's events ({@link GA_PROTOCOL}, the
   * default), or a translation session's (see `translation/protocol.ts`).
   */
  readonly protocol?: SessionProtocol;
}

/**
 * How a session's frames are parsed for its middleware, one parser a direction. A session kind
 * whose events are not GA's gives `event: null` for every frame, so no middleware written for
 * GA events mistakes one of its frames for one, and reports problems with its own parser.
 */
export interface SessionProtocol {
  readonly client: EventParser<ClientEvent>;
  readonly server: EventParser<ServerEvent>;
}

/** How an upstream connection ended: its close frame, or `lost` without one. */
export interface UpstreamLoss {
  readonly code: number;
  readonly reason: string;
  readonly lost: boolean;
}

/** See {@link SessionOptions.upstreamEnded}. */
export type UpstreamLossHandler = (session: Session, loss: UpstreamLoss) => boolean;

/** What the session knows of one upstream connection it had. */
export interface UpstreamConnection {
  readonly upstream: string;
  /** The upstream's own id for the session, once known. */
  upstreamSessionId: string | null;
  /** Milliseconds since the epoch. */
  readonly connectedAt: number;
  endedAt: number | null;
  /** How it ended: `lost`, `closed <code>`, `replaced`, or null while it serves. */
  ended: string | null;
}

/** Why reading from a leg is paused; reading resumes when no reason is left. */
const PAUSED_FOR_BACKPRESSURE = 1;
const PAUSED_FOR_MIDDLEWARE = 2;
const PAUSED_FOR_REPLACEMENT = 4;

interface WaitingFrame {
  readonly data: Buffer | string;
  readonly isBinary: boolean;
}

/** A leg as the session keeps it. */
interface Attached {
  readonly leg: Leg;
  readonly role: 'client' | 'attachment' | 'upstream';
  /** Bitmask of PAUSED_FOR_*. */
  paused: number;
  /** Answered the last liveness probe. */
  alive: boolean;
}

const parseClient: EventParser<ClientEvent> = (input) => {
  const result = parseClientEvent(input);
  if (!result.ok) return { event: null, problem: result.error };
  return { event: result.known ? result.event : null, problem: null };
};

/** A session's attachments before it has any: shared, and never added to. */
const NO_ATTACHMENTS: ReadonlySet<Attached> = new Set();

const parseServer: EventParser<ServerEvent> = (input) => {
  const result = parseServerEvent(input);
  if (!result.ok) return { event: null, problem: result.error };
  return { event: result.known ? result.event : null, problem: null };
};

/** The GA protocol: conversations and transcription sessions. */
export const GA_PROTOCOL: SessionProtocol = { client: parseClient, server: parseServer };

/**
 * A session with an explicit lifecycle: constructed `connecting`, {@link start}ed with its legs,
 * ended by either peer, a limit, an operator or shutdown.
 *
 * @example
 * const session = new Session({ info, limits, middleware: [inputChecking(config)] });
 * registry.add(session);
 * session.start(new WebSocketLeg(clientSocket), upstreamLeg);
 */
export class Session {
  readonly id: string;
  /** Who the session is; its `upstreamName` follows the session to each new upstream. */
  get info(): SessionInfo {
    return this.identity;
  }
  private identity: SessionInfo;
  readonly stats: SessionStats = { clientFrames: 0, clientBytes: 0, upstreamFrames: 0, upstreamBytes: 0 };
  readonly startedAt: number;
  /** The session's trace (a no-op one when telemetry is off). */
  readonly trace: SessionTrace;
  private stateValue: SessionState = 'connecting';
  private endCause: EndCause | null = null;
  private client: Attached | null = null;
  private upstream: Attached | null = null;
  /** Made at the first attachment. */
  private attachments = NO_ATTACHMENTS as Set<Attached>;
  private readonly limits: RelayLimits;
  private readonly observer: SessionObserver;
  private readonly log: SessionLog;
  private readonly onEnd: SessionOptions['onEnd'];
  private readonly now: () => number;
  private readonly middleware: SessionContext[] = [];
  /** The middleware that want {@link LegReport}s of the client's transport. */
  private readonly legWatchers: SessionContext[] = [];
  /** Made when a middleware first asks for its signal. */
  private abort: AbortController | null = null;
  /** Client → upstream. */
  private readonly upward: Flow<ClientEvent>;
  /** Upstream → client. */
  private readonly downward: Flow<ServerEvent>;
  // Liveness, checked by tick(): no per-frame clock reads.
  private lastActive: number;
  private lastFrameTotal = 0;
  private lastPing: number;
  private warned = false;
  private upstreamSessionId: string | null = null;
  private readonly upstreamEnded: UpstreamLossHandler | undefined;
  /** Every upstream connection the session had, the current one last. */
  private readonly connections: UpstreamConnection[];
  /**
   * While the upstream is replaced: frames the clients sent, kept before the pipeline (so
   * middleware see them with the new upstream in place), and events middleware sent upstream;
   * bounded together by `maxBufferedBytes`. Made at the first replacement.
   */
  private waiting: { fromClients: WaitingFrame[]; injected: WaitingFrame[]; bytes: number } | null = null;
  /** What was sent to the client lately, for a resume; null without client resume. */
  private readonly resumeWindow: ResumeWindow | null;
  private readonly graceMs: number;
  /** While `detached`: when the client went, and the first frame it has not been sent. */
  private detachedAt = 0;
  private detachedFrom = 0;

  constructor(options: SessionOptions) {
    this.identity = options.info;
    this.id = options.info.sessionId;
    this.limits = options.limits;
    this.observer = options.observer ?? NO_OBSERVER;
    this.log = options.log ?? NO_LOG;
    this.onEnd = options.onEnd;
    this.trace = options.trace ?? NO_TRACE;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastActive = this.startedAt;
    this.lastPing = this.startedAt;
    this.upstreamEnded = options.upstreamEnded;
    const resume = options.resume ?? null;
    this.resumeWindow = resume === null ? null : new ResumeWindow(resume.windowBytes);
    this.graceMs = resume?.graceMs ?? 0;
    this.connections = [
      {
        upstream: options.info.upstreamName,
        upstreamSessionId: null,
        connectedAt: this.startedAt,
        endedAt: null,
        ended: null,
      },
    ];
    for (const factory of options.middleware ?? []) {
      const middleware = factory(this.info);
      if (middleware !== null)
        this.middleware.push(new SessionContext(this, this.middleware.length, middleware));
    }
    this.middleware.push(new SessionContext(this, this.middleware.length, UPSTREAM_IDENTITY));
    for (const ctx of this.middleware)
      if (ctx.middleware.onClientLeg !== undefined) this.legWatchers.push(ctx);
    const clientStages: Stage<ClientEvent>[] = [];
    const upstreamStages: Stage<ServerEvent>[] = [];
    for (const ctx of this.middleware) {
      const { index, middleware } = ctx;
      const { name, onClient, onUpstream, recognize } = middleware;
      // Handlers are called with their middleware as `this`, not bound: nothing made per session.
      if (onClient !== undefined && middleware.client !== undefined)
        clientStages.push({
          index,
          name,
          wants: middleware.client,
          middleware,
          handle: onClient,
          ctx,
          recognize,
        });
      if (onUpstream !== undefined && middleware.upstream !== undefined)
        upstreamStages.push({ index, name, wants: middleware.upstream, middleware, handle: onUpstream, ctx });
    }
    const maxHeld = this.limits.maxHeldFrames;
    const protocol = options.protocol ?? GA_PROTOCOL;
    this.upward = new Flow({
      direction: 'client_to_upstream',
      stages: clientStages,
      parse: protocol.client,
      maxHeld,
      sink: this.sinkFor('client_to_upstream'),
    });
    this.downward = new Flow({
      direction: 'upstream_to_client',
      stages: upstreamStages,
      parse: protocol.server,
      maxHeld,
      sink: this.sinkFor('upstream_to_client'),
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** Why the session ended, once it has. */
  get cause(): EndCause | null {
    return this.endCause;
  }

  snapshot(): SessionSnapshot {
    return {
      id: this.id,
      model: this.info.model,
      upstreamModel: this.info.upstreamModel,
      upstream: this.info.upstreamName,
      keyId: this.info.keyId,
      intent: this.info.intent,
      startedAt: new Date(this.startedAt).toISOString(),
      state: this.stateValue,
      transport: this.client?.leg.transport ?? null,
      upstreamSessionId: this.upstreamSessionId,
      upstreams: this.connections.map((connection) => ({
        ...connection,
        connectedAt: new Date(connection.connectedAt).toISOString(),
        endedAt: connection.endedAt === null ? null : new Date(connection.endedAt).toISOString(),
      })),
      ...this.stats,
    };
  }

  /**
   * Starts relaying: middleware open (what they send the client comes first), then frames the
   * upstream leg held since it opened are relayed, then both legs are read.
   */
  start(client: Leg, upstream: Leg): void {
    if (!this.apply({ type: 'open' })) return;
    this.client = { leg: client, role: 'client', paused: 0, alive: true };
    this.upstream = { leg: upstream, role: 'upstream', paused: 0, alive: true };
    this.observer.sessionStarted(this.info);
    this.log.info(
      { sessionId: this.id, model: this.info.model, upstream: this.info.upstreamName },
      'session started',
    );
    client.attach(this.listenerFor(this.client));
    if (upstream.isOpen) {
      for (const ctx of this.middleware) {
        const middleware = ctx.middleware;
        if (middleware.open !== undefined) this.callHook(middleware, () => middleware.open?.(ctx));
      }
    }
    upstream.attach(this.listenerFor(this.upstream));
    if (!upstream.isOpen) this.end('upstream_lost');
  }

  /**
   * Adds a further client-side leg (a sideband connection to a call): it receives what the
   * upstream sends and its frames go upstream through the same pipeline. Its closing does not
   * end the session; the session's end closes it.
   */
  attach(leg: Leg): boolean {
    if (!isRelaying(this.stateValue)) return false;
    const attached: Attached = { leg, role: 'attachment', paused: this.client?.paused ?? 0, alive: true };
    if (this.attachments === NO_ATTACHMENTS) this.attachments = new Set();
    this.attachments.add(attached);
    leg.attach(this.listenerFor(attached));
    if (attached.paused !== 0) leg.pause();
    return true;
  }

  /**
   * Puts `next` in place of the upstream leg while the client stays: the old leg, if any, is
   * detached and closed. Frames `next` held since it opened are relayed first, then what the
   * client sent while the session was `replacing`, then the client is read again.
   *
   * @example
   * // in an upstreamEnded handler that returned true, once a new upstream is ready:
   * session.replaceUpstream(leg, { upstream: 'backup', upstreamSessionId: 'sess_2' });
   */
  replaceUpstream(
    next: Leg,
    identity: { upstream?: string; upstreamSessionId?: string | null } = {},
  ): boolean {
    if (!isRelaying(this.stateValue)) return false;
    const previous = this.upstream;
    if (previous !== null) {
      previous.leg.detach();
      previous.leg.close(CloseCode.normal, 'upstream replaced');
      this.connectionEnded('replaced');
    }
    const replacing = this.stateValue === 'replacing';
    if (replacing) this.apply({ type: 'replaced' });
    const attached: Attached = { leg: next, role: 'upstream', paused: previous?.paused ?? 0, alive: true };
    this.upstream = attached;
    this.upstreamSessionId = identity.upstreamSessionId ?? null;
    if (identity.upstream !== undefined && identity.upstream !== this.identity.upstreamName)
      this.identity = { ...this.identity, upstreamName: identity.upstream };
    this.connections.push({
      upstream: identity.upstream ?? this.connections.at(-1)!.upstream,
      upstreamSessionId: this.upstreamSessionId,
      connectedAt: this.now(),
      endedAt: null,
      ended: null,
    });
    next.attach(this.listenerFor(attached));
    if (attached.paused !== 0) next.pause();
    if (replacing && this.waiting !== null) {
      const { injected, fromClients } = this.waiting;
      this.waiting = null;
      for (const frame of injected) this.sendUpstream(frame.data, frame.isBinary);
      for (const frame of fromClients)
        this.relay(this.upward, 'client_to_upstream', frame.data as Buffer, frame.isBinary);
    }
    if (replacing)
      for (const source of this.clientLegs()) this.pauseFor(source, PAUSED_FOR_REPLACEMENT, false);
    return true;
  }

  /**
   * Gives the session a new client connection: one that resumes it after its connection
   * dropped (`detached`), or that takes over from a connection still open whose loss the
   * gateway has not seen yet (the old one is closed, 4001). The client gets what it missed:
   * the frames after the event `afterEventId` when it names one, else those since the old
   * connection was seen to drop.
   *
   * @example
   * const refused = session.resume(new WebSocketLeg(socket), req.headers['x-realtime-gateway-last-event-id'] ?? null);
   * if (refused !== null) socket.close(1011, refused);
   */
  resume(leg: Leg, afterEventId: string | null): ResumeRefused | null {
    const from = this.resumeFrom(afterEventId);
    if (typeof from === 'string') return from;
    const window = this.resumeWindow!;
    const detached = this.stateValue === 'detached';
    const previous = this.client;
    if (detached) this.apply({ type: 'resumed' });
    else if (previous !== null) {
      previous.leg.detach();
      previous.leg.close(CloseCode.resumedElsewhere, 'resumed on another connection');
    }
    const attached: Attached = { leg, role: 'client', paused: previous?.paused ?? 0, alive: true };
    this.client = attached;
    leg.attach(this.listenerFor(attached));
    if (attached.paused !== 0) leg.pause();
    const missed = window.from(from);
    this.log.info(
      { sessionId: this.id, missed: missed.length, afterMs: detached ? this.now() - this.detachedAt : 0 },
      'client resumed the session',
    );
    this.observer.clientResume(this.info, detached ? 'resumed' : 'taken_over');
    for (const frame of missed) this.sendClient(attached, frame.data, frame.isBinary);
    // An upstream held back for the old connection reads again once the new one has room.
    this.onClientWritten();
    return null;
  }

  /** Whether a client may resume the session now, given the last event it names (see {@link resume}). */
  resumeCheck(afterEventId: string | null): ResumeRefused | null {
    const from = this.resumeFrom(afterEventId);
    return typeof from === 'string' ? from : null;
  }

  /** The first frame a resuming client is to be sent, or why it cannot resume. */
  private resumeFrom(afterEventId: string | null): number | ResumeRefused {
    const window = this.resumeWindow;
    const detached = this.stateValue === 'detached';
    if (window === null || (!detached && this.stateValue !== 'open')) return 'not_resumable';
    const from =
      afterEventId !== null ? window.after(afterEventId) : detached ? this.detachedFrom : window.next;
    return from === null || from < window.oldest ? 'gap' : from;
  }

  /**
   * Lets a live upstream go so that another replaces it (a rollover before the upstream's cap
   * on session length): the session is `replacing` as after a loss, and the old connection is
   * closed with 1000. False when the session is not open.
   *
   * @example
   * if (session.retireUpstream('rollover')) session.replaceUpstream(await dialAndReplay(), { upstream: 'engine' });
   */
  retireUpstream(reason: string): boolean {
    if (this.stateValue !== 'open' || this.upstream === null) return false;
    const leg = this.upstream.leg;
    this.connectionEnded(reason);
    this.enterReplacing();
    leg.close(CloseCode.normal, reason);
    return true;
  }

  /**
   * Ends a session whose upstream could not be replaced: its clients get `error`, then close
   * 1011, as when an upstream is lost without continuity.
   */
  failReplacement(error: WireError): boolean {
    if (this.stateValue !== 'replacing') return false;
    this.tellClient(error);
    this.end('upstream_lost', CloseCode.internalError, 'upstream connection lost');
    return true;
  }

  /** Marks a session that never started (the upstream refused or the client went away). */
  refuse(): void {
    this.apply({ type: 'refused' });
  }

  /**
   * Tells every client of the session an `error` event of the gateway's own (a warning: the
   * session goes on). False when the session is no longer relaying.
   */
  warn(error: WireError): boolean {
    if (!isRelaying(this.stateValue)) return false;
    this.tellClient(error);
    return true;
  }

  /**
   * Ends the session for a policy the gateway enforces: the client gets `error`, then close 1008
   * with `reason`.
   */
  endForPolicy(error: WireError, reason: string): boolean {
    if (!isRelaying(this.stateValue)) return false;
    this.tellClient(error);
    this.end('policy', CloseCode.policyViolation, reason);
    return true;
  }

  /** Ends the session as an operator asked; the client gets a close with `reason`. */
  terminate(reason: string): boolean {
    if (!isRelaying(this.stateValue)) return false;
    this.end('terminated', CloseCode.policyViolation, reason);
    return true;
  }

  /** Drops every leg at once, without close handshakes (the last step of a forced shutdown). */
  destroy(): void {
    for (const attached of this.legs()) attached.leg.destroy();
  }

  /** Enters the drain period of a shutdown: the session goes on, but is marked as draining. */
  drain(): void {
    this.apply({ type: 'drain' });
  }

  /** Ends the session for shutdown: an `error` event, then close 1001. */
  shutdown(message = 'The gateway is shutting down.'): void {
    if (!isRelaying(this.stateValue)) return;
    this.tellClient({ type: 'server_error', code: 'server_shutting_down', message });
    this.end('shutdown', CloseCode.goingAway, 'server shutting down');
  }

  /**
   * Runs the time-based checks: keepalive probes (a leg that missed the previous one is
   * dropped), idle timeout, the duration warning and the duration cut. Called by the registry's
   * shared ticker, so sessions cost no timers of their own.
   */
  tick(now: number): void {
    if (!isRelaying(this.stateValue)) return;
    if (this.stateValue === 'detached' && now - this.detachedAt >= this.graceMs) {
      this.observer.clientResume(this.info, 'expired');
      this.log.info({ sessionId: this.id }, 'the client did not resume in time');
      this.end('client_lost', CloseCode.goingAway, 'client connection lost');
      return;
    }
    const limits = this.limits;
    const total = this.stats.clientFrames + this.stats.upstreamFrames;
    if (total !== this.lastFrameTotal) {
      this.lastFrameTotal = total;
      this.lastActive = now;
    } else if (now - this.lastActive >= limits.idleTimeoutMs) {
      this.end('idle_timeout', CloseCode.idleTimeout, 'idle timeout');
      return;
    }
    const age = now - this.startedAt;
    if (age >= limits.maxSessionMs) {
      const minutes = Math.round(limits.maxSessionMs / 60_000);
      const duration = minutes >= 1 ? `${minutes} minutes` : `${limits.maxSessionMs} ms`;
      this.tellClient({
        code: 'session_expired',
        message: `Your session hit the maximum duration of ${duration}.`,
      });
      this.end('max_duration', CloseCode.policyViolation, 'maximum session duration reached');
      return;
    }
    if (!this.warned && limits.sessionWarningMs > 0 && age >= limits.maxSessionMs - limits.sessionWarningMs) {
      this.warned = true;
      const left = Math.ceil((limits.maxSessionMs - age) / 1000);
      this.tellClient({
        code: 'session_expiring',
        message: `This session will reach its maximum duration and end in ${left} seconds.`,
      });
    }
    if (now - this.lastPing >= limits.keepaliveMs) {
      this.lastPing = now;
      const legs = this.legs();
      // A leg the session stopped reading cannot have its answers read either; it is not dead.
      for (const attached of legs) if (attached.paused !== 0) attached.alive = true;
      const dead = legs.find((attached) => !attached.alive);
      if (dead !== undefined) {
        dead.leg.destroy();
        return;
      }
      for (const attached of legs) {
        attached.alive = false;
        attached.leg.probe();
      }
    }
  }

  /** For tests and the admin API: which way frames are currently held back. */
  get paused(): { readonly [D in Direction]: boolean } {
    return {
      client_to_upstream: (this.client?.paused ?? 0) !== 0,
      upstream_to_client: (this.upstream?.paused ?? 0) !== 0,
    };
  }

  // ------------------------------------------------------------------------------------------
  // The relay, once for both directions

  /**
   * What a leg reports to, and what a direction's pipeline sends to: small objects whose
   * methods are shared, so that a session costs no closures per leg or per direction.
   */
  private listenerFor(attached: Attached): LegListener {
    return new Session.Listener(this, attached);
  }

  private sinkFor(direction: Direction): FlowSink {
    return new Session.Sink(this, direction);
  }

  private static readonly Listener = class implements LegListener {
    private readonly fromClient: boolean;

    constructor(
      private readonly session: Session,
      private readonly attached: Attached,
    ) {
      this.fromClient = attached.role !== 'upstream';
    }

    frame(data: Buffer, isBinary: boolean): void {
      const session = this.session;
      if (!isRelaying(session.stateValue) || !session.isCurrent(this.attached)) return;
      const stats = session.stats;
      const fromClient = this.fromClient;
      if (fromClient) {
        stats.clientFrames++;
        stats.clientBytes += data.length;
      } else {
        stats.upstreamFrames++;
        stats.upstreamBytes += data.length;
      }
      if (!fromClient) session.relay(session.downward, 'upstream_to_client', data, isBinary);
      else if (session.stateValue === 'replacing') session.wait('fromClients', data, isBinary);
      else session.relay(session.upward, 'client_to_upstream', data, isBinary);
    }

    closed(code: number, reason: string, lost: boolean): void {
      this.session.legClosed(this.attached, code, reason, lost);
    }

    error(error: Error): void {
      const session = this.session;
      if (this.attached.role === 'upstream') {
        session.observer.relayError(session.info, 'upstream_error');
        session.log.warn({ sessionId: session.id, err: error.message }, 'upstream socket error');
      } else session.log.debug({ sessionId: session.id, err: error.message }, 'client socket error');
    }

    alive(): void {
      this.attached.alive = true;
    }

    announced(text: string): void {
      const session = this.session;
      if (!this.fromClient || !isRelaying(session.stateValue)) return;
      for (const other of session.clientLegs())
        if (other !== this.attached) session.sendClient(other, text, false);
      if (this.attached.role === 'client') session.reportClientLeg({ type: 'announced', text });
    }

    played(pcm: Buffer, continued: boolean): void {
      const session = this.session;
      if (this.attached.role !== 'client' || !isRelaying(session.stateValue)) return;
      if (session.legWatchers.length > 0) session.reportClientLeg({ type: 'played', pcm, continued });
    }
  };

  private static readonly Sink = class implements FlowSink {
    private readonly upward: boolean;

    constructor(
      private readonly session: Session,
      private readonly direction: Direction,
    ) {
      this.upward = direction === 'client_to_upstream';
    }

    relay(data: Buffer | string, isBinary: boolean): void {
      if (this.upward) this.session.sendUpstream(data, isBinary);
      else this.session.sendClients(data, isBinary);
    }

    observe(type: string | null, bytes: number): void {
      this.session.observer.frame(this.session.info, this.direction, type, bytes);
    }

    failed(frame: Frame<PipelineEvent>, middleware: string, error: unknown): void {
      this.session.frameFailed(this.direction, frame, error, middleware);
    }

    holding(held: boolean): void {
      const session = this.session;
      for (const source of this.upward ? session.clientLegs() : session.upstreamLegs())
        session.pauseFor(source, PAUSED_FOR_MIDDLEWARE, held);
    }

    overflow(): void {
      const session = this.session;
      session.observer.relayError(session.info, 'held_frames_overflow');
      session.log.warn(
        { sessionId: session.id, direction: this.direction },
        'too many frames held by middleware',
      );
      session.end('buffer_overflow', CloseCode.tryAgainLater, 'too many frames held by middleware');
    }
  };

  /** One frame into a direction's pipeline; a fault costs that frame only. */
  private relay(
    flow: Flow<ClientEvent> | Flow<ServerEvent>,
    direction: Direction,
    data: Buffer,
    isBinary: boolean,
  ): void {
    try {
      flow.receive(data, isBinary);
    } catch (error) {
      const peeked = peekEvent(data);
      this.frameFailed(direction, { type: peeked?.type ?? null, eventId: peeked?.eventId ?? null }, error);
    }
  }

  private sendUpstream(data: Buffer | string, isBinary: boolean): void {
    const upstream = this.upstream;
    if (upstream === null) {
      if (this.stateValue === 'replacing') this.wait('injected', data, isBinary);
      return;
    }
    if (!upstream.leg.isOpen) return;
    upstream.leg.send(data, isBinary, this.onUpstreamWritten);
    const queued = upstream.leg.bufferedAmount;
    if (queued > this.limits.highWaterBytes) {
      if (queued > this.limits.maxBufferedBytes) {
        this.overflow(upstream);
        return;
      }
      for (const source of this.clientLegs()) this.pauseFor(source, PAUSED_FOR_BACKPRESSURE, true);
    }
  }

  private keepForResume(data: Buffer | string, isBinary: boolean): void {
    const window = this.resumeWindow!;
    window.push(data, isBinary);
    if (this.stateValue === 'detached' && window.oldest > this.detachedFrom) {
      this.observer.relayError(this.info, 'buffer_overflow');
      this.observer.clientResume(this.info, 'overflowed');
      this.log.warn({ sessionId: this.id }, 'too much to keep for a client that may resume');
      this.end('client_lost', CloseCode.goingAway, 'client connection lost');
    }
  }

  /** Keeps a frame for the upstream that replaces the lost one; bounded like a send buffer. */
  private wait(queue: 'fromClients' | 'injected', data: Buffer | string, isBinary: boolean): void {
    this.waiting ??= { fromClients: [], injected: [], bytes: 0 };
    this.waiting[queue].push({ data, isBinary });
    this.waiting.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (this.waiting.bytes > this.limits.maxBufferedBytes) {
      this.observer.relayError(this.info, 'buffer_overflow');
      this.log.warn({ sessionId: this.id }, 'too much sent while the upstream was replaced');
      this.end('buffer_overflow', CloseCode.tryAgainLater, 'upstream send buffer overflow');
    }
  }

  private sendClients(data: Buffer | string, isBinary: boolean): void {
    const client = this.client;
    if (this.resumeWindow !== null) this.keepForResume(data, isBinary);
    if (client !== null) this.sendClient(client, data, isBinary);
    if (this.attachments.size > 0)
      for (const attached of this.attachments) this.sendClient(attached, data, isBinary);
  }

  private sendClient(client: Attached, data: Buffer | string, isBinary: boolean): void {
    if (!client.leg.isOpen) return;
    client.leg.send(data, isBinary, this.onClientWritten);
    const queued = client.leg.bufferedAmount;
    if (queued > this.limits.highWaterBytes) {
      if (queued > this.limits.maxBufferedBytes) {
        this.overflow(client);
        return;
      }
      if (this.upstream !== null) this.pauseFor(this.upstream, PAUSED_FOR_BACKPRESSURE, true);
    }
  }

  // A send callback runs when its frame reached the kernel: the moment to check whether the
  // queue has drained enough to read from the other side again.
  // Both run once per frame: they allocate nothing, and do nothing unless reading is paused.
  private readonly onUpstreamWritten = (): void => {
    const upstream = this.upstream;
    if (upstream === null || upstream.leg.bufferedAmount > this.limits.highWaterBytes / 2) return;
    const client = this.client;
    if (client !== null && (client.paused & PAUSED_FOR_BACKPRESSURE) !== 0)
      this.pauseFor(client, PAUSED_FOR_BACKPRESSURE, false);
    if (this.attachments.size > 0)
      for (const attached of this.attachments) this.pauseFor(attached, PAUSED_FOR_BACKPRESSURE, false);
  };

  private readonly onClientWritten = (): void => {
    const upstream = this.upstream;
    if (upstream === null || (upstream.paused & PAUSED_FOR_BACKPRESSURE) === 0) return;
    const halfWater = this.limits.highWaterBytes / 2;
    if (this.client !== null && this.client.leg.bufferedAmount > halfWater) return;
    for (const attached of this.attachments) if (attached.leg.bufferedAmount > halfWater) return;
    this.pauseFor(upstream, PAUSED_FOR_BACKPRESSURE, false);
  };

  private pauseFor(attached: Attached, reason: number, on: boolean): void {
    const before = attached.paused;
    attached.paused = on ? before | reason : before & ~reason;
    if (before === 0 && attached.paused !== 0) attached.leg.pause();
    else if (before !== 0 && attached.paused === 0 && isRelaying(this.stateValue)) attached.leg.resume();
  }

  private overflow(slow: Attached): void {
    const side = slow.role === 'upstream' ? 'upstream' : 'client';
    this.observer.relayError(this.info, 'buffer_overflow');
    this.log.warn({ sessionId: this.id, slow: side }, 'send buffer overflow');
    if (slow.role === 'attachment') {
      this.attachments.delete(slow);
      slow.leg.close(CloseCode.tryAgainLater, 'send buffer overflow');
      return;
    }
    this.end('buffer_overflow', CloseCode.tryAgainLater, `${side} send buffer overflow`);
  }

  /**
   * A fault while relaying one frame (a middleware, an observer, the gateway's own code) costs
   * that frame an `error` event; the session, every other session and the process go on.
   */
  private frameFailed(
    direction: Direction,
    frame: Pick<Frame<PipelineEvent>, 'type' | 'eventId'>,
    error: unknown,
    middleware?: string,
  ): void {
    try {
      this.observer.relayError(this.info, 'internal_error');
    } catch {
      // The observer may be what failed; the log line below still records the fault.
    }
    this.log.error(
      { sessionId: this.id, direction, type: frame.type, middleware, err: describeError(error) },
      'relaying a frame failed',
    );
    this.tellClient({
      type: 'server_error',
      code: 'internal_error',
      message: 'The gateway failed to handle this event.',
      eventId: direction === 'client_to_upstream' ? frame.eventId : null,
    });
  }

  /** An `error` event of the session's own, straight to the client legs. */
  private tellClient(error: WireError): void {
    this.sendClients(JSON.stringify(errorEvent(error)), false);
  }

  // ------------------------------------------------------------------------------------------
  // Closing

  private legClosed(attached: Attached, code: number, reason: string, lost: boolean): void {
    if (attached.role === 'attachment') {
      this.attachments.delete(attached);
      return;
    }
    if (!this.isCurrent(attached)) return;
    if (isRelaying(this.stateValue)) {
      if (attached.role === 'client' && lost && this.stateValue === 'open' && this.resumeWindow !== null) {
        this.detachClient();
        return;
      }
      if (attached.role === 'client') {
        this.endCause = lost ? 'client_lost' : 'client_closed';
        this.apply({ type: 'end', cause: this.endCause });
        const closeCode = lost ? CloseCode.goingAway : relayableCloseCode(code, CloseCode.normal);
        const closeReason = lost ? 'client connection lost' : reason;
        // A call's sideband connections end with the call, as the upstream does.
        this.closeAttachments(closeCode, closeReason);
        this.upstream?.leg.close(closeCode, closeReason);
      } else if (this.replacementBegun(code, reason, lost)) {
        return;
      } else if (lost) {
        this.endCause = 'upstream_lost';
        this.observer.relayError(this.info, 'upstream_lost');
        this.tellClient({
          type: 'server_error',
          code: 'upstream_lost',
          message: 'The connection to the upstream server was lost.',
        });
        this.apply({ type: 'end', cause: 'upstream_lost' });
        this.closeClients(CloseCode.internalError, 'upstream connection lost');
      } else {
        this.endCause = 'upstream_closed';
        this.apply({ type: 'end', cause: 'upstream_closed' });
        this.closeClients(relayableCloseCode(code, CloseCode.internalError), reason);
      }
    }
    this.maybeClosed();
  }

  /**
   * Offers an ended upstream to the session's {@link UpstreamLossHandler}; when it takes over,
   * the session is `replacing`: the dead leg is let go and the clients are not read until the
   * new upstream is in place. The handler must not settle the replacement before it returns.
   */
  private replacementBegun(code: number, reason: string, lost: boolean): boolean {
    this.connectionEnded(lost ? 'lost' : `closed ${code}`);
    if (this.stateValue !== 'open' || this.upstreamEnded === undefined) return false;
    let taken = false;
    try {
      // The handler only starts its work here: the session is `replacing` before any of it runs.
      taken = this.upstreamEnded(this, { code, reason, lost });
    } catch (error) {
      this.log.error({ sessionId: this.id, err: describeError(error) }, 'replacing the upstream failed');
    }
    if (!taken) return false;
    this.enterReplacing();
    return true;
  }

  private enterReplacing(): void {
    this.apply({ type: 'replace' });
    this.upstream?.leg.detach();
    this.upstream = null;
    for (const source of this.clientLegs()) this.pauseFor(source, PAUSED_FOR_REPLACEMENT, true);
  }

  /** The client's connection dropped: the session waits for it to resume, for the grace period. */
  private detachClient(): void {
    this.apply({ type: 'detach' });
    this.client?.leg.detach();
    this.client = null;
    this.detachedAt = this.now();
    this.detachedFrom = this.resumeWindow!.next;
    // Nobody reads for the lost connection now: what the upstream sends goes into the bounded
    // window, so an upstream held back for it reads again.
    if (this.upstream !== null) this.pauseFor(this.upstream, PAUSED_FOR_BACKPRESSURE, false);
    this.log.info(
      { sessionId: this.id, graceMs: this.graceMs },
      'the client connection was lost; the session waits for it to resume',
    );
  }

  private connectionEnded(how: string): void {
    const current = this.connections.at(-1)!;
    if (current.ended !== null) return;
    current.ended = how;
    current.endedAt = this.now();
  }

  /** Ends the session for a reason of the gateway's own: every leg is closed. */
  private end(cause: EndCause, clientCode: number = CloseCode.internalError, reason = ''): void {
    if (!isRelaying(this.stateValue)) return;
    this.endCause = cause;
    this.apply({ type: 'end', cause });
    this.closeClients(clientCode, reason);
    if (cause === 'client_lost') this.upstream?.leg.close(CloseCode.goingAway, 'client connection lost');
    else this.upstream?.leg.close(cause === 'upstream_lost' ? CloseCode.goingAway : CloseCode.normal, '');
    this.maybeClosed();
  }

  private closeClients(code: number, reason: string): void {
    if (this.client?.leg.isOpen) this.client.leg.close(code, reason);
    this.closeAttachments(code, reason);
  }

  private closeAttachments(code: number, reason: string): void {
    if (this.attachments.size === 0) return;
    for (const attached of this.attachments) attached.leg.close(code, reason);
    this.attachments.clear();
  }

  private maybeClosed(): void {
    if (this.stateValue !== 'closing') return;
    this.upward.stop();
    this.downward.stop();
    const clientDone = this.client === null || this.client.leg.isClosed;
    const upstreamDone = this.upstream === null || this.upstream.leg.isClosed;
    if (!clientDone || !upstreamDone) return;
    this.apply({ type: 'closed' });
    const cause = this.endCause ?? 'client_closed';
    this.abort?.abort();
    const closeFields: Record<string, unknown> = {};
    for (const ctx of this.middleware) {
      const middleware = ctx.middleware;
      if (middleware.close === undefined) continue;
      this.callHook(middleware, () => {
        const fields = middleware.close?.(ctx);
        if (fields !== undefined) Object.assign(closeFields, fields);
      });
    }
    const durationMs = this.now() - this.startedAt;
    this.observer.sessionEnded(this.info, cause, durationMs, this.stats);
    this.log.info(
      {
        sessionId: this.id,
        upstreamSessionId: this.upstreamSessionId,
        cause,
        durationMs,
        ...this.stats,
        ...closeFields,
      },
      'session ended',
    );
    this.onEnd?.(this, cause);
  }

  private apply(event: SessionEvent): boolean {
    const next = transition(this.stateValue, event);
    if (next === null) return false;
    this.stateValue = next;
    return true;
  }

  private isCurrent(attached: Attached): boolean {
    return attached === this.client || attached === this.upstream || this.attachments.has(attached);
  }

  /** Every leg, the upstream first: when both stopped answering, the session ends as upstream_lost. */
  private legs(): Attached[] {
    const legs: Attached[] = [];
    if (this.upstream !== null) legs.push(this.upstream);
    if (this.client !== null) legs.push(this.client);
    for (const attached of this.attachments) legs.push(attached);
    return legs;
  }

  private clientLegs(): Attached[] {
    const legs = this.client === null ? [] : [this.client];
    for (const attached of this.attachments) legs.push(attached);
    return legs;
  }

  private upstreamLegs(): Attached[] {
    return this.upstream === null ? [] : [this.upstream];
  }

  // ------------------------------------------------------------------------------------------
  // Middleware

  /** For {@link SessionContext}: an event a middleware sends, entering after it. */
  inject(index: number, event: ClientEvent | ServerEvent, toUpstream: boolean): void {
    if (!isRelaying(this.stateValue)) return;
    if (toUpstream) this.upward.inject(event as ClientEvent, index);
    else this.downward.inject(event as ServerEvent, index);
  }

  /** For {@link SessionContext}: the client's leg drops what it still holds of a response's audio. */
  clearOutputAudio(responseId: string): void {
    if (isRelaying(this.stateValue)) this.client?.leg.clearOutput?.(responseId);
  }

  /** What the client's leg did outside the event stream, to the middleware that watch for it. */
  private reportClientLeg(report: LegReport): void {
    for (const ctx of this.legWatchers) {
      const middleware = ctx.middleware;
      this.callHook(middleware, () => middleware.onClientLeg?.(report, ctx));
    }
  }

  /** For {@link SessionContext}. */
  get middlewareLog(): SessionLog {
    return this.log;
  }

  /** For {@link SessionContext}: aborted when the session has ended. */
  get signal(): AbortSignal {
    if (this.abort === null) {
      this.abort = new AbortController();
      if (this.stateValue === 'closed') this.abort.abort();
    }
    return this.abort.signal;
  }

  /** For {@link UPSTREAM_IDENTITY}: the upstream's own id for the session, from its `session.created`. */
  learnUpstreamId(frame: Frame<ServerEvent>): void {
    if (this.upstreamSessionId !== null) return;
    const event = frame.event;
    if (event?.type === 'session.created' && typeof event.session.id === 'string') {
      this.upstreamSessionId = event.session.id;
      this.connections.at(-1)!.upstreamSessionId = event.session.id;
      this.log.info({ sessionId: this.id, upstreamSessionId: event.session.id }, 'upstream session');
      this.trace.set({ 'realtime_gateway.upstream.session_id': event.session.id });
    }
  }

  /**
   * Runs a middleware's open or close hook: a throwing hook is logged and counted, and the
   * session goes on. (A throwing frame handler fails its frame; see {@link frameFailed}.)
   */
  private callHook(middleware: Middleware, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.observer.relayError(this.info, 'extension_error');
      this.log.error(
        { sessionId: this.id, middleware: middleware.name, err: describeError(error) },
        'session middleware failed',
      );
    }
  }
}

/**
 * What one middleware of a session is given. Its methods are on the prototype, so a context
 * costs a session one small object; `sendUpstream` and `sendClient`, which some middleware
 * pass around as functions, are bound the first time they are read.
 */
class SessionContext implements MiddlewareContext {
  private boundSendUpstream: ((event: ClientEvent) => void) | null = null;
  private boundSendClient: ((event: ServerEvent) => void) | null = null;

  constructor(
    readonly session: Session,
    /** The middleware's position in the session's list: what it sends enters after it. */
    readonly index: number,
    readonly middleware: Middleware,
  ) {}

  get info(): SessionInfo {
    return this.session.info;
  }

  get log(): SessionLog {
    return this.session.middlewareLog;
  }

  get signal(): AbortSignal {
    return this.session.signal;
  }

  get trace(): SessionTrace {
    return this.session.trace;
  }

  get sendUpstream(): (event: ClientEvent) => void {
    this.boundSendUpstream ??= (event) => this.session.inject(this.index, event, true);
    return this.boundSendUpstream;
  }

  get sendClient(): (event: ServerEvent) => void {
    this.boundSendClient ??= (event) => this.session.inject(this.index, event, false);
    return this.boundSendClient;
  }

  clearOutputAudio(responseId: string): void {
    this.session.clearOutputAudio(responseId);
  }
}

/** Learns the upstream's own id for the session, logged so an operator can find it in the provider's logs. */
const UPSTREAM_IDENTITY: Middleware = {
  name: 'upstream-identity',
  upstream: new Set(['session.created']),
  onUpstream: (frame, ctx) => {
    (ctx as SessionContext).session.learnUpstreamId(frame);
    return FORWARD;
  },
};
