/**
 * Truncation of a response's context when the conversation outgrows its token budget. The
 * engine has no model and so no context window of its own; the only budget it knows is the one a
 * session gives with `truncation: { type: 'retention_ratio', token_limits: { post_instructions } }`
 * (GA spec copy, `RealtimeTruncation`). Past that budget OpenAI drops the oldest items until
 * `retention_ratio` of it is used, so that later turns need not truncate again; the engine does
 * the same with its own token estimate. The conversation itself keeps every item: truncation
 * only decides what the model reads.
 */
import type { ConversationItem, Truncation } from '@realtime-gateway/protocol';

/**
 * The items a response reads under `truncation`; `tokensOf` estimates an item's tokens.
 *
 * @example
 * truncateContext(items, { type: 'retention_ratio', retention_ratio: 0.5, token_limits: { post_instructions: 100 } }, tokens);
 */
export function truncateContext(
  items: readonly ConversationItem[],
  truncation: Truncation | null | undefined,
  tokensOf: (item: ConversationItem) => number,
): ConversationItem[] {
  if (typeof truncation !== 'object' || truncation === null) return [...items];
  const limit = truncation.token_limits?.post_instructions;
  if (typeof limit !== 'number') return [...items];
  const costs = items.map(tokensOf);
  let total = costs.reduce((sum, cost) => sum + cost, 0);
  if (total <= limit) return [...items];
  const target = truncation.retention_ratio * limit;
  let first = 0;
  while (first < items.length && total > target) total -= costs[first++]!;
  return items.slice(first);
}
