/**
 * The gateway's HTTP server: WebSocket upgrades for `/v1/realtime`, and plain requests passed
 * to a list of handlers (REST forwarding, admin API, health, metrics) in order, the first that
 * takes a request answering it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { refusal } from '../refusal.js';
import { sendRefusal, writeRefusal } from './respond.js';

/** Answers a request and returns true, or returns false to let the next handler try. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export const REALTIME_PATH = '/v1/realtime';

/**
 * Creates (but does not start) the HTTP server.
 *
 * @example
 * const server = createHttpServer([health, rest], (req, socket, head) => upgrade(req, socket, head));
 * server.listen(8080, '127.0.0.1');
 */
export function createHttpServer(
  handlers: readonly RequestHandler[],
  realtime: UpgradeHandler,
  tls: { readonly cert: string; readonly key: string } | null = null,
): Server {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void route(handlers, req, res);
  };
  const server: Server =
    tls === null ? createServer(listener) : createHttpsServer({ cert: tls.cert, key: tls.key }, listener);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path === REALTIME_PATH) realtime(req, socket, head);
    else writeRefusal(socket, refusal(404, 'not_found', `No WebSocket endpoint at ${path}.`));
  });
  return server;
}

async function route(
  handlers: readonly RequestHandler[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    for (const handler of handlers) if (await handler(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === REALTIME_PATH) {
      sendRefusal(res, refusal(426, 'upgrade_required', `${REALTIME_PATH} is a WebSocket endpoint.`));
      return;
    }
    sendRefusal(res, refusal(404, 'not_found', `Unknown path ${req.method} ${path}.`));
  } catch (error) {
    if (!res.headersSent) sendRefusal(res, refusal(500, 'internal_error', (error as Error).message));
    else res.destroy();
  }
}
