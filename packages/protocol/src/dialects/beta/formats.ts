import type { AudioFormat } from '../../model/audio.js';
import { PCM_SAMPLE_RATE } from '../../model/audio.js';
import { enumOf, type Infer } from '../../schema/schema.js';

/**
 * The beta protocol's audio format names: PCM16 little-endian mono at 24 kHz, G.711 μ-law and
 * G.711 A-law at 8 kHz. GA names the same three as objects (`audio/pcm` with its rate,
 * `audio/pcmu`, `audio/pcma`).
 */
export const BETA_AUDIO_FORMATS = ['pcm16', 'g711_ulaw', 'g711_alaw'] as const;

/** A beta audio format name, as `input_audio_format` and `output_audio_format` carry it. */
export const BetaAudioFormatSchema = enumOf(BETA_AUDIO_FORMATS);
export type BetaAudioFormat = Infer<typeof BetaAudioFormatSchema>;

/**
 * The GA format object for a beta format name. PCM comes with its rate (24000, the only one
 * either protocol allows), so the GA side states what the beta name implied.
 *
 * @example
 * betaAudioFormatToGa('pcm16'); // { type: 'audio/pcm', rate: 24000 }
 * betaAudioFormatToGa('g711_ulaw'); // { type: 'audio/pcmu' }
 */
export function betaAudioFormatToGa(format: BetaAudioFormat): AudioFormat {
  switch (format) {
    case 'pcm16':
      return { type: 'audio/pcm', rate: PCM_SAMPLE_RATE };
    case 'g711_ulaw':
      return { type: 'audio/pcmu' };
    case 'g711_alaw':
      return { type: 'audio/pcma' };
  }
}

/**
 * The beta name of a GA format object. `audio/pcm` with or without its (always 24000) rate is
 * `pcm16`.
 *
 * @example
 * gaAudioFormatToBeta({ type: 'audio/pcma' }); // 'g711_alaw'
 */
export function gaAudioFormatToBeta(format: AudioFormat): BetaAudioFormat {
  switch (format.type) {
    case 'audio/pcm':
      return 'pcm16';
    case 'audio/pcmu':
      return 'g711_ulaw';
    case 'audio/pcma':
      return 'g711_alaw';
  }
}
