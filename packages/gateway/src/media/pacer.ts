/**
 * One clock for every call's outgoing audio: a 20 ms tick on deadlines kept from the start
 * (start + n × 20 ms), so timer jitter never accumulates into drift, and one timer serves every
 * call in the process. A tick that comes late is not dropped: the calls are ticked once per
 * missed deadline, so the audio keeps real time and the caller's jitter buffer absorbs the
 * burst. How late ticks run is recorded, for the benchmark and the metrics.
 */
import { FRAME_MS } from './frames.js';

/** Something ticked once per frame. */
export type PacedTrack = () => void;

/** At most this many missed deadlines are caught up in one go; beyond, the clock restarts. */
const MAX_CATCH_UP = 5;

/**
 * @example
 * const pacer = new Pacer();
 * const stop = pacer.add(() => sendNextFrame());
 * // … when the call ends
 * stop();
 */
export class Pacer {
  private readonly tracks = new Set<PacedTrack>();
  private timer: NodeJS.Timeout | null = null;
  private origin = 0;
  private ticks = 0;
  /** Lateness of recent ticks in milliseconds (a ring of the last 4096). */
  private readonly lateness = new Float64Array(4096);
  private recorded = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Ticks `track` every frame until the returned function is called. */
  add(track: PacedTrack): () => void {
    this.tracks.add(track);
    if (this.timer === null) {
      this.origin = this.now();
      this.ticks = 0;
      this.schedule();
    }
    return () => {
      this.tracks.delete(track);
      if (this.tracks.size === 0 && this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /** The p50 and p99 of recorded tick lateness, in milliseconds. */
  latenessPercentiles(): { readonly p50: number; readonly p99: number; readonly count: number } {
    const count = Math.min(this.recorded, this.lateness.length);
    const sorted = Array.from(this.lateness.subarray(0, count)).sort((a, b) => a - b);
    const at = (q: number): number => (count === 0 ? 0 : sorted[Math.min(count - 1, Math.floor(q * count))]!);
    return { p50: at(0.5), p99: at(0.99), count };
  }

  private schedule(): void {
    const deadline = this.origin + (this.ticks + 1) * FRAME_MS;
    this.timer = setTimeout(this.run, Math.max(0, deadline - this.now()));
    this.timer.unref();
  }

  private readonly run = (): void => {
    const now = this.now();
    let due = Math.floor((now - this.origin) / FRAME_MS) - this.ticks;
    if (due <= 0) {
      // Timers round to whole milliseconds and may fire a fraction early: not a tick yet.
      this.schedule();
      return;
    }
    if (due > MAX_CATCH_UP) {
      // The process was stalled for long: restart the clock rather than burst seconds of audio.
      this.origin = now - FRAME_MS;
      this.ticks = 0;
      due = 1;
    }
    this.lateness[this.recorded++ % this.lateness.length] = now - (this.origin + (this.ticks + 1) * FRAME_MS);
    for (let i = 0; i < due; i++) {
      this.ticks++;
      for (const track of this.tracks) {
        try {
          track();
        } catch (error) {
          this.onError(error);
        }
      }
    }
    if (this.tracks.size > 0) this.schedule();
    else this.timer = null;
  };
}
