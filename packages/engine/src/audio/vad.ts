/**
 * Server-side voice activity detection by energy, as `server_vad` is configured: speech starts
 * when a 20 ms window's RMS level passes the threshold, and stops after `silence_duration_ms`
 * below it; `prefix_padding_ms` of audio before the start belongs to the turn. Pure state
 * machine: feed it samples, it says what happened and where (in ms of the input buffer).
 */

export interface VadSettings {
  /**
   * 0..1 as OpenAI's `threshold`. Speech is an RMS level of at least a tenth of it, as a
   * fraction of full scale: the default 0.5 means -26 dBFS, quiet speech into a headset.
   */
  readonly threshold: number;
  readonly prefixPaddingMs: number;
  readonly silenceDurationMs: number;
}

export type VadEvent =
  | { readonly type: 'speech_started'; readonly audioStartMs: number }
  | { readonly type: 'speech_stopped'; readonly audioEndMs: number };

const WINDOW_MS = 20;
const LEVEL_SCALE = 0.1;

/**
 * @example
 * const vad = new EnergyVad({ threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 }, 24000);
 * for (const event of vad.push(samples)) console.log(event.type);
 */
export class EnergyVad {
  private speaking = false;
  private silentMs = 0;
  /** Milliseconds of audio seen so far. */
  private positionMs = 0;
  private window: number[] = [];
  private readonly windowSamples: number;

  constructor(
    private readonly settings: VadSettings,
    sampleRate: number,
  ) {
    this.windowSamples = Math.round((sampleRate * WINDOW_MS) / 1000);
  }

  get inSpeech(): boolean {
    return this.speaking;
  }

  /** Feeds samples; returns the events they caused, in order. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    for (let k = 0; k < samples.length; k++) {
      this.window.push(samples[k]!);
      if (this.window.length < this.windowSamples) continue;
      const event = this.onWindow(rms(this.window));
      this.window = [];
      if (event !== null) events.push(event);
    }
    return events;
  }

  /** Starts over, as after a commit or clear. */
  reset(): void {
    this.speaking = false;
    this.silentMs = 0;
    this.positionMs = 0;
    this.window = [];
  }

  private onWindow(level: number): VadEvent | null {
    const start = this.positionMs;
    this.positionMs += WINDOW_MS;
    const loud = level >= this.settings.threshold * LEVEL_SCALE;
    if (!this.speaking) {
      if (!loud) return null;
      this.speaking = true;
      this.silentMs = 0;
      return { type: 'speech_started', audioStartMs: Math.max(0, start - this.settings.prefixPaddingMs) };
    }
    if (loud) {
      this.silentMs = 0;
      return null;
    }
    this.silentMs += WINDOW_MS;
    if (this.silentMs < this.settings.silenceDurationMs) return null;
    this.speaking = false;
    return { type: 'speech_stopped', audioEndMs: this.positionMs - this.silentMs };
  }
}

/** Root mean square of samples as a fraction of full scale. */
export function rms(samples: readonly number[]): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length)) / 32768;
}
