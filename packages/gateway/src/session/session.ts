/**
 * One relayed session: a client WebSocket and an upstream WebSocket, frames passed unchanged
 * and in order both ways. On the hot path a frame is peeked for its type and nothing more;
 * only frames an extension asked for, control events being checked, and `response.done` (for
 * token usage) are parsed.
 *
 * Backpressure: when the socket a frame goes to has more than `highWaterBytes` queued, the
 * gateway stops reading from the socket the frame came from, and resumes once the queue has
 * drained to half of that. Frames already read when reading stops (and events extensions
 * inject) still queue; if a queue passes `maxBufferedBytes` the session is closed with 1013.
 */
import {
  type ClientEvent,
  type ErrorEvent,
  newEventId,
  parseClientEvent,
  parseServerEvent,
  peekEvent,
  peekEventType,
  type ServerEvent,
  toErrorEvent,
} from '@realtime-gateway/protocol';
import type { WebSocket } from 'ws';
import type { Limits } from '../config/resolve.js';
import type { EarlyFrame } from '../upstream/connect.js';
import { type CheckingMode, checkClientFrame } from './checking.js';
import { CloseCode, clampReason, relayableCloseCode } from './close-codes.js';
import type {
  ExtensionContext,
  ExtensionVerdict,
  SessionExtension,
  SessionExtensionFactory,
  SessionInfo,
} from './extension.js';
import { type Direction, NO_LOG, NO_OBSERVER, type SessionLog, type SessionObserver } from './observer.js';
import type { SessionSnapshot, SessionStats } from './registry.js';
import { type EndCause, isRelaying, type SessionEvent, type SessionState, transition } from './state.js';

/** Everything a session needs besides its sockets. */
export interface SessionOptions {
  readonly info: SessionInfo;
  readonly limits: Limits;
  readonly checking: CheckingMode;
  readonly extensions?: readonly SessionExtensionFactory[];
  readonly observer?: SessionObserver;
  readonly log?: SessionLog;
  /** Called once, when both legs are closed; releases quotas and router slots. */
  readonly onEnd?: (session: Session, cause: EndCause) => void;
  readonly now?: () => number;
}

/** Malformed client frames logged per session; the rest are counted in the session's last line. */
const LOGGED_MALFORMED_FRAMES = 10;

const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });

/** An error for a log line: its message, never a whole object a client might have shaped. */
function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorEvent(type: string, code: string, message: string): ErrorEvent {
  return {
    type: 'error',
    event_id: newEventId(),
    error: { type, code, message, param: null, event_id: null },
  };
}

/**
 * A relayed session with an explicit lifecycle: constructed `connecting`, {@link start}ed once
 * both sockets are open, ended by either peer, a limit, an operator or shutdown.
 *
 * @example
 * const session = new Session({ info, limits, checking: 'enforce' });
 * registry.add(session);
 * session.start(clientSocket, dialled.socket, dialled.early, dialled.stopHolding);
 */
export class Session {
  readonly id: string;
  readonly info: SessionInfo;
  readonly stats: SessionStats = { clientFrames: 0, clientBytes: 0, upstreamFrames: 0, upstreamBytes: 0 };
  readonly startedAt: number;
  private stateValue: SessionState = 'connecting';
  private endCause: EndCause | null = null;
  private client: WebSocket | null = null;
  private upstream: WebSocket | null = null;
  private clientOpen = false;
  private upstreamOpen = false;
  /** Reading paused on the source because the destination's queue is over the high-water mark. */
  private upstreamPaused = false;
  private clientPaused = false;
  private readonly limits: Limits;
  private readonly checking: CheckingMode;
  private readonly observer: SessionObserver;
  private readonly log: SessionLog;
  private readonly onEnd: SessionOptions['onEnd'];
  private readonly now: () => number;
  private readonly extensions: { readonly extension: SessionExtension; readonly ctx: ExtensionContext }[] =
    [];
  private readonly clientTypes = new Set<string>();
  private readonly serverTypes = new Set<string>();
  private abort: AbortController | null = null;
  // Liveness, checked by tick(): no per-frame clock reads.
  private lastActive: number;
  private lastFrameTotal = 0;
  private lastPing: number;
  private clientAlive = true;
  private upstreamAlive = true;
  private warned = false;
  private malformedFrames = 0;
  private upstreamSessionId: string | null = null;

