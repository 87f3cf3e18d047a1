/**
 * One entry of a session's timeline in the console, and how a relayed frame becomes one. Audio
 * is never rendered: consecutive audio frames of one type and direction fold into one entry
 * that counts them and their bytes. Other events keep their bytes and are rendered log-safe
 * (`redactForLog`: media as sizes, secrets redacted) only when a page reads them.
 */
import { renderForLog } from '@realtime-gateway/protocol';

/** Frames carrying audio (GA, and beta's name for a delta), never rendered. */
export const AUDIO_TYPES: ReadonlySet<string> = new Set([
  'input_audio_buffer.append',
  'response.output_audio.delta',
  'response.audio.delta',
]);

/** Events that make up the conversation: a session keeps them apart from its timeline. */
export const CONVERSATION_TYPES: ReadonlySet<string> = new Set([
  'conversation.item.create',
  'conversation.item.input_audio_transcription.completed',
  'response.output_audio_transcript.done',
  'response.output_text.done',
  'response.function_call_arguments.done',
  'error',
]);

/** An audio entry spans at most this long: a second of audio is one entry, whatever comes between. */
const FOLD_MS = 1000;

/** Which side sent it: `client` frames went upstream, `upstream` frames to the client. */
export type Side = 'client' | 'upstream';

/** A timeline entry as kept; `source` is what is rendered when a page reads it. */
export interface TapEntry {
  readonly seq: number;
  readonly at: number;
  readonly side: Side;
  readonly type: string | null;
  bytes: number;
  frames: number;
  lastAt: number;
  /** A non-audio frame's bytes (rendered when read), or its rendering; null for audio. */
  readonly source: Buffer | string | null;
}

/** A timeline entry as a page gets it. */
export interface ConsoleEvent {
  readonly seq: number;
  /** ISO 8601. */
  readonly at: string;
  readonly side: Side;
  readonly type: string | null;
  readonly bytes: number;
  readonly frames: number;
  /** The event rendered log-safe and cut to the configured length; null for audio. */
  readonly payload: string | null;
}

/**
 * Whether a frame folds into `previous`, its side's latest audio entry, rather than starting
 * one: an audio frame of the same type within a second of the entry's start. Other events in
 * between (transcript deltas, the other side's audio) do not stop it.
 *
 * @example
 * folds(lastAudio, 'upstream', 'response.output_audio.delta', Date.now()); // true within the second
 */
export function folds(previous: TapEntry | undefined, type: string | null, at: number): boolean {
  return previous !== undefined && type !== null && previous.type === type && at - previous.at <= FOLD_MS;
}

/**
 * What an entry keeps of a non-audio frame: its bytes when they are no longer than what a page
 * is shown (rendered only if one reads it), otherwise its rendering, cut, so that no entry
 * holds more than about `maxChars` however large the frame.
 *
 * @example
 * sourceOf(frame.data, null, 4096); // the Buffer itself for a small frame
 */
export function sourceOf(data: Buffer | null, event: unknown, maxChars: number): Buffer | string {
  if (data !== null && data.length <= maxChars) return data;
  return cut(render(data ?? event), maxChars);
}

/**
 * An entry as a page gets it, its payload rendered and cut to `maxChars`.
 *
 * @example
 * toConsoleEvent(entry, 4096).payload; // '{"type":"error","error":{…}}'
 */
export function toConsoleEvent(entry: TapEntry, maxChars: number): ConsoleEvent {
  return {
    seq: entry.seq,
    at: new Date(entry.at).toISOString(),
    side: entry.side,
    type: entry.type,
    bytes: entry.bytes,
    frames: entry.frames,
    payload:
      entry.source === null
        ? null
        : typeof entry.source === 'string'
          ? entry.source
          : cut(render(entry.source), maxChars),
  };
}

function render(source: unknown): string {
  if (!Buffer.isBuffer(source)) return renderForLog(source);
  try {
    return renderForLog(JSON.parse(source.toString('utf8')));
  } catch {
    return `[${source.length} bytes, not JSON]`;
  }
}

function cut(text: string, maxChars: number): string {
  return text.length <= maxChars
    ? text
    : `${text.slice(0, maxChars)}… [${text.length - maxChars} more characters]`;
}
