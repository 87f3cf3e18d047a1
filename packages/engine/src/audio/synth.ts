/**
 * Deterministic speech stand-in: a tone whose length follows the text, so that tests can
 * compute exactly how much audio a response has and truncate or interrupt it at known points.
 */
import type { AudioFormat } from '@realtime-gateway/protocol';
import { fromSamples, sampleRate } from './codec.js';

/** Milliseconds of audio per character of text. */
export const MS_PER_CHARACTER = 40;

/** How long the audio for `text` lasts. */
export function speechDurationMs(text: string): number {
  return Math.max(1, text.length) * MS_PER_CHARACTER;
}

/**
 * The audio for `text` in `format`: a 440 Hz tone at a fifth of full scale, with 5 ms fades
 * so chunks joined end to end do not click.
 *
 * @example
 * synthesize('hello', { type: 'audio/pcm', rate: 24000 }).length; // 9600 bytes (200 ms)
 */
export function synthesize(text: string, format: AudioFormat): Uint8Array {
  const rate = sampleRate(format);
  const count = Math.floor((speechDurationMs(text) * rate) / 1000);
  const fade = Math.floor(rate * 0.005);
  const samples = new Int16Array(count);
  for (let k = 0; k < count; k++) {
    const envelope = Math.min(1, k / fade, (count - 1 - k) / fade);
    samples[k] = Math.round(Math.sin((2 * Math.PI * 440 * k) / rate) * 6553 * Math.max(0, envelope));
  }
  return fromSamples(format, samples);
}
