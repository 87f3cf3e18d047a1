import type { TokenCounts } from '../ledger/tokens.js';
import type { ModelPrice } from './prices.js';

/**
 * What usage costs at a model's price, in USD: the uncached part of each input kind at its
 * input price, the cached part at its cached price, each output kind at its output price (all
 * per million tokens), and audio seconds at the per-minute price.
 *
 * @example
 * costOf({ ...NO_TOKENS, inputText: 1_000_000, cachedText: 250_000 }, BUILT_IN_PRICES['gpt-realtime']);
 * // 750_000 × $4/M + 250_000 × $0.40/M = 3.1
 */
export function costOf(tokens: TokenCounts, price: ModelPrice): number {
  const uncached = (total: number, cached: number) => Math.max(0, total - cached);
  const perMillion =
    uncached(tokens.inputText, tokens.cachedText) * price.textInput +
    tokens.cachedText * price.cachedTextInput +
    uncached(tokens.inputAudio, tokens.cachedAudio) * price.audioInput +
    tokens.cachedAudio * price.cachedAudioInput +
    uncached(tokens.inputImage, tokens.cachedImage) * price.imageInput +
    tokens.cachedImage * price.cachedImageInput +
    tokens.outputText * price.textOutput +
    tokens.outputAudio * price.audioOutput;
  return perMillion / 1_000_000 + (tokens.audioSeconds / 60) * price.perMinute;
}
