/**
 * Operator surfaces off the client port: `admin.listen` and `metrics.listen` give the admin API
 * and `/metrics` listeners of their own (one listener when both name the same address), so a
 * deployment can keep them on a private interface while the client port faces the internet.
 * Each also answers the health checks; nothing else (no sessions, no REST) is served there.
 */
import type { Server } from 'node:http';
import type { Listen } from '../config/resolve.js';
import { refusal } from '../refusal.js';
import { listenOn, urlOf } from './listen.js';
import { checkOperatorKey } from './operator-key.js';
import { sendRefusal, writeRefusal } from './respond.js';
import { createHttpServer, type HttpServerOptions, type RequestHandler } from './server.js';
import { isRefusal, parseTarget } from './target.js';

/** An operator surface and where it is served. */
export interface OperatorSurface {
  readonly name: 'admin' | 'metrics';
  readonly handler: RequestHandler;
  /** Its own listener, or null to be served on the client port. */
  readonly listen: Listen | null;
}

/** One operator listener and what it serves; `url` once it listens. */
export interface OperatorListener {
  readonly listen: Listen;
  readonly server: Server;
  readonly serves: readonly OperatorSurface['name'][];
  url: string | null;
}

/**
 * The listeners the surfaces with a `listen` need, one per distinct address, each serving them
 * after `health`.
 *
 * @example
 * const listeners = operatorListeners([{ name: 'admin', handler: admin, listen: config.admin.listen }], health, options);
 * await Promise.all(listeners.map(startOperatorListener));
 */
export function operatorListeners(
  surfaces: readonly OperatorSurface[],
  health: RequestHandler,
  options: HttpServerOptions,
): OperatorListener[] {
  const byAddress = new Map<string, { listen: Listen; surfaces: OperatorSurface[] }>();
  for (const surface of surfaces) {
    if (surface.listen === null) continue;
    // Port 0 asks for a free port each: two such listeners are two.
    const key =
      surface.listen.port === 0 ? `${surface.name}|0` : `${surface.listen.host}|${surface.listen.port}`;
    const group = byAddress.get(key) ?? { listen: surface.listen, surfaces: [] };
    group.surfaces.push(surface);
    byAddress.set(key, group);
  }
  return [...byAddress.values()].map(({ listen, surfaces: served }) => ({
    listen,
    server: createHttpServer(
      [health, ...served.map((surface) => surface.handler)],
      (_req, socket) =>
        writeRefusal(socket, refusal(404, 'not_found', 'This listener serves operator endpoints only.')),
      null,
      options,
    ),
    serves: served.map((surface) => surface.name),
    url: null,
  }));
}

/** Starts an operator listener and records its URL. */
export async function startOperatorListener(listener: OperatorListener): Promise<void> {
  const info = await listenOn(listener.server, { port: listener.listen.port, host: listener.listen.host });
  listener.url = urlOf(info, false);
}

/**
 * `/metrics` behind a bearer key (`metrics.keyHash`), as Prometheus' `authorization`
 * scrape setting sends it; other paths pass on untouched.
 */
export function withMetricsKey(handler: RequestHandler, keyHash: string | null): RequestHandler {
  if (keyHash === null) return handler;
  return (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target) || target.path !== '/metrics') return false;
    const refused = checkOperatorKey(req, keyHash, '/metrics');
    if (refused === null) return handler(req, res);
    sendRefusal(res, refused);
    return true;
  };
}
