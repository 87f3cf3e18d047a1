import type { WireError } from '@realtime-gateway/protocol';
import type { Leg } from '../legs/leg.js';
import type { SessionInfo } from '../vocabulary/session.js';
import type { SessionState } from './state.js';

/** Frame and byte counts each way. */
export interface SessionStats {
  clientFrames: number;
  clientBytes: number;
  upstreamFrames: number;
  upstreamBytes: number;
}

/** A session as the registry and the admin API show it. */
export interface SessionSnapshot extends SessionStats {
  readonly id: string;
  readonly model: string;
  readonly upstreamModel: string;
  readonly upstream: string;
  readonly keyId: string | null;
  readonly intent: SessionInfo['intent'];
  /** ISO 8601. */
  readonly startedAt: string;
  readonly state: SessionState;
  /** The client's transport (`websocket`, `webrtc` for a call), null before it is attached. */
  readonly transport: string | null;
  /** The upstream's own id for the session (from its `session.created`), once known. */
  readonly upstreamSessionId: string | null;
  /** Every upstream connection the session had (times ISO 8601), the current one last. */
  readonly upstreams: readonly UpstreamConnectionSnapshot[];
}

/** One upstream connection of a session, as the admin API shows it. */
export interface UpstreamConnectionSnapshot {
  readonly upstream: string;
  readonly upstreamSessionId: string | null;
  readonly connectedAt: string;
  readonly endedAt: string | null;
  /** `lost`, `closed <code>`, `replaced`, or null while it serves. */
  readonly ended: string | null;
}

/** Why a session did not take a resuming client's connection. */
export type ResumeRefused =
  /** The session is not waiting for its client (ended, being set up, or without client resume). */
  | 'not_resumable'
  /** What the client missed is no longer all kept, so it cannot be given. */
  | 'gap';

/** What the registry needs from a session. */
export interface ManagedSession {
  readonly id: string;
  readonly state: SessionState;
  snapshot(): SessionSnapshot;
  /** Ends the session as an operator asked; false when it was not running. */
  terminate(reason: string): boolean;
  /** Tells its client an `error` event; the session goes on. False when it was not running. */
  warn(error: WireError): boolean;
  /** Ends it for a policy: `error`, then close 1008 with `reason`. False when it was not running. */
  endForPolicy(error: WireError, reason: string): boolean;
  drain(): void;
  shutdown(message?: string): void;
  destroy(): void;
  tick(now: number): void;
  /** Whether a client may resume it now, given the last event it names. */
  resumeCheck(afterEventId: string | null): ResumeRefused | null;
  /** Gives it a resuming client's connection (see `Session.resume`). */
  resume(leg: Leg, afterEventId: string | null): ResumeRefused | null;
}

/** Told as sessions come and go, to keep a directory of which process holds which session. */
export interface RegistryDirectory {
  entered(id: string): void;
  left(id: string): void;
}

/** Options for {@link SessionRegistry}. */
export interface RegistryOptions {
  /** How often sessions' time-based checks run; the smallest time limit divided by four suits. */
  readonly tickMs: number;
  readonly now?: () => number;
  readonly directory?: RegistryDirectory;
}

/**
 * The live sessions, by id. It also drives every session's time-based checks (keepalive,
 * idle, duration) from one shared timer, which costs far less than timers per session.
 *
 * @example
 * const registry = new SessionRegistry({ tickMs: 1000 });
 * registry.add(session);
 * registry.terminate(session.id, 'maintenance');
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, ManagedSession>();
  private readonly emptyWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  private tickMs: number;

  constructor(private readonly options: RegistryOptions) {
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs;
  }

  /** Runs the time checks this often from now on (a new configuration has other time limits). */
  setTickMs(tickMs: number): void {
    if (tickMs === this.tickMs) return;
    this.tickMs = tickMs;
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  add(session: ManagedSession): void {
    this.sessions.set(session.id, session);
    this.options.directory?.entered(session.id);
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  remove(id: string): void {
    if (!this.sessions.delete(id)) return;
    this.options.directory?.left(id);
    if (this.sessions.size > 0) return;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    for (const resolve of this.emptyWaiters.splice(0)) resolve();
  }

  get(id: string): SessionSnapshot | null {
    return this.sessions.get(id)?.snapshot() ?? null;
  }

  list(): SessionSnapshot[] {
    return [...this.sessions.values()].map((s) => s.snapshot());
  }

  /** Ends one session; the client gets a close with `reason`. False for an unknown or ended session. */
  terminate(id: string, reason: string): boolean {
    return this.sessions.get(id)?.terminate(reason) ?? false;
  }

  /** Tells one session's client an `error` event. False for an unknown or ended session. */
  warn(id: string, error: WireError): boolean {
    return this.sessions.get(id)?.warn(error) ?? false;
  }

  /** Ends one session for a policy (see {@link ManagedSession.endForPolicy}). */
  endForPolicy(id: string, error: WireError, reason: string): boolean {
    return this.sessions.get(id)?.endForPolicy(error, reason) ?? false;
  }

  /** Whether the session `id` lives here and a client may resume it now. */
  resumeCheck(id: string, afterEventId: string | null): ResumeRefused | null {
    const session = this.sessions.get(id);
    return session === undefined ? 'not_resumable' : session.resumeCheck(afterEventId);
  }

  /** Gives the session `id` a resuming client's connection; a refusal for an unknown one too. */
  resume(id: string, leg: Leg, afterEventId: string | null): ResumeRefused | null {
    const session = this.sessions.get(id);
    return session === undefined ? 'not_resumable' : session.resume(leg, afterEventId);
  }

  /** Whether `id` is a live session of this process. */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** Marks every session as draining (shutdown has begun). */
  drainAll(): void {
    for (const session of this.sessions.values()) session.drain();
  }

  /** Ends every session with an `error` event and close 1001. */
  shutdownAll(message?: string): void {
    for (const session of [...this.sessions.values()]) session.shutdown(message);
  }

  /** Drops every remaining connection without a close handshake. */
  destroyAll(): void {
    for (const session of [...this.sessions.values()]) session.destroy();
  }

  /** Resolves once no session is left. */
  whenEmpty(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Runs every session's time-based checks once. */
  tick(): void {
    const now = this.now();
    for (const session of this.sessions.values()) session.tick(now);
  }

  /** Stops the shared timer. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
