/**
 * How a recording shows what a guardrail stopped: the event as it came, every text in it
 * replaced by a marker naming the guardrail, so a reviewer sees that something was said and
 * stopped, and never what.
 */

/** The marker that stands for a text a guardrail stopped. */
export function blockedMarker(guardrail: string): string {
  return `[blocked by guardrail '${guardrail}']`;
}

/** Fields whose strings are what someone said. */
const SAID = new Set(['text', 'transcript']);

/**
 * A copy of `value` with every `text` and `transcript` string replaced by `marker`.
 *
 * @example
 * markBlocked({ item: { content: [{ type: 'input_text', text: 'my card is 4111…' }] } }, '[blocked]');
 * // { item: { content: [{ type: 'input_text', text: '[blocked]' }] } }
 */
export function markBlocked(value: unknown, marker: string): unknown {
  if (Array.isArray(value)) return value.map((entry) => markBlocked(entry, marker));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    copy[key] = SAID.has(key) && typeof field === 'string' ? marker : markBlocked(field, marker);
  return copy;
}
