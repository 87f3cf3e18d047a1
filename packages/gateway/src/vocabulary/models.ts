/**
 * How configured model patterns match a session's model: exact names, prefix patterns
 * (`gpt-*`) and `*`. Routing chooses upstreams by it and MCP chooses operator servers by it,
 * so it lives here, where neither depends on the other.
 */

/** Anything configured with model patterns: an upstream, an MCP server. */
export interface ServesModels {
  readonly models: readonly string[];
}

/**
 * How specifically patterns serve a model: 3 by exact name, 2 by a prefix pattern
 * (`gpt-*`, longer prefixes winning through the fraction), 1 by `*`, 0 not at all. Either the
 * model as the client named it or as it is sent upstream may match.
 *
 * @example
 * specificity({ models: ['gpt-*'] }, 'gpt-realtime', 'gpt-realtime'); // 2.004
 */
export function specificity(patterns: ServesModels, model: string, upstreamModel: string): number {
  let best = 0;
  for (const pattern of patterns.models) {
    if (pattern === model || pattern === upstreamModel) return 3;
    if (pattern === '*') best = Math.max(best, 1);
    else if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      if (upstreamModel.startsWith(prefix) || model.startsWith(prefix)) {
        best = Math.max(best, 2 + Math.min(prefix.length, 999) / 1000);
      }
    }
  }
  return best;
}

/**
 * Whether patterns serve a model at all.
 *
 * @example
 * servesModel({ models: ['*'] }, 'anything', 'anything'); // true
 */
export function servesModel(patterns: ServesModels, model: string, upstreamModel: string): boolean {
  return specificity(patterns, model, upstreamModel) > 0;
}

/** Anything configured for some sessions: by model patterns, and by gateway key ids (null: every key). */
export interface ScopedToSessions extends ServesModels {
  readonly keys: readonly string[] | null;
}

/**
 * Whether a guardrail, a recording rule or the like applies to a session: its model is served
 * and its key is listed (a session without a key matches only when no keys are listed).
 *
 * @example
 * appliesToSession({ models: ['*'], keys: ['app'] }, { model: 'm', upstreamModel: 'm', keyId: 'app' }); // true
 */
export function appliesToSession(
  scope: ScopedToSessions,
  session: { readonly model: string; readonly upstreamModel: string; readonly keyId: string | null },
): boolean {
  if (!servesModel(scope, session.model, session.upstreamModel)) return false;
  return scope.keys === null || (session.keyId !== null && scope.keys.includes(session.keyId));
}
