/**
 * The parameters of the ledger's admin endpoints, checked: `key`, `model`, `from`, `to` (ISO
 * 8601 dates or date-times; `from` inclusive, `to` exclusive) and `group_by`; for
 * `GET /admin/usage` it groups by `key`, `model` or `day`, and `GET /admin/guardrails` also
 * narrows by `guardrail` and groups by `guardrail` or `action`. Anything else, a parameter
 * given twice or a value that does not read is a 400 naming it.
 */
import type { GuardrailGrouping, GuardrailQuery, UsageGrouping, UsageQuery } from '../ledger/ledger.js';
import { type Refusal, refusal } from '../refusal.js';

/** What one endpoint takes: the names it narrows by beyond key, model and time, and its groupings. */
interface QueryShape<G extends string> {
  readonly names: readonly 'guardrail'[];
  readonly groupings: readonly G[];
}

/** What every ledger query may narrow by. */
type Filters = Omit<GuardrailQuery, 'groupBy'>;

const USAGE: QueryShape<UsageGrouping> = { names: [], groupings: ['key', 'model', 'day'] };
const GUARDRAILS: QueryShape<GuardrailGrouping> = {
  names: ['guardrail'],
  groupings: ['guardrail', 'action', 'key', 'model', 'day'],
};
const MAX_NAME = 256;
/** `2026-12-03`, or `2026-12-03T10:00:00Z` / `…T10:00:00.5+01:00`: a zone is required, so no time is read in the server's. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * @example
 * parseUsageQuery(new URLSearchParams('key=web&from=2026-12-01&group_by=day'));
 * // { ok: true, query: { keyId: 'web', from: 1796083200000, groupBy: 'day' } }
 * parseUsageQuery(new URLSearchParams('group_by=week')); // { ok: false, refusal: a 400 naming group_by }
 */
export function parseUsageQuery(
  params: URLSearchParams,
): { ok: true; query: UsageQuery } | { ok: false; refusal: Refusal } {
  return parseQuery(params, USAGE);
}

/**
 * @example
 * parseGuardrailQuery(new URLSearchParams('guardrail=pii&group_by=action'));
 * // { ok: true, query: { guardrail: 'pii', groupBy: 'action' } }
 */
export function parseGuardrailQuery(
  params: URLSearchParams,
): { ok: true; query: GuardrailQuery } | { ok: false; refusal: Refusal } {
  return parseQuery(params, GUARDRAILS);
}

function parseQuery<G extends string>(
  params: URLSearchParams,
  shape: QueryShape<G>,
): { ok: true; query: Filters & { groupBy?: G } } | { ok: false; refusal: Refusal } {
  const PARAMETERS = new Set(['key', 'model', ...shape.names, 'from', 'to', 'group_by']);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!PARAMETERS.has(name))
      return invalid(name.slice(0, 64), `Unknown parameter; use ${[...PARAMETERS].join(', ')}.`);
    if (seen.has(name)) return invalid(name, 'Given more than once.');
    seen.add(name);
  }
  const query: { -readonly [K in keyof Filters]: Filters[K] } & { groupBy?: G } = {};
  for (const [name, field] of [
    ['key', 'keyId'],
    ['model', 'model'],
    ['guardrail', 'guardrail'],
  ] as const) {
    const value = params.get(name);
    if (value === null) continue;
    if (value === '' || value.length > MAX_NAME)
      return invalid(name, `Expected 1 to ${MAX_NAME} characters.`);
    query[field] = value;
  }
  for (const name of ['from', 'to'] as const) {
    const value = params.get(name);
    if (value === null) continue;
    const time = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(time))
      return invalid(
        name,
        'Expected an ISO 8601 date (2026-12-03) or date-time with a zone (2026-12-03T10:00:00Z).',
      );
    query[name] = time;
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to)
    return invalid('from', 'Must not be after to.');
  const groupBy = params.get('group_by');
  if (groupBy !== null) {
    if (!(shape.groupings as readonly string[]).includes(groupBy))
      return invalid('group_by', `Expected one of ${shape.groupings.join(', ')}.`);
    query.groupBy = groupBy as G;
  }
  return { ok: true, query };
}

function invalid(param: string, message: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: refusal(400, 'invalid_parameter', `${param}: ${message}`, { param }) };
}
