/**
 * Opus for calls, through libopus compiled to WebAssembly (`opusscript`): no native build and
 * no download at install time, on every platform Node runs on. The realtime session's audio is
 * PCM16 at 24 kHz mono, and libopus encodes and decodes at 24 kHz itself, so no resampling is
 * needed: on the wire an Opus RTP stream always counts time at 48 kHz, whatever rate the
 * encoder ran at.
 *
 * opusscript must be given Buffers: a typed array of samples is read as something else and
 * encodes noise without an error, so every PCM frame passed in here is a Buffer of bytes.
 */
import OpusScript from 'opusscript';
import { FRAME_BYTES, FRAME_SAMPLES, PCM_RATE } from './frames.js';

export { FRAME_BYTES, FRAME_MS, FRAME_SAMPLES, PCM_RATE, RTP_FRAME_TICKS } from './frames.js';
/** A 20 ms Opus frame of silence (a CELT-only TOC byte and an empty frame), as browsers send. */
export const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/** An encoder and a decoder for one call. */
export interface OpusCodec {
  /** Encodes one frame of {@link FRAME_BYTES} bytes of PCM16 into one Opus packet. */
  encode(pcm: Buffer): Buffer;
  /** Decodes one Opus packet (any duration) into PCM16 at 24 kHz mono. */
  decode(packet: Buffer): Buffer;
  /** Frees the WebAssembly memory. */
  close(): void;
}

/**
 * A codec pair for one call.
 *
 * @example
 * const codec = createOpusCodec();
 * const packet = codec.encode(Buffer.alloc(FRAME_BYTES));
 * const pcm = codec.decode(packet); // 960 bytes of PCM16
 */
export function createOpusCodec(): OpusCodec {
  const encoder = new OpusScript(PCM_RATE, 1, OpusScript.Application.VOIP);
  const decoder = new OpusScript(PCM_RATE, 1, OpusScript.Application.VOIP);
  return {
    encode: (pcm) => Buffer.from(encoder.encode(pcm, FRAME_SAMPLES)),
    // opusscript returns a view into its own memory, reused by the next call: it is copied.
    decode: (packet) => Buffer.from(decoder.decode(packet)),
    close() {
      encoder.delete();
      decoder.delete();
    },
  };
}

/**
 * Cuts a stream of PCM16 chunks of any size into whole frames; an odd byte or a partial frame
 * waits for the next chunk.
 *
 * @example
 * const framer = new PcmFramer();
 * for (const frame of framer.push(Buffer.from(delta, 'base64'))) queue.push(frame);
 * const last = framer.flush(); // the tail, padded with silence, and its real length
 */
export class PcmFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** The whole frames `chunk` completes. */
  push(chunk: Buffer): Buffer[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    let at = 0;
    for (; at + FRAME_BYTES <= data.length; at += FRAME_BYTES)
      frames.push(data.subarray(at, at + FRAME_BYTES));
    this.pending = Buffer.from(data.subarray(at));
    return frames;
  }

  /** The partial frame left, padded with silence, and how many real samples it holds; null when none. */
  flush(): { readonly frame: Buffer; readonly samples: number } | null {
    const samples = Math.floor(this.pending.length / 2);
    const frame = Buffer.alloc(FRAME_BYTES);
    this.pending.copy(frame, 0, 0, samples * 2);
    this.pending = Buffer.alloc(0);
    return samples === 0 ? null : { frame, samples };
  }

  /** Drops what is pending (the audio was interrupted). */
  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

/** The RMS level of PCM16 samples, 0 to 32768. */
export function rmsLevel(pcm: Buffer): number {
  const count = Math.floor(pcm.length / 2);
  if (count === 0) return 0;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const sample = pcm.readInt16LE(i * 2);
    sum += sample * sample;
  }
  return Math.sqrt(sum / count);
}
