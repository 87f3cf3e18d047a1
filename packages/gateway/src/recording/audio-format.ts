/**
 * The audio of a session's events, as PCM16 samples at the recording's rate. A session speaks
 * PCM16 at 24 kHz (`audio/pcm`) or G.711 at 8 kHz (`audio/pcmu`, `audio/pcma`), each direction
 * as its `session.audio.input.format` / `output.format` says; G.711 is decoded and every rate
 * other than the recording's is resampled (linearly: a recording is for listening, not for
 * analysis at full fidelity).
 */

/** A session's audio format in one direction. */
export type AudioFormat =
  | { readonly type: 'audio/pcm'; readonly rate: number }
  | { readonly type: 'audio/pcmu' }
  | { readonly type: 'audio/pcma' };

/** What a session speaks until it says otherwise. */
export const DEFAULT_FORMAT: AudioFormat = Object.freeze({ type: 'audio/pcm', rate: 24_000 });

const G711_RATE = 8000;

/**
 * A format as a session event gives it (`session.audio.input.format`), or null when it is
 * none the recording knows.
 *
 * @example
 * formatOf({ type: 'audio/pcmu' }); // { type: 'audio/pcmu' }
 */
export function formatOf(value: unknown): AudioFormat | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type, rate } = value as { type?: unknown; rate?: unknown };
  if (type === 'audio/pcmu' || type === 'audio/pcma') return { type };
  if (type === 'audio/pcm') return { type, rate: typeof rate === 'number' && rate > 0 ? rate : 24_000 };
  return null;
}

/** One μ-law byte as a linear sample (ITU-T G.711). */
export function muLawSample(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** One A-law byte as a linear sample (ITU-T G.711). */
export function aLawSample(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/**
 * Resamples by linear interpolation; the same samples when the rates agree.
 *
 * @example
 * resample(Int16Array.of(0, 100), 8000, 16_000); // 0, 50, 100, 100
 */
export function resample(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to || samples.length === 0) return samples;
  const length = Math.round((samples.length * to) / from);
  const out = new Int16Array(length);
  const last = samples.length - 1;
  for (let i = 0; i < length; i++) {
    const position = (i * from) / to;
    const k = Math.min(Math.floor(position), last);
    const next = Math.min(k + 1, last);
    const fraction = position - k;
    out[i] = Math.round(samples[k]! + (samples[next]! - samples[k]!) * fraction);
  }
  return out;
}

/**
 * Decoded audio bytes of `format` as PCM16 samples at `rate`.
 *
 * @example
 * toSamples(Buffer.from(b64, 'base64'), { type: 'audio/pcmu' }, 24_000); // three samples a byte
 */
export function toSamples(bytes: Buffer, format: AudioFormat, rate: number): Int16Array {
  if (format.type === 'audio/pcm') {
    const samples = new Int16Array(bytes.length >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
    return resample(samples, format.rate, rate);
  }
  const decode = format.type === 'audio/pcmu' ? muLawSample : aLawSample;
  const samples = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) samples[i] = decode(bytes[i]!);
  return resample(samples, G711_RATE, rate);
}
