/**
 * The `console` section of the configuration: the web console at `/console`, served with the
 * admin API (and only with it: without `admin.keyHash` there is no console either).
 *
 * @example
 * console:
 *   signInMinutes: 240
 *   eventsPerSession: 1000
 */
import { boolean, type Infer, integer, object, optional } from '@realtime-gateway/protocol/schema';

export const ConsoleConfigSchema = object({
  /** Whether the console is served when the admin API is (default true). */
  enabled: optional(boolean()),
  /** How long a sign-in lasts, in minutes (default 480); the cookie expires with it. */
  signInMinutes: optional(integer({ min: 1, max: 10_080 })),
  /** Sign-ins allowed within any `signInMinutes`; past it signing in is refused (429) for a while (default 32). */
  maxSignIns: optional(integer({ min: 1, max: 10_000 })),
  /** Sign-in attempts allowed per minute from one client address, right key or wrong (default 10). */
  signInAttemptsPerMinute: optional(integer({ min: 1, max: 10_000 })),
  /** Event streams (live table, one session's events) open at once (default 32). */
  maxStreams: optional(integer({ min: 1, max: 10_000 })),
  /** Milliseconds between two updates of the live session table (default 500). */
  pushIntervalMs: optional(integer({ min: 100, max: 60_000 })),
  /** Bytes a stream may have unsent before its next events are dropped and counted (default 256 KiB). */
  streamBufferBytes: optional(integer({ min: 16_384 })),
  /** Events of one session kept for a page that opens it late (default 500). */
  eventsPerSession: optional(integer({ min: 10, max: 100_000 })),
  /** Characters of an event's log-safe rendering kept; longer ones are cut (default 4096). */
  eventPayloadChars: optional(integer({ min: 256, max: 1_048_576 })),
});

export type ConsoleConfigInput = Infer<typeof ConsoleConfigSchema>;

export interface ConsoleConfig {
  readonly enabled: boolean;
  readonly signInMinutes: number;
  readonly maxSignIns: number;
  readonly signInAttemptsPerMinute: number;
  readonly maxStreams: number;
  readonly pushIntervalMs: number;
  readonly streamBufferBytes: number;
  readonly eventsPerSession: number;
  readonly eventPayloadChars: number;
}

/** Defaults of the `console` section; the README's configuration reference lists the same values. */
export const DEFAULT_CONSOLE: ConsoleConfig = Object.freeze({
  enabled: true,
  signInMinutes: 480,
  maxSignIns: 32,
  signInAttemptsPerMinute: 10,
  maxStreams: 32,
  pushIntervalMs: 500,
  streamBufferBytes: 262_144,
  eventsPerSession: 500,
  eventPayloadChars: 4096,
});
