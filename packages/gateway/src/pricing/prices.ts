/**
 * What OpenAI's realtime and transcription models cost, and the lookup that finds a model's
 * price by its name (a dated snapshot such as `gpt-realtime-2025-08-28` costs what its model
 * costs). Operators override or add models in the configuration (`prices`).
 *
 * Read on 2026-12-03 from OpenAI's model pages (developers.openai.com/api/docs/models/<model>,
 * "Pricing", through the project's documentation search): gpt-realtime and gpt-realtime-1.5
 * (the same figures), gpt-realtime-2.1-mini (whose quick comparison lists gpt-realtime-mini at
 * the same text input price), gpt-4o-realtime-preview, gpt-4o-mini-realtime-preview,
 * gpt-4o-transcribe and gpt-4o-mini-transcribe (text input and output; their audio input price
 * is the one OpenAI's pricing page and cookbook give, $6 and $3), gpt-transcribe,
 * gpt-realtime-whisper and whisper-1 (per minute of audio). Prices change: check them against
 * https://developers.openai.com/api/docs/pricing and override what differs.
 *
 * The 2026 models, read from the same model pages through the documentation search: gpt-realtime-2
 * and gpt-realtime-2.1 (one price, whose text output is dearer than gpt-realtime's), and, per
 * minute of audio, gpt-live-transcribe and gpt-realtime-translate. There is no
 * `gpt-realtime-2-mini`; the mini of that generation is gpt-realtime-2.1-mini, above. The pages
 * give no separate price for reasoning tokens, which OpenAI bills as output.
 */

/**
 * A model's price in USD: per million tokens of each kind, and per minute of audio for models
 * billed by duration. A kind the model does not bill is 0.
 */
export interface ModelPrice {
  readonly textInput: number;
  readonly cachedTextInput: number;
  readonly audioInput: number;
  readonly cachedAudioInput: number;
  readonly imageInput: number;
  readonly cachedImageInput: number;
  readonly textOutput: number;
  readonly audioOutput: number;
  /** USD per minute of transcribed audio (`usage.type: duration`). */
  readonly perMinute: number;
}

/** The kinds of a {@link ModelPrice}, as they are spelled in the configuration. */
export const PRICE_KINDS = [
  'textInput',
  'cachedTextInput',
  'audioInput',
  'cachedAudioInput',
  'imageInput',
  'cachedImageInput',
  'textOutput',
  'audioOutput',
  'perMinute',
] as const satisfies readonly (keyof ModelPrice)[];

const FREE: ModelPrice = Object.freeze({
  textInput: 0,
  cachedTextInput: 0,
  audioInput: 0,
  cachedAudioInput: 0,
  imageInput: 0,
  cachedImageInput: 0,
  textOutput: 0,
  audioOutput: 0,
  perMinute: 0,
});

const price = (fields: Partial<ModelPrice>): ModelPrice => Object.freeze({ ...FREE, ...fields });

const GPT_REALTIME = price({
  textInput: 4,
  cachedTextInput: 0.4,
  audioInput: 32,
  cachedAudioInput: 0.4,
  imageInput: 5,
  cachedImageInput: 0.5,
  textOutput: 16,
  audioOutput: 64,
});

// Per OpenAI's gpt-realtime-2 and gpt-realtime-2.1 model pages (2026); the GA spec copy has no
// prices.
const GPT_REALTIME_2 = price({
  textInput: 4,
  cachedTextInput: 0.4,
  audioInput: 32,
  cachedAudioInput: 0.4,
  imageInput: 5,
  cachedImageInput: 0.5,
  textOutput: 24,
  audioOutput: 64,
});

const GPT_REALTIME_MINI = price({
  textInput: 0.6,
  cachedTextInput: 0.06,
  audioInput: 10,
  cachedAudioInput: 0.3,
  imageInput: 0.8,
  cachedImageInput: 0.08,
  textOutput: 2.4,
  audioOutput: 20,
});

/** The built-in table, by model name without a snapshot date. */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-realtime': GPT_REALTIME,
  'gpt-realtime-1.5': GPT_REALTIME,
  'gpt-realtime-mini': GPT_REALTIME_MINI,
  'gpt-realtime-2': GPT_REALTIME_2,
  'gpt-realtime-2.1': GPT_REALTIME_2,
  'gpt-realtime-2.1-mini': GPT_REALTIME_MINI,
  'gpt-4o-realtime-preview': price({
    textInput: 5,
    cachedTextInput: 2.5,
    audioInput: 40,
    cachedAudioInput: 2.5,
    textOutput: 20,
    audioOutput: 80,
  }),
  'gpt-4o-mini-realtime-preview': price({
    textInput: 0.6,
    cachedTextInput: 0.3,
    audioInput: 10,
    cachedAudioInput: 0.3,
    textOutput: 2.4,
    audioOutput: 20,
  }),
  'gpt-4o-transcribe': price({ textInput: 2.5, audioInput: 6, textOutput: 10 }),
  'gpt-4o-mini-transcribe': price({ textInput: 1.25, audioInput: 3, textOutput: 5 }),
  'gpt-transcribe': price({ perMinute: 0.0045 }),
  'gpt-realtime-whisper': price({ perMinute: 0.017 }),
  'gpt-live-transcribe': price({ perMinute: 0.017 }),
  // Serves /v1/realtime/translations, not /v1/realtime; priced here for a deployment whose
  // ledger records it (its model page: per minute of audio).
  'gpt-realtime-translate': price({ perMinute: 0.034 }),
  'whisper-1': price({ perMinute: 0.006 }),
});

/** A model's prices as the configuration gives them: any kinds, the rest from the built-in entry. */
export type PriceOverride = Partial<ModelPrice>;

/** Prices by model name, looked up with {@link priceOf}. */
export type PriceTable = ReadonlyMap<string, ModelPrice>;

/**
 * The built-in table with the configuration's overrides: an override's kinds replace the
 * built-in entry's, and a model the table does not know gets the kinds given (0 for the rest).
 *
 * @example
 * const table = priceTable({ 'my-model': { textInput: 1, textOutput: 2 } });
 * priceOf(table, 'my-model')?.textOutput; // 2
 */
export function priceTable(overrides: Readonly<Record<string, PriceOverride>> = {}): PriceTable {
  const table = new Map<string, ModelPrice>(Object.entries(BUILT_IN_PRICES));
  for (const [model, override] of Object.entries(overrides))
    table.set(model, price({ ...(table.get(model) ?? FREE), ...override }));
  return table;
}

/** `-2025-08-28`: the date OpenAI appends to a model's name for a snapshot. */
const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/**
 * The price of a model, by its exact name or, for a dated snapshot, its model's name; null for a
 * model the table does not know (its usage costs 0 and is flagged).
 *
 * @example
 * priceOf(priceTable(), 'gpt-realtime-2025-08-28') === priceOf(priceTable(), 'gpt-realtime'); // true
 */
export function priceOf(table: PriceTable, model: string): ModelPrice | null {
  return table.get(model) ?? table.get(model.replace(SNAPSHOT, '')) ?? null;
}
