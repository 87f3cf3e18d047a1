/**
 * Health endpoints for orchestrators: `/healthz` says the process is up; `/readyz` says it
 * should get traffic — it is listening, accepting new sessions (not shutting down), and at least
 * one upstream's circuit is not open.
 */
import type { ServerResponse } from 'node:http';
import type { UpstreamStatus } from '../routing/router.js';
import type { RequestHandler } from './server.js';

/** What readiness is judged on. */
export interface ReadinessSource {
  accepting(): boolean;
  upstreams(): readonly UpstreamStatus[];
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
    if (path === '/healthz') {
      json(res, 200, { status: 'ok' });
      return true;
    }
    if (path !== '/readyz') return false;
    const upstreams = source.upstreams();
    const available = upstreams.filter((u) => u.circuit !== 'open');
    if (!source.accepting()) json(res, 503, { status: 'not_ready', reason: 'shutting_down', upstreams });
    else if (available.length === 0)
      json(res, 503, { status: 'not_ready', reason: 'no_healthy_upstream', upstreams });
    else json(res, 200, { status: 'ready', upstreams });
    return true;
  };
}
