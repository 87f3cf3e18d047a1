/**
 * The moderation checker: asks an HTTP service with OpenAI's `/v1/moderations` request and
 * response shape whether a text may pass.
 *
 * Request: `POST <url>` with `{ "input": text, "model"?: … }`. Answer: `{ "results": [{
 * "flagged": bool, "categories": { name: bool }, "category_scores": { name: number } }] }`.
 */
import type { ModerationConfig } from './config.js';

/** What the service said: `flagged` names the categories that decided, `failed` says why no answer counts. */
export type ModerationVerdict =
  | { readonly kind: 'clean' }
  | { readonly kind: 'flagged'; readonly categories: readonly string[] }
  | { readonly kind: 'failed'; readonly reason: string };

interface ModerationResult {
  readonly flagged?: unknown;
  readonly category_scores?: unknown;
  readonly categories?: unknown;
}

/**
 * Checks `text`; never throws. `signal` cancels it (the session ended); the configured timeout
 * bounds it.
 *
 * @example
 * const verdict = await moderate(config.moderation, 'some user text', ctx.signal);
 * if (verdict.kind === 'flagged') block(verdict.categories);
 */
export async function moderate(
  config: ModerationConfig,
  text: string,
  signal: AbortSignal,
): Promise<ModerationVerdict> {
  let answer: unknown;
  try {
    const response = await fetch(config.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(config.apiKey === null ? {} : { authorization: `Bearer ${config.apiKey}` }),
      },
      body: JSON.stringify({ input: text, ...(config.model === null ? {} : { model: config.model }) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { kind: 'failed', reason: `status ${response.status}` };
    }
    answer = await response.json();
  } catch (error) {
    const name = (error as Error).name;
    return {
      kind: 'failed',
      reason: name === 'TimeoutError' ? 'timeout' : name === 'AbortError' ? 'aborted' : 'unreachable',
    };
  }
  return judge(config, answer);
}

/**
 * What an answer decides: with `categories` configured, any listed score at or above its
 * threshold flags the text; without, the service's own `flagged` does. A result of any other
 * shape is a failure.
 *
 * @example
 * judge(config, { results: [{ flagged: true, categories: { hate: true }, category_scores: { hate: 0.9 } }] });
 * // { kind: 'flagged', categories: ['hate'] }
 */
export function judge(config: Pick<ModerationConfig, 'categories'>, answer: unknown): ModerationVerdict {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length === 0) return { kind: 'failed', reason: 'bad answer' };
  const flagged = new Set<string>();
  for (const result of results as ModerationResult[]) {
    if (typeof result?.flagged !== 'boolean') return { kind: 'failed', reason: 'bad answer' };
    if (config.categories === null) {
      if (result.flagged) for (const name of namesTrue(result.categories)) flagged.add(name);
      if (result.flagged && flagged.size === 0) flagged.add('flagged');
      continue;
    }
    const scores = result.category_scores;
    if (typeof scores !== 'object' || scores === null) return { kind: 'failed', reason: 'bad answer' };
    for (const [name, threshold] of Object.entries(config.categories)) {
      const score = (scores as Record<string, unknown>)[name];
      if (typeof score === 'number' && score >= threshold) flagged.add(name);
    }
  }
  return flagged.size === 0 ? { kind: 'clean' } : { kind: 'flagged', categories: [...flagged] };
}

function namesTrue(categories: unknown): string[] {
  if (typeof categories !== 'object' || categories === null) return [];
  return Object.entries(categories).flatMap(([name, on]) => (on === true ? [name] : []));
}