  constructor(options: SessionOptions) {
    this.info = options.info;
    this.id = options.info.sessionId;
    this.limits = options.limits;
    this.checking = options.checking;
    this.observer = options.observer ?? NO_OBSERVER;
    this.log = options.log ?? NO_LOG;
    this.onEnd = options.onEnd;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastActive = this.startedAt;
    this.lastPing = this.startedAt;
    for (const factory of options.extensions ?? []) {
      const extension = factory(this.info);
      if (extension === null) continue;
      this.abort ??= new AbortController();
      this.extensions.push({ extension, ctx: this.contextFor() });
      for (const type of extension.clientEventTypes) this.clientTypes.add(type);
      for (const type of extension.serverEventTypes) this.serverTypes.add(type);
    }
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
      upstreamSessionId: this.upstreamSessionId,
      ...this.stats,
    };
  }

  /**
   * Starts relaying. `early` holds frames the upstream sent before now; they are relayed first,
   * then reading resumes.
   */
  start(
    client: WebSocket,
    upstream: WebSocket,
    early: readonly EarlyFrame[] = [],
    stopHolding?: () => void,
  ): void {
    if (!this.apply({ type: 'open' })) return;
    this.client = client;
    this.upstream = upstream;
    this.clientOpen = client.readyState === client.OPEN;
    this.upstreamOpen = upstream.readyState === upstream.OPEN;
    client.on('message', this.onClientMessage);
    client.on('close', this.onClientClose);
    client.on('error', this.onClientError);
    client.on('pong', this.onClientPong);
    upstream.on('message', this.onUpstreamMessage);
    upstream.on('close', this.onUpstreamClose);
    upstream.on('error', this.onUpstreamError);
    upstream.on('pong', this.onUpstreamPong);
    stopHolding?.();
    this.observer.sessionStarted(this.info);
    this.log.info(
      { sessionId: this.id, model: this.info.model, upstream: this.info.upstreamName },
      'session started',
    );
    if (!this.upstreamOpen) {
      this.end('upstream_lost');
      return;
    }
    for (const { extension, ctx } of this.extensions) this.callExtension(() => extension.onOpen?.(ctx));
    for (const frame of early) {
      if (!isRelaying(this.stateValue)) return;
      this.onUpstreamMessage(frame.data, frame.isBinary);
    }
    if (!this.upstreamPaused) upstream.resume();
  }

  /** Marks a session that never started (the upstream refused or the client went away). */
  refuse(): void {
    this.apply({ type: 'refused' });
  }

  /** Ends the session as an operator asked; the client gets a close with `reason`. */
  terminate(reason: string): boolean {
    if (!isRelaying(this.stateValue)) return false;
    this.end('terminated', CloseCode.policyViolation, reason);
    return true;
  }

  /** Drops both connections at once, without close handshakes (the last step of a forced shutdown). */
  destroy(): void {
    this.client?.terminate();
    this.upstream?.terminate();
  }

  /** Enters the drain period of a shutdown: the session goes on, but is marked as draining. */
  drain(): void {
    this.apply({ type: 'drain' });
  }

  /** Ends the session for shutdown: an `error` event, then close 1001. */
  shutdown(message = 'The gateway is shutting down.'): void {
    if (!isRelaying(this.stateValue)) return;
    this.sendToClient(JSON.stringify(errorEvent('server_error', 'server_shutting_down', message)), false);
    this.end('shutdown', CloseCode.goingAway, 'server shutting down');
  }

  /**
   * Runs the time-based checks: keepalive pings (a leg that missed the previous ping is
   * dropped), idle timeout, the duration warning and the duration cut. Called by the registry's
   * shared ticker, so sessions cost no timers of their own.
   */
  tick(now: number): void {
    if (!isRelaying(this.stateValue)) return;
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
      this.sendToClient(
        JSON.stringify(
          errorEvent(
            'invalid_request_error',
            'session_expired',
            `Your session hit the maximum duration of ${minutes >= 1 ? `${minutes} minutes` : `${limits.maxSessionMs} ms`}.`,
          ),
        ),
        false,
      );
      this.end('max_duration', CloseCode.policyViolation, 'maximum session duration reached');
      return;
    }
    if (!this.warned && limits.sessionWarningMs > 0 && age >= limits.maxSessionMs - limits.sessionWarningMs) {
      this.warned = true;
      const left = Math.ceil((limits.maxSessionMs - age) / 1000);
      this.sendToClient(
        JSON.stringify(
          errorEvent(
            'invalid_request_error',
            'session_expiring',
            `This session will reach its maximum duration and end in ${left} seconds.`,
          ),
        ),
        false,
      );
    }
    if (now - this.lastPing >= limits.keepaliveMs) {
      this.lastPing = now;
      // A leg the gateway stopped reading cannot have its pongs read either; it is not dead.
      if (this.upstreamPaused) this.upstreamAlive = true;
      if (this.clientPaused) this.clientAlive = true;
      if (!this.upstreamAlive) {
        this.upstream?.terminate();
        return;
      }
      if (!this.clientAlive) {
        this.client?.terminate();
        return;
      }
      this.upstreamAlive = false;
      this.clientAlive = false;
      this.upstream?.ping();
      this.client?.ping();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Hot path

  // A fault while relaying one frame (an extension, an observer, the gateway's own code) costs
  // that frame an `error` event; the session, every other session and the process go on.
  private readonly onClientMessage = (data: Buffer, isBinary: boolean): void => {
    try {
      this.relayClientFrame(data, isBinary);
    } catch (error) {
      this.frameFailed('client_to_upstream', data, error);
    }
  };

  private readonly onUpstreamMessage = (data: Buffer, isBinary: boolean): void => {
    try {
      this.relayUpstreamFrame(data, isBinary);
    } catch (error) {
      this.frameFailed('upstream_to_client', data, error);
    }
  };

  /** The upstream's own id for this session, logged so an operator can find it in the provider's logs. */
  private learnUpstreamSessionId(id: unknown): void {
    if (typeof id !== 'string') return;
    this.upstreamSessionId = id;
    this.log.info({ sessionId: this.id, upstreamSessionId: id }, 'upstream session');
  }

  private frameFailed(direction: Direction, data: Buffer, error: unknown): void {
    const peeked = peekEvent(data);
    try {
      this.observer.relayError(this.info, 'internal_error');
    } catch {
      // The observer may be what failed; the log line below still records the fault.
    }
    this.log.error(
      { sessionId: this.id, direction, type: peeked?.type ?? null, err: describeError(error) },
      'relaying a frame failed',
    );
    const failure = errorEvent('server_error', 'internal_error', 'The gateway failed to handle this event.');
    if (direction === 'client_to_upstream') failure.error.event_id = peeked?.eventId ?? null;
    this.sendToClient(JSON.stringify(failure), false);
  }

  private relayClientFrame(data: Buffer, isBinary: boolean): void {
    if (!isRelaying(this.stateValue)) return;
    const stats = this.stats;
    stats.clientFrames++;
    stats.clientBytes += data.length;
    const type = peekEventType(data);
    this.observer.frame(this.info, 'client_to_upstream', type, data.length);
    let parsed: ClientEvent | null = null;
    if (this.checking !== 'off') {
      const check = checkClientFrame(data, this.limits.maxFrameBytes);
      if (!check.ok) {
        this.observer.relayError(this.info, 'invalid_client_frame');
        // A client sending nothing but bad frames gets a few lines, then a count at the end.
        if (++this.malformedFrames <= LOGGED_MALFORMED_FRAMES) {
          this.log.warn(
            {
              sessionId: this.id,
              type,
              code: check.error.code,
              param: check.error.param,
              ...(this.malformedFrames === LOGGED_MALFORMED_FRAMES ? { furtherLinesSuppressed: true } : {}),
            },
            'malformed client frame',
          );
        }
        if (this.checking === 'enforce') {
          this.sendToClient(JSON.stringify(toErrorEvent(check.error)), false);
          return;
        }
      } else parsed = check.event as ClientEvent | null;
    }
    if (type !== null && this.clientTypes.has(type)) {
      const outcome = this.runClientExtensions(type, data, parsed);
      if (outcome === null) return;
      if (typeof outcome === 'string') {
        this.sendToUpstream(outcome, false);
        return;
      }
    }
    this.sendToUpstream(data, isBinary);
  }

  private relayUpstreamFrame(data: Buffer, isBinary: boolean): void {
    if (!isRelaying(this.stateValue)) return;
    const stats = this.stats;
    stats.upstreamFrames++;
    stats.upstreamBytes += data.length;
    const type = peekEventType(data);
    this.observer.frame(this.info, 'upstream_to_client', type, data.length);
    let parsed: ServerEvent | null = null;
    if (type === 'response.done' || (type === 'session.created' && this.upstreamSessionId === null)) {
      const result = parseServerEvent(data);
      if (result.ok && result.known) {
        parsed = result.event;
        if (parsed.type === 'response.done') {
          const usage = parsed.response.usage;
          if (usage != null) this.observer.usage(this.info, usage);
        } else if (parsed.type === 'session.created') this.learnUpstreamSessionId(parsed.session.id);
      }
    }
    if (type !== null && this.serverTypes.has(type)) {
      const outcome = this.runServerExtensions(type, data, parsed);
      if (outcome === null) return;
      if (typeof outcome === 'string') {
        this.sendToClient(outcome, false);
        return;
      }
    }
    this.sendToClient(data, isBinary);
  }

  private sendToUpstream(data: Buffer | string, isBinary: boolean): void {
    const upstream = this.upstream;
    if (upstream === null || !this.upstreamOpen) return;
    upstream.send(data, isBinary ? BINARY : TEXT, this.onUpstreamWritten);
    const queued = upstream.bufferedAmount;
    if (queued > this.limits.highWaterBytes) {
      if (queued > this.limits.maxBufferedBytes) {
        this.overflow('upstream');
        return;
      }
      if (!this.clientPaused) {
        this.clientPaused = true;
        this.client?.pause();
      }
    }
  }

  private sendToClient(data: Buffer | string, isBinary: boolean): void {
    const client = this.client;
    if (client === null || !this.clientOpen) return;
    client.send(data, isBinary ? BINARY : TEXT, this.onClientWritten);
    const queued = client.bufferedAmount;
    if (queued > this.limits.highWaterBytes) {
      if (queued > this.limits.maxBufferedBytes) {
        this.overflow('client');
        return;
      }
      if (!this.upstreamPaused) {
        this.upstreamPaused = true;
        this.upstream?.pause();
      }
    }
  }

  // A send callback runs when its frame reached the kernel: the moment to check whether the
  // queue has drained enough to read from the other side again.
  private readonly onUpstreamWritten = (): void => {
    if (this.clientPaused && (this.upstream?.bufferedAmount ?? 0) <= this.limits.highWaterBytes / 2) {
      this.clientPaused = false;
      if (isRelaying(this.stateValue)) this.client?.resume();
    }
  };

  private readonly onClientWritten = (): void => {
    if (this.upstreamPaused && (this.client?.bufferedAmount ?? 0) <= this.limits.highWaterBytes / 2) {
      this.upstreamPaused = false;
      if (isRelaying(this.stateValue)) this.upstream?.resume();
    }
  };

  private overflow(slow: 'client' | 'upstream'): void {
    this.observer.relayError(this.info, 'buffer_overflow');
    this.log.warn({ sessionId: this.id, slow }, 'send buffer overflow');
    this.end('buffer_overflow', CloseCode.tryAgainLater, `${slow} send buffer overflow`);
  }

  // ------------------------------------------------------------------------------------------
  // Closing

  private readonly onClientClose = (code: number, reason: Buffer): void => {
    this.clientOpen = false;
    if (isRelaying(this.stateValue)) {
      const lost = code === 1006;
      this.endCause = lost ? 'client_lost' : 'client_closed';
      this.apply({ type: 'end', cause: this.endCause });
      this.closeUpstream(
        lost ? CloseCode.goingAway : relayableCloseCode(code, CloseCode.normal),
        lost ? 'client connection lost' : reason.toString(),
      );
    }
    this.maybeClosed();
  };

  private readonly onUpstreamClose = (code: number, reason: Buffer): void => {
    this.upstreamOpen = false;
    if (isRelaying(this.stateValue)) {
      if (code === 1006) {
        this.endCause = 'upstream_lost';
        this.observer.relayError(this.info, 'upstream_lost');
        this.sendToClient(
          JSON.stringify(
            errorEvent('server_error', 'upstream_lost', 'The connection to the upstream server was lost.'),
          ),
          false,
        );
        this.apply({ type: 'end', cause: 'upstream_lost' });
        this.closeClient(CloseCode.internalError, 'upstream connection lost');
      } else {
        this.endCause = 'upstream_closed';
        this.apply({ type: 'end', cause: 'upstream_closed' });
        this.closeClient(relayableCloseCode(code, CloseCode.internalError), reason.toString());
      }
    }
    this.maybeClosed();
  };

  private readonly onClientError = (error: Error): void => {
    this.log.debug({ sessionId: this.id, err: error.message }, 'client socket error');
  };

  private readonly onUpstreamError = (error: Error): void => {
    this.observer.relayError(this.info, 'upstream_error');
    this.log.warn({ sessionId: this.id, err: error.message }, 'upstream socket error');
  };

  private readonly onClientPong = (): void => {
    this.clientAlive = true;
  };

  private readonly onUpstreamPong = (): void => {
    this.upstreamAlive = true;
  };

  /** Ends the session for a reason of the gateway's own: both legs are closed. */
  private end(cause: EndCause, clientCode: number = CloseCode.internalError, reason = ''): void {
    if (!isRelaying(this.stateValue)) return;
    this.endCause = cause;
    this.apply({ type: 'end', cause });
    this.closeClient(clientCode, reason);
    this.closeUpstream(cause === 'upstream_lost' ? CloseCode.goingAway : CloseCode.normal, '');
    this.maybeClosed();
  }

  private closeClient(code: number, reason: string): void {
    const client = this.client;
    if (client === null || !this.clientOpen) return;
    client.resume();
    client.close(code, clampReason(reason));
  }

  private closeUpstream(code: number, reason: string): void {
    const upstream = this.upstream;
    if (upstream === null || !this.upstreamOpen) {
      upstream?.terminate();
      return;
    }
    upstream.resume();
    upstream.close(code, clampReason(reason));
  }

  private maybeClosed(): void {
    if (this.stateValue !== 'closing') return;
    const clientDone = this.client === null || this.client.readyState === this.client.CLOSED;
    const upstreamDone = this.upstream === null || this.upstream.readyState === this.upstream.CLOSED;
    if (!clientDone || !upstreamDone) return;
    this.apply({ type: 'closed' });
    const cause = this.endCause ?? 'client_closed';
    this.abort?.abort();
    for (const { extension, ctx } of this.extensions) this.callExtension(() => extension.onClose?.(ctx));
    const durationMs = this.now() - this.startedAt;
    this.observer.sessionEnded(this.info, cause, durationMs);
    this.log.info(
      {
        sessionId: this.id,
        upstreamSessionId: this.upstreamSessionId,
        cause,
        durationMs,
        ...this.stats,
        ...(this.malformedFrames > 0 ? { malformedFrames: this.malformedFrames } : {}),
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

  // ------------------------------------------------------------------------------------------
  // Extensions

  private contextFor(): ExtensionContext {
    const session = this;
    return {
      info: this.info,
      signal: this.abort!.signal,
      sendUpstream(event: ClientEvent) {
        if (isRelaying(session.stateValue)) session.sendToUpstream(JSON.stringify(event), false);
      },
      sendClient(event: ServerEvent) {
        if (isRelaying(session.stateValue)) session.sendToClient(JSON.stringify(event), false);
      },
    };
  }

  /**
   * Runs the extensions that asked for `type`: null when one dropped the frame, a string when
   * one replaced it, undefined to forward the original bytes.
   */
  private runClientExtensions(
    type: string,
    data: Buffer,
    parsed: ClientEvent | null,
  ): string | null | undefined {
    let event = parsed;
    if (event === null) {
      const result = parseClientEvent(data);
      if (!result.ok || !result.known) return undefined;
      event = result.event;
    }
    let replaced = false;
    for (const { extension, ctx } of this.extensions) {
      if (!extension.clientEventTypes.has(type) || extension.onClientEvent === undefined) continue;
      const verdict: ExtensionVerdict<ClientEvent> | undefined = extension.onClientEvent(event, ctx);
      if (verdict === undefined || verdict.action === 'forward') continue;
      if (verdict.action === 'drop') return null;
      event = verdict.event;
      replaced = true;
    }
    return replaced ? JSON.stringify(event) : undefined;
  }

  private runServerExtensions(
    type: string,
    data: Buffer,
    parsed: ServerEvent | null,
  ): string | null | undefined {
    let event = parsed;
    if (event === null) {
      const result = parseServerEvent(data);
      if (!result.ok || !result.known) return undefined;
      event = result.event;
    }
    let replaced = false;
    for (const { extension, ctx } of this.extensions) {
      if (!extension.serverEventTypes.has(type) || extension.onServerEvent === undefined) continue;
      const verdict: ExtensionVerdict<ServerEvent> | undefined = extension.onServerEvent(event, ctx);
      if (verdict === undefined || verdict.action === 'forward') continue;
      if (verdict.action === 'drop') return null;
      event = verdict.event;
      replaced = true;
    }
    return replaced ? JSON.stringify(event) : undefined;
  }

  /**
   * Runs an extension's open or close hook: a throwing hook is logged and counted, and the
   * session goes on. (A throwing event handler fails its frame; see {@link frameFailed}.)
   */
  private callExtension(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.observer.relayError(this.info, 'extension_error');
      this.log.error({ sessionId: this.id, err: describeError(error) }, 'session extension failed');
    }
  }

  /** For tests and the admin API: which way frames are currently held back. */
  get paused(): { readonly [D in Direction]: boolean } {
    return { client_to_upstream: this.clientPaused, upstream_to_client: this.upstreamPaused };
  }
}
