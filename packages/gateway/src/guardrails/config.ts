/**
 * The `guardrails` section of the configuration: named rules that block what the user says to
 * the model (`input`), what the model says to the user (`output`), or both, by deny patterns
 * and, for input, a moderation service with OpenAI's `/v1/moderations` shape.
 *
 * @example
 * guardrails:
 *   - name: no-card-numbers
 *     on: both
 *     deny: ['\b\d{13,16}\b']
 *     action: block
 */
import {
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  number,
  object,
  optional,
  record,
  string,
} from '@realtime-gateway/protocol/schema';
import type { ConfigError } from '../config/resolve.js';
import { DEFAULT_MAX_AUTOMATON_STATES } from './partial-match.js';
import { type DenyRule, denyRule, patternProblem } from './patterns.js';

export const ModerationConfigSchema = object({
  /** The moderation endpoint, such as `https://api.openai.com/v1/moderations`. */
  url: string(),
  /** The environment variable holding its key, sent as `Authorization: Bearer`. */
  apiKeyEnv: optional(string()),
  /** The `model` field of the request (none sent by default). */
  model: optional(string()),
  /** Category → score threshold in [0, 1]: a text is blocked when any listed score reaches its threshold. Without it, `flagged` decides. */
  categories: optional(record(number({ min: 0, max: 1 }))),
  /** How long a check may take, in milliseconds (default 2000). */
  timeoutMs: optional(integer({ min: 1, max: 60_000 })),
  /** What a failed check (timeout, refused connection, bad answer) decides (default `fail-closed`). */
  onFailure: optional(enumOf(['fail-open', 'fail-closed'])),
});

export const GuardrailConfigSchema = object({
  /** Names the guardrail in the client's `error`, metrics and logs; unique. */
  name: string(),
  /** What it checks: user input, model output, or both. */
  on: enumOf(['input', 'output', 'both']),
  /** Regular expressions (JavaScript syntax, Unicode); a text any of them matches is blocked. */
  deny: optional(array(string())),
  /** Match letters regardless of case (default true). */
  ignoreCase: optional(boolean()),
  /** The longest text a deny pattern needs to match, in characters: output holds back at most this many (default 64). */
  maxMatchChars: optional(integer({ min: 1, max: 10_000 })),
  /** The most states a deny pattern's automaton may have (counted repetitions unrolled); a larger pattern is refused (default 100000). */
  maxPatternStates: optional(integer({ min: 16, max: 10_000_000 })),
  /** `block` the text, or `end_session` after telling the client (default `block`). */
  action: optional(enumOf(['block', 'end_session'])),
  /** Models (as the client names them or as sent upstream; `prefix*`, `*`) it applies to (default all). */
  models: optional(array(string())),
  /** Gateway key ids it applies to (default all). */
  keys: optional(array(string())),
  /** A moderation service that checks input text too (input only). */
  moderation: optional(ModerationConfigSchema),
  /** The transcription model the upstream is given for audio turns when the client asks for none (input; default `gpt-4o-transcribe`). */
  transcriptionModel: optional(string()),
  /** How long an audio turn's transcript may take after the upstream commits the turn, in milliseconds; a turn without one is blocked (input; default 10000). */
  transcriptTimeoutMs: optional(integer({ min: 100, max: 120_000 })),
});

export type GuardrailConfigInput = Infer<typeof GuardrailConfigSchema>;

export interface ModerationConfig {
  readonly url: string;
  /** Read from `apiKeyEnv`; never logged nor printed (`--print-config` names the variable). */
  readonly apiKey: string | null;
  readonly apiKeyEnv: string | null;
  readonly model: string | null;
  readonly categories: Readonly<Record<string, number>> | null;
  readonly timeoutMs: number;
  readonly onFailure: 'fail-open' | 'fail-closed';
}

export interface GuardrailConfig {
  readonly name: string;
  readonly input: boolean;
  readonly output: boolean;
  /** The deny patterns, compiled. */
  readonly deny: readonly DenyRule[];
  readonly maxMatchChars: number;
  readonly maxPatternStates: number;
  readonly action: 'block' | 'end_session';
  readonly models: readonly string[];
  /** Null: every key. */
  readonly keys: readonly string[] | null;
  readonly moderation: ModerationConfig | null;
  /** Null: the default, {@link DEFAULT_GUARDRAIL.transcriptionModel}. */
  readonly transcriptionModel: string | null;
  readonly transcriptTimeoutMs: number;
}

