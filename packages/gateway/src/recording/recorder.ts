/**
 * One session's recording: its events as JSON lines (`events.jsonl`) and its audio as a stereo
 * WAV file (`audio.wav`: the user on the left, the model on the right), in a folder of its own.
 *
 * The relay's only cost is {@link Recorder.capture}: it keeps a reference to the frame's bytes
 * (or event) and a timestamp. Rendering (log-safe: secrets redacted, media replaced by its
 * size), audio decoding and file writes happen afterwards, a batch at a time, one write after
 * another. What waits — frames not yet rendered, audio one channel holds ahead of the other,
 * bytes not yet written — is bounded by `maxBufferedBytes`: a frame that would pass it is not
 * recorded, and counted, and the relay never waits.
 *
 * Lifecycle: `idle` → {@link Recorder.start} → `recording` → {@link Recorder.finish} →
 * `finishing` → `finished` (files complete, the WAV header's sizes set), or `failed` from
 * `recording` or `finishing` when a file cannot be opened or written (what was written stays).
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { redactForLog } from '@realtime-gateway/protocol';
import type { GuardrailDecision } from '../guardrails/decisions.js';
import { PCM_RATE } from '../media/frames.js';
import { describeError, type SessionLog } from '../vocabulary/session.js';
import { type AudioFormat, DEFAULT_FORMAT, formatOf, toSamples } from './audio-format.js';
import type { RecordingInclude } from './config.js';
import { blockedMarker, markBlocked } from './guardrail-marks.js';
import type { RecordingObserver } from './observer.js';
import { type Channel, StereoTimeline } from './timeline.js';
import { type FrameRange, ModelItems } from './truncation.js';
import { WAV_HEADER_BYTES, wavHeader } from './wav.js';

/** A recording's state; see the module's comment for the transitions. */
export type RecordingState = 'idle' | 'recording' | 'finishing' | 'finished' | 'failed';

/** Which side sent a frame: `client` frames went to the upstream, `upstream` frames to the client. */
export type Side = 'client' | 'upstream';

export const EVENTS_FILE = 'events.jsonl';
export const AUDIO_FILE = 'audio.wav';

/** How often silence is laid on both channels while nothing is said, in milliseconds. */
const ADVANCE_MS = 1000;

/** Events whose audio is recorded: the field holding it, and the channel. */
const AUDIO_EVENTS: ReadonlyMap<string, { readonly field: string; readonly channel: Channel }> = new Map([
  ['input_audio_buffer.append', { field: 'audio', channel: 0 }],
  ['response.output_audio.delta', { field: 'delta', channel: 1 }],
] as const);

/** What a call's leg plays: the realtime API's PCM, whatever the session's formats. */
const PLAYED_FORMAT: AudioFormat = Object.freeze({ type: 'audio/pcm', rate: PCM_RATE });

/** Events that tell the session's audio formats. */
const SESSION_EVENTS: ReadonlySet<string> = new Set(['session.created', 'session.updated']);

const TRUNCATE = 'conversation.item.truncate';

/** Event types the recording needs when it records audio only. */
export const AUDIO_TYPES: ReadonlySet<string> = new Set([
  ...AUDIO_EVENTS.keys(),
  ...SESSION_EVENTS,
  TRUNCATE,
]);

/** Frames read and rewritten at a time when written audio is silenced. */
const SILENCE_FRAMES = 16_384;

export interface RecorderOptions {
  readonly sessionId: string;
  /** The session's folder (made by {@link Recorder.start}). */
  readonly dir: string;
  readonly include: RecordingInclude;
  readonly sampleRate: number;
  readonly maxBufferedBytes: number;
  /** Written as the first line of the events file. */
  readonly about: Readonly<Record<string, unknown>>;
  readonly observer: RecordingObserver;
  readonly log: SessionLog;
  /** Milliseconds on a monotonic clock (default `performance.now`). */
  readonly now?: () => number;
  /**
   * The model's channel is the audio the client's transport played ({@link Recorder.capturePlayed},
   * a call's), not the audio deltas relayed (default false).
   */
  readonly playedAudio?: boolean;
}

/** A frame as captured: its bytes as relayed, or the event a middleware made. */
interface Captured {
  readonly at: number;
  readonly side: Side | 'gateway';
  readonly data: Buffer | null;
  readonly event: unknown;
  readonly bytes: number;
  /** A frame of the model's audio as played (see {@link Recorder.capturePlayed}), not an event. */
  readonly played?: { readonly pcm: Buffer; readonly continued: boolean };
  /** A guardrail's decision (see {@link Recorder.captureDecision}), not a frame. */
  readonly decision?: GuardrailDecision;
}

