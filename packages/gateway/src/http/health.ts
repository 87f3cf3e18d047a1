/**
 * Health endpoints for orchestrators: `/healthz` says the process is up; `/readyz` says it
 * should get traffic — it is listening, accepting new sessions (not shutting down), at least
 * one upstream's circuit is not open, and, for a node of a deployment whose shared store is
 * down, only when admission fails open (it then says the store is unavailable).
 */
import type { ServerResponse } from 'node:http';
import type { UpstreamStatus } from '../routing/router.js';
import type { RequestHandler } from './server.js';

/** What readiness is judged on. */
export interface ReadinessSource {
  accepting(): boolean;
  upstreams(): readonly UpstreamStatus[];
  /** The node's id, reported by both endpoints, for a node of a deployment. */
  readonly node?: string;
  /** Whether the deployment's shared store answers, and what admission does when it does not. */
  readonly store?: () => { readonly available: boolean; readonly onUnavailable: 'fail-closed' | 'fail-open' };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * @example
 * const health = healthHandler({ accepting: () => gateway.accepting, upstreams: () => router.status() });
 */
export function healthHandler(source: ReadinessSource): RequestHandler {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const node = source.node === undefined ? {} : { node: source.node };
    if (path === '/healthz') {
      json(res, 200, { status: 'ok', ...node });
      return true;
    }
    if (path !== '/readyz') return false;
    const upstreams = source.upstreams();
    const available = upstreams.filter((u) => u.circuit !== 'open');
    const store = source.store?.();
    const about = {
      ...node,
      ...(store ? { store: store.available ? 'available' : 'unavailable' } : {}),
      upstreams,
    };
    if (!source.accepting()) json(res, 503, { status: 'not_ready', reason: 'shutting_down', ...about });
    else if (available.length === 0)
      json(res, 503, { status: 'not_ready', reason: 'no_healthy_upstream', ...about });
    else if (store !== undefined && !store.available && store.onUnavailable === 'fail-closed')
      json(res, 503, { status: 'not_ready', reason: 'store_unavailable', ...about });
    else json(res, 200, { status: 'ready', ...about });
    return true;
  };
}
