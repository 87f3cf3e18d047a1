/**
 * Bounds on what a log line may carry. Much of what the gateway logs comes from clients (event
 * types, ids, error params); a hostile client could otherwise make one frame cost megabytes of
 * log. Every string, array and object is cut to a fixed size, and the cut is marked, so a line
 * still shows what happened and how much was left out.
 */

/** Characters kept of a string. */
export const MAX_LOG_STRING = 256;
/** Entries kept of an array or object. */
export const MAX_LOG_ENTRIES = 32;
/** Nesting kept. */
export const MAX_LOG_DEPTH = 6;

/**
 * A string cut to {@link MAX_LOG_STRING} characters, with the number cut off appended.
 *
 * @example
 * clampString('x'.repeat(1000)); // 'xxx…xxx…[744 more characters]'
 */
export function clampString(text: string): string {
  if (text.length <= MAX_LOG_STRING) return text;
  return `${text.slice(0, MAX_LOG_STRING)}…[${text.length - MAX_LOG_STRING} more characters]`;
}

function clamp(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return clampString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_LOG_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_LOG_ENTRIES).map((entry) => clamp(entry, depth + 1));
    if (value.length > MAX_LOG_ENTRIES) kept.push(`…[${value.length - MAX_LOG_ENTRIES} more entries]`);
    return kept;
  }
  // Errors and other class instances are logged by what they say, not by their internals.
  if (value instanceof Error) return clampString(value.message);
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++count > MAX_LOG_ENTRIES) {
      out['…'] = 'more entries';
      break;
    }
    out[clampString(key)] = clamp((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}

/**
 * A copy of a log record's fields with every string, array and object bounded.
 *
 * @example
 * log.warn(clampForLog({ sessionId, type: peekedType }), 'malformed client frame');
 */
export function clampForLog<T>(fields: T): T {
  return clamp(fields, 0) as T;
}