/** An open file and where its writes have got to. */
interface Output {
  readonly handle: FileHandle;
  bytes: number;
}

/**
 * @example
 * const recorder = new Recorder({ sessionId, dir, include: 'both', sampleRate: 24_000, … });
 * recorder.start();
 * recorder.capture('client', frame.data, frame.event); // in a middleware's handler
 * await recorder.finish(); // when the session ends, however it ends
 */
export class Recorder {
  private status: RecordingState = 'idle';
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly events: boolean;
  private readonly audio: boolean;
  private queue: Captured[] = [];
  private queuedBytes = 0;
  /** Bytes handed to a write that has not completed. */
  private unwritten = 0;
  private droppedFrames = 0;
  private readonly timeline = new StereoTimeline();
  private readonly modelItems = new ModelItems();
  private readonly formats: [AudioFormat, AudioFormat] = [DEFAULT_FORMAT, DEFAULT_FORMAT];
  private files: { events: Output | null; audio: Output | null } | null = null;
  /** The chain of file operations: opening, then each write in order. */
  private chain: Promise<void> = Promise.resolve();
  private batch: NodeJS.Immediate | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private finishing: Promise<void> | null = null;

  constructor(private readonly options: RecorderOptions) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.events = options.include !== 'audio';
    this.audio = options.include !== 'events';
  }

  get state(): RecordingState {
    return this.status;
  }

  /** Frames left out because the buffer was full. */
  get dropped(): number {
    return this.droppedFrames;
  }

  /** Opens the files (in the background: frames captured meanwhile wait for them). */
  start(): void {
    if (this.status !== 'idle') return;
    this.status = 'recording';
    this.options.observer.started();
    this.chain = this.openFiles().catch((error: unknown) => this.fail(error, 'opened'));
    if (this.audio) {
      this.ticker = setInterval(() => this.advance(), ADVANCE_MS);
      this.ticker.unref();
    }
  }

  /**
   * Keeps a frame for the recording; never waits, never throws. `data` is the frame's bytes
   * as relayed, or null for an event a middleware made (then `event` is it).
   */
  capture(side: Side, data: Buffer | null, event: unknown): void {
    this.keep({ at: this.now() - this.startedAt, side, data, event, bytes: data?.length ?? 256 });
  }

  /**
   * Keeps a frame of the model's audio as the client's transport played it (a call's RTP
   * track), PCM16 at 24 kHz, for the right channel of a recording made with `playedAudio`: laid
   * at the time it played, or right after the frame before when `continued`. Bounded, never
   * waits, never throws, as {@link capture}.
   */
  capturePlayed(pcm: Buffer, continued: boolean): void {
    if (!this.audio) return;
    const at = this.now() - this.startedAt;
    this.keep({
      at,
      side: 'upstream',
      data: null,
      event: null,
      bytes: pcm.length,
      played: { pcm, continued },
    });
  }

  /**
   * Keeps a guardrail's decision: the client event it stopped, its texts replaced by a marker,
   * or, for what no client event carried (an audio turn's transcript, an answer cut), a line of
   * the gateway's saying what was stopped. Bounded, never waits, never throws, as {@link capture}.
   */
  captureDecision(decision: GuardrailDecision, blocked?: unknown): void {
    if (!this.events) return;
    const at = this.now() - this.startedAt;
    const marker = blockedMarker(decision.guardrail);
    if (blocked !== undefined) {
      this.keep({
        at,
        side: 'client',
        data: null,
        event: markBlocked(blocked, marker),
        bytes: 512,
        decision,
      });
      return;
    }
    this.keep({ at, side: 'gateway', data: null, event: null, bytes: 256, decision });
  }

  private keep(captured: Captured): void {
    if (this.status !== 'recording') return;
    if (this.buffered + captured.bytes > this.options.maxBufferedBytes) {
      this.droppedFrames++;
      this.options.observer.dropped(1);
      return;
    }
    this.queue.push(captured);
    this.queuedBytes += captured.bytes;
    if (this.batch === null) this.batch = setImmediate(() => this.process());
  }

  /**
   * Renders and writes what is left, sets the WAV header's sizes and closes the files. Safe to
   * call more than once and in any state; resolves when the files are complete (or have failed).
   */
  finish(): Promise<void> {
    if (this.finishing !== null) return this.finishing;
    if (this.status === 'idle') this.status = 'finished';
    if (this.status !== 'recording') {
      this.finishing = this.chain;
      return this.finishing;
    }
    this.status = 'finishing';
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.batch !== null) clearImmediate(this.batch);
    this.process();
    if (this.audio) this.write('audio', this.timeline.finish());
    this.write('events', this.line({ t: this.elapsed(), end: true, dropped: this.droppedFrames }));
    this.chain = this.chain.then(() => this.close());
    this.finishing = this.chain;
    return this.finishing;
  }

  /** Bytes waiting in memory: frames, audio one channel holds ahead, writes not done. */
  private get buffered(): number {
    return this.queuedBytes + this.timeline.held * 2 + this.unwritten;
  }

  private elapsed(): number {
    return Math.round(this.now() - this.startedAt);
  }

  /** A time as a frame position of the recording. */
  private position(ms: number): number {
    return Math.round((ms * this.options.sampleRate) / 1000);
  }

  private async openFiles(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const events = this.events ? await open(join(this.options.dir, EVENTS_FILE), 'w') : null;
    let audio: FileHandle | null = null;
    try {
      // Read too: a truncation silences audio already written.
      audio = this.audio ? await open(join(this.options.dir, AUDIO_FILE), 'w+') : null;
    } catch (error) {
      await events?.close();
      throw error;
    }
    this.files = {
      events: events && { handle: events, bytes: 0 },
      audio: audio && { handle: audio, bytes: 0 },
    };
    // Zero sizes until the end: a file cut short is still a WAV file, of nothing.
    if (this.files.audio !== null) await this.put(this.files.audio, this.header(0));
    if (this.files.events !== null)
      await this.put(this.files.events, Buffer.from(this.line(this.options.about)));
  }

  private header(dataBytes: number): Buffer {
    return wavHeader({ channels: 2, sampleRate: this.options.sampleRate, dataBytes });
  }

  /** Renders the captured frames and hands their lines and audio to the writes. */
  private process(): void {
    this.batch = null;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    let lines = '';
    for (const captured of batch) {
      if (captured.played !== undefined) {
        this.layPlayed(captured.at, captured.played);
        continue;
      }
      const event = captured.data === null ? captured.event : parse(captured.data);
      if (this.audio && event !== null) this.listen(captured, event as Record<string, unknown>);
      if (this.events) lines += this.render(captured, event);
    }
    if (lines !== '') this.write('events', lines);
    if (this.audio) this.write('audio', this.timeline.take());
  }

  /** One events line: the event log-safe, or, for a frame that is not JSON, its size. */
  private render(captured: Captured, event: unknown): string {
    const t = Math.round(captured.at);
    const decision = captured.decision;
    if (decision !== undefined) {
      const { guardrail, direction, action, cause } = decision;
      if (event !== null)
        return this.line({ t, from: captured.side, blocked: guardrail, event: redactForLog(event) });
      return this.line({
        t,
        from: 'gateway',
        guardrail: { name: guardrail, direction, action, cause },
        text: blockedMarker(guardrail),
      });
    }
    if (event === null) return this.line({ t, from: captured.side, bytes: captured.bytes });
    return this.line({ t, from: captured.side, event: redactForLog(event) });
  }

  private line(value: unknown): string {
    return `${JSON.stringify(value)}\n`;
  }

  /** Lays an event's audio on the timeline, and follows the formats the upstream says. */
  private listen(captured: Captured, event: Record<string, unknown>): void {
    const type = event.type;
    if (typeof type !== 'string') return;
    if (captured.side === 'upstream' && SESSION_EVENTS.has(type)) {
      const audio = (
        event.session as { audio?: { input?: { format?: unknown }; output?: { format?: unknown } } }
      )?.audio;
      this.formats[0] = formatOf(audio?.input?.format) ?? this.formats[0];
      this.formats[1] = formatOf(audio?.output?.format) ?? this.formats[1];
      return;
    }
    if (type === TRUNCATE && captured.side === 'client') {
      this.truncate(event);
      return;
    }
    const spec = AUDIO_EVENTS.get(type);
    const payload = spec === undefined ? undefined : event[spec.field];
    if (spec === undefined || typeof payload !== 'string') return;
    // A call's model audio is recorded as played: deltas it dropped unplayed are not heard.
    if (spec.channel === 1 && this.options.playedAudio === true) return;
    const bytes = Buffer.from(payload, 'base64');
    let samples = toSamples(bytes, this.formats[spec.channel], this.options.sampleRate);
    const at = this.position(captured.at);
    if (spec.channel === 1 && typeof event.item_id === 'string')
      samples = this.modelItems.lay(event.item_id, Math.max(at, this.timeline.end(1)), samples);
    this.timeline.push(spec.channel, samples, at);
  }

  /** The client stopped playing an answer at `audio_end_ms`: the model channel is cut there. */
  private truncate(event: Record<string, unknown>): void {
    const { item_id: itemId, audio_end_ms: endMs } = event;
    if (typeof itemId !== 'string' || typeof endMs !== 'number') return;
    const range = this.modelItems.truncate(itemId, this.position(endMs));
    const written = range === null ? null : this.timeline.cut(1, range.from, range.to);
    if (written !== null) this.silenceWritten(1, written);
  }

  /** Silences one channel of frames already written, in place, a bounded stretch at a time. */
  private silenceWritten(channel: Channel, range: FrameRange): void {
    this.chain = this.chain.then(async () => {
      const output = this.files?.audio ?? null;
      if (output === null || this.status === 'failed') return;
      try {
        for (let frame = range.from; frame < range.to; frame += SILENCE_FRAMES) {
          const buffer = Buffer.alloc(Math.min(SILENCE_FRAMES, range.to - frame) * 4);
          const position = WAV_HEADER_BYTES + frame * 4;
          const { bytesRead } = await output.handle.read(buffer, 0, buffer.length, position);
          for (let k = channel * 2; k + 1 < bytesRead; k += 4) buffer.writeInt16LE(0, k);
          await output.handle.write(buffer, 0, bytesRead, position);
        }
      } catch (error) {
        this.fail(error, 'written');
      }
    });
  }

  /** A played frame on the model's channel: right after the one before, or where it played. */
  private layPlayed(at: number, played: NonNullable<Captured['played']>): void {
    const samples = toSamples(played.pcm, PLAYED_FORMAT, this.options.sampleRate);
    this.timeline.push(1, samples, played.continued ? 0 : this.position(at));
  }

  /** Time passed: silence where nothing was said, written out. */
  private advance(): void {
    if (this.status !== 'recording') return;
    this.timeline.advance(this.position(this.now() - this.startedAt));
    this.write('audio', this.timeline.take());
  }

  private write(file: 'events' | 'audio', data: string | Buffer): void {
    if (data.length === 0) return;
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    this.unwritten += buffer.length;
    this.chain = this.chain.then(async () => {
      this.unwritten -= buffer.length;
      const output = this.files?.[file] ?? null;
      if (output === null || this.status === 'failed') return;
      await this.put(output, buffer).catch((error: unknown) => this.fail(error, 'written'));
    });
  }

  private async put(output: Output, buffer: Buffer): Promise<void> {
    await output.handle.write(buffer, 0, buffer.length, null);
    output.bytes += buffer.length;
    this.options.observer.written(buffer.length);
  }

  private async close(): Promise<void> {
    const files = this.files;
    const ok = this.status === 'finishing';
    try {
      if (ok && files?.audio) {
        await files.audio.handle.write(
          this.header(files.audio.bytes - WAV_HEADER_BYTES),
          0,
          WAV_HEADER_BYTES,
          0,
        );
      }
    } catch (error) {
      this.fail(error, 'finished');
    } finally {
      await files?.events?.handle.close().catch(() => {});
      await files?.audio?.handle.close().catch(() => {});
    }
    if (this.status === 'finishing') this.status = 'finished';
    this.options.observer.finished(this.status === 'finished');
  }

  private fail(error: unknown, what: string): void {
    if (this.status === 'failed') return;
    const wasRecording = this.status === 'recording';
    this.status = 'failed';
    if (this.ticker !== null) clearInterval(this.ticker);
    this.queue = [];
    this.queuedBytes = 0;
    this.options.log.warn(
      { sessionId: this.options.sessionId, err: describeError(error) },
      `the session's recording could not be ${what}; it stops here`,
    );
    // A recording that fails while recording is still closed by finish(); say so there.
    if (wasRecording) this.chain = this.chain.then(() => this.close());
  }
}

/** A frame's bytes as JSON, or null when they are not. */
function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
