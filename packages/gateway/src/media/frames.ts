/**
 * The sizes of a call's audio frames, apart from the codec (so that what only counts frames,
 * such as the pacer, does not load libopus).
 */

/** The realtime API's PCM: 24 kHz, mono, 16-bit little-endian. */
export const PCM_RATE = 24_000;
/** One Opus frame: 20 ms, the packet time browsers use. */
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (PCM_RATE * FRAME_MS) / 1000;
export const FRAME_BYTES = FRAME_SAMPLES * 2;
/** RTP time of one frame: Opus RTP runs a 48 kHz clock (RFC 7587). */
export const RTP_FRAME_TICKS = (48_000 * FRAME_MS) / 1000;
