/**
 * Which protocol a side of a session speaks: GA, or the beta protocol OpenAI retired on
 * 2026-05-12 that deployed clients and some self-hosted servers still speak.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type Dialect = 'ga' | 'beta';

export const DIALECTS = ['ga', 'beta'] as const satisfies readonly Dialect[];

/**
 * The dialect a client asked for: beta when its upgrade carries `OpenAI-Beta: realtime=v1`
 * (as the beta SDKs send), else what its key is configured with, else GA.
 *
 * @example
 * clientDialect({ 'openai-beta': 'realtime=v1' }, null); // 'beta'
 */
export function clientDialect(headers: IncomingHttpHeaders, configured: Dialect | null): Dialect {
  const header = headers['openai-beta'];
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  // The header is a list (`realtime=v1, assistants=v2`); only the realtime member counts.
  for (const value of values)
    for (const member of value.split(',')) if (member.trim().toLowerCase() === 'realtime=v1') return 'beta';
  return configured ?? 'ga';
}
