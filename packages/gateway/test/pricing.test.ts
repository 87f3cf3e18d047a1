/** Prices, costs and usage counts: small pure functions, checked against sums worked by hand. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_TOKENS, tokensOfResponse, tokensOfTranscription } from '../src/ledger/tokens.js';
import { costOf } from '../src/pricing/cost.js';
import { BUILT_IN_PRICES, priceOf, priceTable } from '../src/pricing/prices.js';

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('costOf', () => {
  const realtime = BUILT_IN_PRICES['gpt-realtime']!;

  test('charges uncached input at the input price and the cached part at the cached price', () => {
    // 750,000 × $4/M + 250,000 × $0.40/M
    close(costOf({ ...NO_TOKENS, inputText: 1_000_000, cachedText: 250_000 }, realtime), 3.1);
  });

  test('adds every kind at its own price', () => {
    const tokens = {
      ...NO_TOKENS,
      inputText: 1000,
      cachedText: 200,
      inputAudio: 3000,
      cachedAudio: 1000,
      inputImage: 100,
      outputText: 50,
      outputAudio: 2000,
    };
    // text 800×4 + 200×0.4, audio 2000×32 + 1000×0.4, image 100×5, out 50×16 + 2000×64 (per M)
    const expected = (3200 + 80 + 64_000 + 400 + 500 + 800 + 128_000) / 1_000_000;
    close(costOf(tokens, realtime), expected);
  });

  test('charges duration-billed audio by the minute', () => {
    close(costOf({ ...NO_TOKENS, audioSeconds: 90 }, BUILT_IN_PRICES['whisper-1']!), 0.009);
  });

  test('never charges a negative uncached part when a usage reports more cached than input', () => {
    close(costOf({ ...NO_TOKENS, inputText: 10, cachedText: 20 }, realtime), (20 * 0.4) / 1_000_000);
  });
});

describe('the price table', () => {
  test('a dated snapshot costs what its model costs; an unknown model has no price', () => {
    const table = priceTable();
    assert.equal(priceOf(table, 'gpt-realtime-2025-08-28'), BUILT_IN_PRICES['gpt-realtime']);
    assert.equal(priceOf(table, 'gpt-realtime-mini-2025-10-06'), BUILT_IN_PRICES['gpt-realtime-mini']);
    assert.equal(priceOf(table, 'mystery-model'), null);
  });

  test('an override replaces the kinds it gives; a new model gets those and 0 for the rest', () => {
    const table = priceTable({
      'gpt-realtime': { audioOutput: 50 },
      'house-model': { textInput: 1, perMinute: 0.01 },
    });
    assert.equal(priceOf(table, 'gpt-realtime')!.audioOutput, 50);
    assert.equal(priceOf(table, 'gpt-realtime')!.textInput, 4);
    assert.deepEqual(
      [
        priceOf(table, 'house-model')!.textInput,
        priceOf(table, 'house-model')!.perMinute,
        priceOf(table, 'house-model')!.textOutput,
      ],
      [1, 0.01, 0],
    );
    assert.equal(
      priceOf(priceTable(), 'gpt-realtime')!.audioOutput,
      64,
      'the built-in table is left as it was',
    );
  });
});

describe('the 2026 models', () => {
  test('gpt-realtime-2 and 2.1 cost the same, with text output dearer than gpt-realtime', () => {
    const two = BUILT_IN_PRICES['gpt-realtime-2']!;
    assert.equal(BUILT_IN_PRICES['gpt-realtime-2.1'], two);
    assert.deepEqual(
      [two.textInput, two.cachedTextInput, two.textOutput, two.audioInput, two.audioOutput],
      [4, 0.4, 24, 32, 64],
    );
    // 1,000 text out at $24/M and 1,000 audio out at $64/M
    close(costOf({ ...NO_TOKENS, outputText: 1000, outputAudio: 1000 }, two), 0.088);
  });

  test('the 2.1 mini costs what gpt-realtime-mini does; there is no gpt-realtime-2-mini', () => {
    assert.equal(BUILT_IN_PRICES['gpt-realtime-2.1-mini'], BUILT_IN_PRICES['gpt-realtime-mini']);
    assert.equal(priceOf(priceTable(), 'gpt-realtime-2-mini'), null);
  });

  test('live transcription and translation are billed by the minute', () => {
    close(costOf({ ...NO_TOKENS, audioSeconds: 120 }, BUILT_IN_PRICES['gpt-live-transcribe']!), 0.034);
    close(costOf({ ...NO_TOKENS, audioSeconds: 60 }, BUILT_IN_PRICES['gpt-realtime-translate']!), 0.034);
    close(costOf({ ...NO_TOKENS, audioSeconds: 60 }, BUILT_IN_PRICES['gpt-realtime-whisper']!), 0.017);
  });
});

describe('usage as counts', () => {
  test('a response usage with its cached split', () => {
    const tokens = tokensOfResponse({
      total_tokens: 821,
      input_tokens: 789,
      output_tokens: 32,
      input_token_details: {
        text_tokens: 313,
        audio_tokens: 476,
        cached_tokens: 640,
        cached_tokens_details: { text_tokens: 256, audio_tokens: 384 },
      },
      output_token_details: { text_tokens: 9, audio_tokens: 23 },
    });
    assert.deepEqual(tokens, {
      ...NO_TOKENS,
      inputText: 313,
      inputAudio: 476,
      cachedText: 256,
      cachedAudio: 384,
      outputText: 9,
      outputAudio: 23,
      totalTokens: 821,
    });
  });

  test('cached tokens without their split are text first, then audio', () => {
    const tokens = tokensOfResponse({
      input_token_details: { text_tokens: 6, audio_tokens: 4, cached_tokens: 8 },
      output_token_details: { text_tokens: 5 },
    });
    assert.deepEqual([tokens.cachedText, tokens.cachedAudio, tokens.totalTokens], [6, 2, 15]);
  });

  test('transcription usage: tokens, or seconds', () => {
    assert.deepEqual(
      tokensOfTranscription({
        type: 'tokens',
        input_tokens: 30,
        input_token_details: { text_tokens: 10, audio_tokens: 20 },
        output_tokens: 7,
        total_tokens: 37,
      }),
      { ...NO_TOKENS, inputText: 10, inputAudio: 20, outputText: 7, totalTokens: 37 },
    );
    assert.equal(
      tokensOfTranscription({ type: 'tokens', input_tokens: 30, output_tokens: 1, total_tokens: 31 })
        .inputAudio,
      30,
    );
    assert.deepEqual(tokensOfTranscription({ type: 'duration', seconds: 2.5 }), {
      ...NO_TOKENS,
      audioSeconds: 2.5,
    });
  });
});
