/**
 * Usage as the ledger keeps it: one flat set of counts, whichever event reported it. A
 * `response.done` usage and a transcription usage are turned into the same shape, so that
 * totals, costs and budgets add them up without knowing where they came from.
 */
import type { ResponseUsage, TranscriptionUsage } from '@realtime-gateway/protocol';

/**
 * Tokens by kind, plus seconds of audio for duration-billed transcription. Input counts include
 * their cached part (as OpenAI reports them); `cached*` say how much of each was cached.
 */
export interface TokenCounts {
  readonly inputText: number;
  readonly inputAudio: number;
  readonly inputImage: number;
  readonly cachedText: number;
  readonly cachedAudio: number;
  readonly cachedImage: number;
  readonly outputText: number;
  readonly outputAudio: number;
  readonly totalTokens: number;
  readonly audioSeconds: number;
}

/** The kinds of {@link TokenCounts}, in the order the ledger stores them. */
export const TOKEN_KINDS = [
  'inputText',
  'inputAudio',
  'inputImage',
  'cachedText',
  'cachedAudio',
  'cachedImage',
  'outputText',
  'outputAudio',
  'totalTokens',
  'audioSeconds',
] as const satisfies readonly (keyof TokenCounts)[];

export const NO_TOKENS: TokenCounts = Object.freeze({
  inputText: 0,
  inputAudio: 0,
  inputImage: 0,
  cachedText: 0,
  cachedAudio: 0,
  cachedImage: 0,
  outputText: 0,
  outputAudio: 0,
  totalTokens: 0,
  audioSeconds: 0,
});

const count = (value: number | null | undefined): number =>
  typeof value === 'number' && value > 0 ? value : 0;

/**
 * A `response.done` usage as counts. When the cached tokens come without their split by
 * modality, they are taken from text first, then audio, then image (text is what a session's
 * instructions and history mostly are, and what is cached first).
 *
 * @example
 * tokensOfResponse({ total_tokens: 30, input_tokens: 10, output_tokens: 20,
 *   input_token_details: { text_tokens: 6, audio_tokens: 4, cached_tokens: 4 },
 *   output_token_details: { text_tokens: 5, audio_tokens: 15 } }).cachedText; // 4
 */
export function tokensOfResponse(usage: ResponseUsage): TokenCounts {
  const input = usage.input_token_details ?? {};
  const output = usage.output_token_details ?? {};
  const inputText = count(input.text_tokens);
  const inputAudio = count(input.audio_tokens);
  const inputImage = count(input.image_tokens);
  const split = input.cached_tokens_details;
  let cachedText: number;
  let cachedAudio: number;
  let cachedImage: number;
  if (split != null) {
    cachedText = count(split.text_tokens);
    cachedAudio = count(split.audio_tokens);
    cachedImage = count(split.image_tokens);
  } else {
    let rest = count(input.cached_tokens);
    cachedText = Math.min(rest, inputText);
    rest -= cachedText;
    cachedAudio = Math.min(rest, inputAudio);
    rest -= cachedAudio;
    cachedImage = Math.min(rest, inputImage);
  }
  const outputText = count(output.text_tokens);
  const outputAudio = count(output.audio_tokens);
  const totalTokens =
    usage.total_tokens ??
    count(usage.input_tokens ?? inputText + inputAudio + inputImage) +
      count(usage.output_tokens ?? outputText + outputAudio);
  return {
    inputText,
    inputAudio,
    inputImage,
    cachedText,
    cachedAudio,
    cachedImage,
    outputText,
    outputAudio,
    totalTokens: count(totalTokens),
    audioSeconds: 0,
  };
}

/**
 * A transcription usage as counts: tokens (input audio and text prompt, output text), or the
 * seconds of audio for models billed by duration. Input tokens without their split are audio.
 *
 * @example
 * tokensOfTranscription({ type: 'duration', seconds: 2.5 }).audioSeconds; // 2.5
 */
export function tokensOfTranscription(usage: TranscriptionUsage): TokenCounts {
  if (usage.type === 'duration') return { ...NO_TOKENS, audioSeconds: count(usage.seconds) };
  const details = usage.input_token_details;
  const inputText = count(details?.text_tokens);
  const inputAudio =
    details?.audio_tokens != null ? count(details.audio_tokens) : count(usage.input_tokens - inputText);
  return {
    ...NO_TOKENS,
    inputText,
    inputAudio,
    outputText: count(usage.output_tokens),
    totalTokens: count(usage.total_tokens),
  };
}

/**
 * The counts added up, kind by kind.
 *
 * @example
 * addTokens(NO_TOKENS, { ...NO_TOKENS, outputText: 3 }).outputText; // 3
 */
export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  const out = {} as Record<keyof TokenCounts, number>;
  for (const kind of TOKEN_KINDS) out[kind] = a[kind] + b[kind];
  return out;
}
