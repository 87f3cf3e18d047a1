/**
 * The assistant's audio on its way to the caller, as a queue with no clock of its own: the
 * pacer takes one frame per 20 ms tick, and the queue knows from that how much of each item
 * was actually played out. That is what OpenAI's WebRTC endpoint reports and acts on: the
 * `output_audio_buffer.started / stopped / cleared` events, and on an interruption the point
 * (`audio_end_ms`) at which the assistant's item is truncated, so the model's memory of the
 * conversation matches what the user heard.
 *
 * "Played" means handed to the RTP track: the caller's jitter buffer holds a few tens of
 * milliseconds more, which is below what truncation can resolve in speech.
 */
import { PCM_RATE } from '../media/frames.js';

/** Which assistant audio a frame belongs to. */
export interface AudioSource {
  readonly responseId: string;
  readonly itemId: string;
  readonly contentIndex: number;
}

/** One frame of PCM waiting to be encoded and sent. */
export interface QueuedFrame {
  readonly pcm: Buffer;
  /** Real samples in the frame (the last frame of an item may be padded). */
  readonly samples: number;
  readonly source: AudioSource;
}

/** What the client is told about its output buffer. */
export type PlayoutEvent =
  | { readonly type: 'output_audio_buffer.started'; readonly response_id: string }
  | { readonly type: 'output_audio_buffer.stopped'; readonly response_id: string }
  | { readonly type: 'output_audio_buffer.cleared'; readonly response_id: string };

/** Where an interrupted item is cut: the `conversation.item.truncate` to send upstream. */
export interface TruncatePoint {
  readonly itemId: string;
  readonly contentIndex: number;
  readonly audioEndMs: number;
}

/** One tick's result: the frame to send (if any) and the events to tell the client. */
export interface PlayoutTick {
  readonly frame: QueuedFrame | null;
  readonly events: readonly PlayoutEvent[];
}

/** Finished responses remembered: late deltas come for the last few, never for old ones. */
const MAX_FINISHED = 64;

const sameContent = (a: AudioSource, b: AudioSource): boolean =>
  a.itemId === b.itemId && a.contentIndex === b.contentIndex;

/**
 * @example
 * const playout = new PlayoutQueue();
 * playout.push({ pcm, samples: 480, source: { responseId, itemId, contentIndex: 0 } });
 * const { frame, events } = playout.tick(); // events: output_audio_buffer.started
 * const { truncate } = playout.clear();     // { itemId, contentIndex: 0, audioEndMs: 20 }
 * playout.drop(responseId);                 // a cut response: [output_audio_buffer.cleared]
 */
export class PlayoutQueue {
  private frames: QueuedFrame[] = [];
  private head = 0;
  /** The response whose audio is playing (started told, stopped not yet). */
  private playing: string | null = null;
  /** The content being played and how many of its samples went out. */
  private current: { source: AudioSource; samples: number } | null = null;
  /** Responses that will get no more audio (the most recent {@link MAX_FINISHED}). */
  private readonly finished = new Set<string>();

  /** Frames waiting. */
  get length(): number {
    return this.frames.length - this.head;
  }

  /** Whether audio is playing: started told, and neither stopped nor cleared since. */
  get isPlaying(): boolean {
    return this.playing !== null;
  }

  push(frame: QueuedFrame): void {
    this.frames.push(frame);
  }

  /** No more audio comes for `responseId`: once its frames are out, it has stopped. */
  finish(responseId: string): void {
    this.markFinished(responseId);
  }

  /** Takes the frame for this tick, with the events it causes. */
  tick(): PlayoutTick {
    const events: PlayoutEvent[] = [];
    const frame = this.head < this.frames.length ? this.frames[this.head++]! : null;
    if (this.head > 256 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    if (frame !== null) {
      const { responseId } = frame.source;
      if (this.playing !== responseId) {
        if (this.playing !== null) events.push(this.stopped(this.playing));
        this.playing = responseId;
        events.push({ type: 'output_audio_buffer.started', response_id: responseId });
      }
      if (this.current === null || !sameContent(this.current.source, frame.source))
        this.current = { source: frame.source, samples: 0 };
      this.current.samples += frame.samples;
    } else if (this.playing !== null && this.finished.has(this.playing)) {
      events.push(this.stopped(this.playing));
    }
    return { frame, events };
  }

  /**
   * Drops every waiting frame (the user interrupted, or the client asked): the playing
   * response is cleared, and the truncate point is where its item's played audio ends.
   */
  clear(): { readonly events: readonly PlayoutEvent[]; readonly truncate: TruncatePoint | null } {
    this.frames = [];
    this.head = 0;
    const playing = this.playing;
    const current = this.current;
    this.playing = null;
    this.current = null;
    if (playing === null) return { events: [], truncate: null };
    this.markFinished(playing);
    const truncate =
      current === null
        ? null
        : {
            itemId: current.source.itemId,
            contentIndex: current.source.contentIndex,
            audioEndMs: samplesToMs(current.samples),
          };
    return { events: [{ type: 'output_audio_buffer.cleared', response_id: playing }], truncate };
  }

  /**
   * Drops one response's audio (it was cut short): its waiting frames go, it stops if it is
   * playing, and no more of it is queued. Cleared is told when any of its audio was playing or
   * waiting; there is no truncate point, as the response's item is not kept.
   */
  drop(responseId: string): readonly PlayoutEvent[] {
    const waiting = this.frames.slice(this.head);
    const kept = waiting.filter((frame) => frame.source.responseId !== responseId);
    const held = kept.length !== waiting.length || this.playing === responseId;
    this.frames = kept;
    this.head = 0;
    if (this.playing === responseId) {
      this.playing = null;
      this.current = null;
    }
    this.markFinished(responseId);
    return held ? [{ type: 'output_audio_buffer.cleared', response_id: responseId }] : [];
  }

  /** Whether frames of `responseId` should still be queued (it was not cleared). */
  accepts(responseId: string): boolean {
    return !this.finished.has(responseId) || this.playing === responseId;
  }

  private markFinished(responseId: string): void {
    this.finished.add(responseId);
    // A response that finished without playing (text only) is never stopped; the oldest go.
    if (this.finished.size > MAX_FINISHED)
      this.finished.delete(this.finished.values().next().value as string);
  }

  private stopped(responseId: string): PlayoutEvent {
    this.playing = null;
    this.current = null;
    this.finished.delete(responseId);
    return { type: 'output_audio_buffer.stopped', response_id: responseId };
  }
}

/** Whole milliseconds of audio in `samples` at the session's rate. */
export function samplesToMs(samples: number): number {
  return Math.floor((samples * 1000) / PCM_RATE);
}
