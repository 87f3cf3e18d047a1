/**
 * Audio in the session's formats: 24 kHz PCM16 little-endian, and 8 kHz G.711 μ-law and A-law.
 * Everything the engine analyses (speech detection, durations) works on PCM16 samples, so G.711
 * input is expanded first and G.711 output is compressed last.
 */
import type { AudioFormat } from '@realtime-gateway/protocol';

/** Samples per second of a format. */
export function sampleRate(format: AudioFormat): number {
  return format.type === 'audio/pcm' ? 24_000 : 8_000;
}

/** Bytes per sample of a format as sent on the wire. */
export function bytesPerSample(format: AudioFormat): number {
  return format.type === 'audio/pcm' ? 2 : 1;
}

/** Milliseconds of audio in `bytes` bytes of the format. */
export function durationMs(format: AudioFormat, bytes: number): number {
  return (bytes / bytesPerSample(format) / sampleRate(format)) * 1000;
}

/** Bytes of the format that hold `ms` milliseconds, rounded down to whole samples. */
export function bytesFor(format: AudioFormat, ms: number): number {
  return Math.floor((sampleRate(format) * ms) / 1000) * bytesPerSample(format);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 strictly: null for anything that is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** G.711 μ-law byte to a 16-bit sample (ITU-T G.711). */
export function muLawToSample(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** A 16-bit sample to a G.711 μ-law byte. */
export function sampleToMuLaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-CLIP, Math.min(CLIP, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** G.711 A-law byte to a 16-bit sample. */
export function aLawToSample(byte: number): number {
  const a = byte ^ 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  magnitude = Math.min(magnitude, 32767);
  return sign ? magnitude : -magnitude;
}

/** A 16-bit sample to a G.711 A-law byte. */
export function sampleToALaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, sample));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = exponent === 0 ? (s >> 4) & 0x0f : (s >> (exponent + 3)) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}

/** Wire bytes of a format to PCM16 samples at the format's own rate. */
export function toSamples(format: AudioFormat, bytes: Uint8Array): Int16Array {
  if (format.type === 'audio/pcm') {
    const samples = new Int16Array(bytes.length >> 1);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < samples.length; k++) samples[k] = view.getInt16(k * 2, true);
    return samples;
  }
  const expand = format.type === 'audio/pcmu' ? muLawToSample : aLawToSample;
  const samples = new Int16Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) samples[k] = expand(bytes[k]!);
  return samples;
}

/** PCM16 samples at the format's rate to the format's wire bytes. */
export function fromSamples(format: AudioFormat, samples: Int16Array): Uint8Array {
  if (format.type === 'audio/pcm') {
    const bytes = new Uint8Array(samples.length * 2);
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < samples.length; k++) view.setInt16(k * 2, samples[k]!, true);
    return bytes;
  }
  const compress = format.type === 'audio/pcmu' ? sampleToMuLaw : sampleToALaw;
  const bytes = new Uint8Array(samples.length);
  for (let k = 0; k < samples.length; k++) bytes[k] = compress(samples[k]!);
  return bytes;
}
