/**
 * The header of a WAV file of 16-bit PCM. A recording writes it twice: with zero sizes when the
 * file is opened, so that a file cut short by a crash is still recognisable, and with the real
 * sizes when the recording finishes.
 */

/** Bytes of the header {@link wavHeader} writes: RIFF, `fmt ` and `data` chunk headers. */
export const WAV_HEADER_BYTES = 44;

/**
 * A canonical 44-byte header for `dataBytes` bytes of interleaved little-endian PCM16.
 *
 * @example
 * wavHeader({ channels: 2, sampleRate: 24_000, dataBytes: 96_000 }); // one second of stereo
 */
export function wavHeader(format: {
  readonly channels: number;
  readonly sampleRate: number;
  readonly dataBytes: number;
}): Buffer {
  const { channels, sampleRate, dataBytes } = format;
  const blockAlign = channels * 2;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** What {@link parseWavHeader} reads back. */
export interface WavFormat {
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataBytes: number;
}

/**
 * Reads a canonical header, as {@link wavHeader} writes it; null when `data` does not start
 * with one.
 *
 * @example
 * parseWavHeader(wavHeader({ channels: 2, sampleRate: 24_000, dataBytes: 0 }))?.channels; // 2
 */
export function parseWavHeader(data: Buffer): WavFormat | null {
  if (data.length < WAV_HEADER_BYTES) return null;
  if (data.toString('ascii', 0, 4) !== 'RIFF' || data.toString('ascii', 8, 12) !== 'WAVE') return null;
  if (data.toString('ascii', 12, 16) !== 'fmt ' || data.toString('ascii', 36, 40) !== 'data') return null;
  if (data.readUInt16LE(20) !== 1) return null;
  return {
    channels: data.readUInt16LE(22),
    sampleRate: data.readUInt32LE(24),
    bitsPerSample: data.readUInt16LE(34),
    dataBytes: data.readUInt32LE(40),
  };
}
