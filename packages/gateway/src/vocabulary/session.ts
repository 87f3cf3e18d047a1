/**
 * Words every part of the gateway uses about a session. This folder depends on nothing else in
 * the gateway, so every other folder may depend on it and no import points back.
 */

/** Which way a frame travels. */
export type Direction = 'client_to_upstream' | 'upstream_to_client';

/**
 * What a session is: a conversation (`/v1/realtime`), a transcription session
 * (`?intent=transcription`), or a translation session (`/v1/realtime/translations`), which
 * speaks events of its own; middleware decide by it whether they apply.
 */
export type SessionIntent = 'conversation' | 'transcription' | 'translation';

/** Who a session is, for code that chooses behaviour by route, key or upstream. */
export interface SessionInfo {
  readonly sessionId: string;
  /** The model the client asked for, before alias rewriting. */
  readonly model: string;
  /** The model name sent upstream, after alias rewriting. */
  readonly upstreamModel: string;
  readonly upstreamName: string;
  /** The gateway key's id, or null when auth is off or in passthrough mode. */
  readonly keyId: string | null;
  readonly intent: SessionIntent;
  /**
   * The client's transport: a WebRTC call, whose leg plays the model's audio itself, or a
   * WebSocket (also when absent).
   */
  readonly transport?: 'websocket' | 'webrtc';
}

/** How one attempt to move a session to a new upstream connection ended. */
export interface UpstreamReplacement {
  readonly outcome: 'replaced' | 'failed';
  /** `lost`: the upstream connection ended; `rollover`: it was near the upstream's cap on session length. */
  readonly reason: 'lost' | 'rollover';
  /** The upstream the session left. */
  readonly from: string;
  /** The upstream it went to; null when the replacement failed. */
  readonly to: string | null;
  /** From the loss (or the rollover's start) until the new upstream could answer. */
  readonly durationMs: number;
}

/**
 * What became of a client that could resume its session: `resumed` after its connection
 * dropped, `taken_over` from a connection still open, `expired` when the grace period ran out,
 * `overflowed` when more was sent meanwhile than is kept for it.
 */
export type ClientResumeOutcome = 'resumed' | 'taken_over' | 'expired' | 'overflowed';

/** The structured logger the gateway writes to (a pino logger fits). */
export interface SessionLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const noop = (): void => {};

/** A logger that writes nothing. */
export const NO_LOG: SessionLog = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** An error for a log line: its message, never a whole object a peer might have shaped. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
