/**
 * The gateway's HTTP server: WebSocket upgrades for `/v1/realtime` and
 * `/v1/realtime/translations`, and plain requests passed
 * to a list of handlers (REST forwarding, admin API, health, metrics) in order, the first that
 * takes a request answering it. A request whose target cannot be read is refused (400) before
 * any handler sees it; a handler that throws gets the client a generic 500, never its error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { type Refusal, refusal } from '../refusal.js';
import type { SessionLog } from '../session/observer.js';
import type { ConnectionAdmission } from './admission.js';
import { answerClientErrors } from './client-error.js';
import { guardConnections } from './connection-guard.js';
import { REQUEST_ID_HEADER, type RequestContexts } from './request-context.js';
import { sendRefusal, writeRefusal } from './respond.js';
import { isRefusal, parseTarget } from './target.js';

/** Answers a request and returns true, or returns false to let the next handler try. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export const REALTIME_PATH = '/v1/realtime';
/** Translation sessions' WebSocket endpoint, upgraded by the same handler as {@link REALTIME_PATH}. */
export const TRANSLATIONS_PATH = '/v1/realtime/translations';

/** Whether a path is one of the gateway's WebSocket endpoints. */
export function isRealtimePath(path: string): boolean {
  return path === REALTIME_PATH || path === TRANSLATIONS_PATH;
}

/** How the server guards its edge; every field is optional. */
export interface HttpServerOptions {
  /** Time a client has to send its request headers (Node's `headersTimeout`). */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send its whole request (Node's `requestTimeout`); not below the above. */
  readonly requestTimeoutMs?: number;
  /** Caps on open sockets, in total and per client address; none when absent. */
  readonly admission?: ConnectionAdmission;
  /** Told about every refusal made at the edge (admission, timeouts, unreadable targets). */
  readonly onRefused?: (refusal: Refusal) => void;
  /** Where handler failures are logged (the client only learns that there was one). */
  readonly log?: SessionLog;
  /** Gives each request its id (answered in `x-request-id`) and client address, for the logs. */
  readonly proxies?: RequestContexts;
}

/** Longest request path put in a log line: the path is the client's, and so is its length. */
const LOGGED_PATH_CHARS = 200;

/**
 * Creates (but does not start) the HTTP server.
 *
 * @example
 * const server = createHttpServer([health, rest], (req, socket, head) => upgrade(req, socket, head), null,
 *   { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, log });
 * server.listen(8080, '127.0.0.1');
 */
export function createHttpServer(
  handlers: readonly RequestHandler[],
  realtime: UpgradeHandler,
  tls: { readonly cert: string; readonly key: string } | null = null,
  options: HttpServerOptions = {},
): Server {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void route(handlers, req, res, options);
  };
  const timeouts = requestTimeouts(options);
  const server: Server =
    tls === null
      ? createServer(timeouts, listener)
      : createHttpsServer({ ...timeouts, cert: tls.cert, key: tls.key }, listener);
  if (options.admission !== undefined) {
    guardConnections(server, {
      admission: options.admission,
      secure: tls !== null,
      ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    });
  }
  answerClientErrors(server, options.onRefused);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refuse = (r: Refusal): void => {
      options.onRefused?.(r);
      writeRefusal(socket, r);
    };
    const target = parseTarget(req.url);
    if (isRefusal(target)) return refuse(target);
    if (isRealtimePath(target.path)) realtime(req, socket, head);
    else refuse(refusal(404, 'not_found', `No WebSocket endpoint at ${boundedPath(target.path)}.`));
  });
  return server;
}

/**
 * Node's request timeouts, and a check of them often enough to matter: Node looks for expired
 * requests only every `connectionsCheckingInterval` (30 s by default).
 */
function requestTimeouts(options: HttpServerOptions): {
  headersTimeout?: number;
  requestTimeout?: number;
  connectionsCheckingInterval?: number;
} {
  const { headersTimeoutMs, requestTimeoutMs } = options;
  if (headersTimeoutMs === undefined && requestTimeoutMs === undefined) return {};
  const smallest = Math.min(headersTimeoutMs ?? Infinity, requestTimeoutMs ?? Infinity);
  return {
    ...(headersTimeoutMs === undefined ? {} : { headersTimeout: headersTimeoutMs }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeout: requestTimeoutMs }),
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(smallest / 4))),
  };
}

async function route(
  handlers: readonly RequestHandler[],
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpServerOptions,
): Promise<void> {
  const context = options.proxies?.contextOf(req);
  if (context !== undefined) res.setHeader(REQUEST_ID_HEADER, context.requestId);
  const target = parseTarget(req.url);
  if (isRefusal(target)) return sendRefusal(res, target);
  try {
    for (const handler of handlers) if (await handler(req, res)) return;
    if (isRealtimePath(target.path)) {
      sendRefusal(res, refusal(426, 'upgrade_required', `${target.path} is a WebSocket endpoint.`));
      return;
    }
    sendRefusal(res, refusal(404, 'not_found', `Unknown path ${req.method} ${boundedPath(target.path)}.`));
  } catch (error) {
    options.log?.error(
      {
        ...context,
        err: error instanceof Error ? error.message : String(error),
        method: req.method,
        path: boundedPath(target.path),
      },
      'request failed',
    );
    if (!res.headersSent)
      sendRefusal(res, refusal(500, 'internal_error', 'The gateway failed to answer the request.'));
    else res.destroy();
  }
}

/** A path cut to a length fit for a log line or an error message. */
function boundedPath(path: string): string {
  return path.length <= LOGGED_PATH_CHARS ? path : `${path.slice(0, LOGGED_PATH_CHARS)}…`;
}