/** Defaults of the `guardrails` entries; the README's configuration reference lists the same values. */
export const DEFAULT_GUARDRAIL = Object.freeze({
  maxMatchChars: 64,
  maxPatternStates: DEFAULT_MAX_AUTOMATON_STATES,
  moderationTimeoutMs: 2000,
  onFailure: 'fail-closed' as const,
  transcriptionModel: 'gpt-4o-transcribe',
  transcriptTimeoutMs: 10_000,
});

/**
 * The `guardrails` section, its patterns compiled; a bad pattern, a duplicate name or a
 * missing key variable is a config error naming the field.
 *
 * @example
 * resolveGuardrails([{ name: 'pii', on: 'output', deny: ['\\d{16}'] }], process.env, errors);
 */
export function resolveGuardrails(
  raw: readonly GuardrailConfigInput[] | null | undefined,
  env: Readonly<Record<string, string | undefined>>,
  errors: ConfigError[],
): GuardrailConfig[] {
  const names = new Set<string>();
  return (raw ?? []).map((entry, i) => {
    const at = `guardrails[${i}]`;
    if (names.has(entry.name))
      errors.push({ field: `${at}.name`, message: `Another guardrail is named '${entry.name}'.` });
    names.add(entry.name);
    const ignoreCase = entry.ignoreCase ?? true;
    const maxPatternStates = entry.maxPatternStates ?? DEFAULT_GUARDRAIL.maxPatternStates;
    const deny: DenyRule[] = [];
    (entry.deny ?? []).forEach((source, j) => {
      const problem = patternProblem(source, ignoreCase, maxPatternStates);
      if (problem === null) deny.push(denyRule(entry.name, source, ignoreCase, maxPatternStates));
      else errors.push({ field: `${at}.deny[${j}]`, message: `Invalid deny pattern: ${problem}.` });
    });
    if ((entry.deny ?? []).length === 0 && entry.moderation == null)
      errors.push({
        field: `${at}.deny`,
        message: 'A guardrail needs deny patterns, a moderation service, or both.',
      });
    if (entry.moderation != null && entry.on === 'output')
      errors.push({
        field: `${at}.moderation`,
        message: 'A moderation service checks input only; use on: input or on: both.',
      });
    return {
      name: entry.name,
      input: entry.on !== 'output',
      output: entry.on !== 'input',
      deny,
      maxMatchChars: entry.maxMatchChars ?? DEFAULT_GUARDRAIL.maxMatchChars,
      maxPatternStates,
      action: entry.action ?? 'block',
      models: entry.models ?? ['*'],
      keys: entry.keys ?? null,
      moderation:
        entry.moderation == null
          ? null
          : resolveModeration(entry.moderation, `${at}.moderation`, env, errors),
      transcriptionModel: entry.transcriptionModel ?? null,
      transcriptTimeoutMs: entry.transcriptTimeoutMs ?? DEFAULT_GUARDRAIL.transcriptTimeoutMs,
    };
  });
}

function resolveModeration(
  raw: Infer<typeof ModerationConfigSchema>,
  at: string,
  env: Readonly<Record<string, string | undefined>>,
  errors: ConfigError[],
): ModerationConfig {
  if (!URL.canParse(raw.url) || !/^https?:$/.test(new URL(raw.url).protocol))
    errors.push({ field: `${at}.url`, message: 'Expected an http or https URL.' });
  let apiKey: string | null = null;
  if (raw.apiKeyEnv) {
    apiKey = env[raw.apiKeyEnv] || null;
    if (apiKey === null)
      errors.push({ field: `${at}.apiKeyEnv`, message: `Environment variable ${raw.apiKeyEnv} is not set.` });
  }
  return {
    url: raw.url,
    apiKey,
    apiKeyEnv: raw.apiKeyEnv ?? null,
    model: raw.model ?? null,
    categories: raw.categories ?? null,
    timeoutMs: raw.timeoutMs ?? DEFAULT_GUARDRAIL.moderationTimeoutMs,
    onFailure: raw.onFailure ?? DEFAULT_GUARDRAIL.onFailure,
  };
}
