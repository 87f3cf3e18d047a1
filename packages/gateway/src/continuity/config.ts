/**
 * The `continuity` section: whether a session outlives its upstream connection, how often, and
 * whether a client whose connection dropped may come back.
 */
import { boolean, type Infer, integer, object, optional } from '@realtime-gateway/protocol/schema';
import { DEFAULT_LEDGER_LIMITS } from './conversation-ledger.js';

export const ContinuityConfigSchema = object({
  /** Replace a lost upstream connection and replay the conversation onto the new one (default true). */
  enabled: optional(boolean()),
  /** Upstream connections a session may be moved to after its first (default 3). */
  maxReplacements: optional(integer({ min: 0, max: 1000 })),
  /** How long the new upstream may take to confirm the replayed conversation, in milliseconds (default 10000). */
  replayTimeoutMs: optional(integer({ min: 100 })),
  /** Conversation items kept per session for a replay; older ones are dropped and counted (default 2000). */
  maxItems: optional(integer({ min: 1 })),
  /** Bytes of text (messages, transcripts, call arguments and outputs) kept per session (default 2000000). */
  maxTextBytes: optional(integer({ min: 1024 })),
  /**
   * How long before an upstream's `maxSessionMs` the session is moved to a new upstream
   * connection, at the first quiet moment (default 120000).
   */
  rolloverBeforeMs: optional(integer({ min: 0 })),
  /**
   * How long a session whose client connection dropped (no close frame) waits for the client to
   * resume it with its resume token; 0, the default, ends it at once.
   */
  clientGraceMs: optional(integer({ min: 0, max: 3_600_000 })),
  /** Bytes of what was sent to the client kept for a resume, per session with resume on (default 1000000). */
  resumeWindowBytes: optional(integer({ min: 1024 })),
});

export type ContinuityConfigInput = Infer<typeof ContinuityConfigSchema>;

export interface ContinuityConfig {
  readonly enabled: boolean;
  readonly maxReplacements: number;
  readonly replayTimeoutMs: number;
  readonly maxItems: number;
  readonly maxTextBytes: number;
  readonly rolloverBeforeMs: number;
  readonly clientGraceMs: number;
  readonly resumeWindowBytes: number;
}

/** Defaults of the `continuity` section; the README's configuration reference lists the same values. */
export const DEFAULT_CONTINUITY: ContinuityConfig = Object.freeze({
  enabled: true,
  maxReplacements: 3,
  replayTimeoutMs: 10_000,
  maxItems: DEFAULT_LEDGER_LIMITS.maxItems,
  maxTextBytes: DEFAULT_LEDGER_LIMITS.maxTextBytes,
  rolloverBeforeMs: 120_000,
  clientGraceMs: 0,
  resumeWindowBytes: 1_000_000,
});

/**
 * The `continuity` section with its defaults.
 *
 * @example
 * resolveContinuity({ replayTimeoutMs: 5000 }).maxReplacements; // 3
 */
export function resolveContinuity(raw: ContinuityConfigInput | null | undefined): ContinuityConfig {
  const given = raw ?? {};
  return {
    enabled: given.enabled ?? DEFAULT_CONTINUITY.enabled,
    maxReplacements: given.maxReplacements ?? DEFAULT_CONTINUITY.maxReplacements,
    replayTimeoutMs: given.replayTimeoutMs ?? DEFAULT_CONTINUITY.replayTimeoutMs,
    maxItems: given.maxItems ?? DEFAULT_CONTINUITY.maxItems,
    maxTextBytes: given.maxTextBytes ?? DEFAULT_CONTINUITY.maxTextBytes,
    rolloverBeforeMs: given.rolloverBeforeMs ?? DEFAULT_CONTINUITY.rolloverBeforeMs,
    clientGraceMs: given.clientGraceMs ?? DEFAULT_CONTINUITY.clientGraceMs,
    resumeWindowBytes: given.resumeWindowBytes ?? DEFAULT_CONTINUITY.resumeWindowBytes,
  };
}
