/**
 * The `recording` section of the configuration: which sessions are recorded, what of them, where,
 * and how long recordings are kept.
 *
 * @example
 * recording:
 *   dir: /var/lib/realtime-gateway/recordings
 *   include: both
 *   models: ['gpt-realtime*']
 *   retentionDays: 30
 */
import { resolve as resolvePath } from 'node:path';
import {
  array,
  enumOf,
  type Infer,
  integer,
  object,
  optional,
  string,
} from '@realtime-gateway/protocol/schema';

export const RecordingConfigSchema = object({
  /** Where recordings are written, one folder per session; relative to the working directory. */
  dir: string(),
  /** What is recorded: the events both ways (JSON lines), the audio both ways (a stereo WAV file), or both (default `both`). */
  include: optional(enumOf(['events', 'audio', 'both'])),
  /** Gateway key ids whose sessions are recorded (default all). */
  keys: optional(array(string())),
  /** Models (as the client names them or as sent upstream; `prefix*`, `*`) whose sessions are recorded (default all). */
  models: optional(array(string())),
  /** The WAV file's sample rate in Hz; audio of another rate is resampled to it (default 24000). */
  sampleRate: optional(integer({ min: 8000, max: 48_000 })),
  /** Bytes a session's recording may hold in memory before it is written; past it, frames are dropped and counted (default 8 MiB). */
  maxBufferedBytes: optional(integer({ min: 65_536 })),
  /** Recordings older than this many days are deleted (default 30). */
  retentionDays: optional(integer({ min: 1 })),
  /** Minutes between two sweeps for old recordings; one also runs at start (default 60). */
  sweepIntervalMinutes: optional(integer({ min: 1 })),
});

export type RecordingConfigInput = Infer<typeof RecordingConfigSchema>;

export type RecordingInclude = 'events' | 'audio' | 'both';

export interface RecordingConfig {
  /** An absolute path. */
  readonly dir: string;
  readonly include: RecordingInclude;
  readonly keys: readonly string[] | null;
  readonly models: readonly string[];
  readonly sampleRate: number;
  readonly maxBufferedBytes: number;
  readonly retentionDays: number;
  readonly sweepIntervalMinutes: number;
}

/** Defaults of the `recording` section; the README's configuration reference lists the same values. */
export const DEFAULT_RECORDING = Object.freeze({
  include: 'both' as const,
  sampleRate: 24_000,
  // A minute of stereo 24 kHz audio is 5.5 MiB: room for a model that speaks far ahead of time.
  maxBufferedBytes: 8 * 1024 * 1024,
  retentionDays: 30,
  sweepIntervalMinutes: 60,
});

/**
 * The `recording` section with its defaults, or null when no session is recorded.
 *
 * @example
 * resolveRecordingConfig({ dir: 'recordings' }, '/srv/gw'); // { dir: '/srv/gw/recordings', include: 'both', … }
 */
export function resolveRecordingConfig(
  raw: RecordingConfigInput | null | undefined,
  cwd: string,
): RecordingConfig | null {
  if (raw == null) return null;
  return {
    dir: resolvePath(cwd, raw.dir),
    include: raw.include ?? DEFAULT_RECORDING.include,
    keys: raw.keys ?? null,
    models: raw.models ?? ['*'],
    sampleRate: raw.sampleRate ?? DEFAULT_RECORDING.sampleRate,
    maxBufferedBytes: raw.maxBufferedBytes ?? DEFAULT_RECORDING.maxBufferedBytes,
    retentionDays: raw.retentionDays ?? DEFAULT_RECORDING.retentionDays,
    sweepIntervalMinutes: raw.sweepIntervalMinutes ?? DEFAULT_RECORDING.sweepIntervalMinutes,
  };
}
