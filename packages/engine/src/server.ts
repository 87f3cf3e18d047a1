/**
 * The engine's network edge: an HTTP server that upgrades `GET /v1/realtime` to a WebSocket
 * session, as OpenAI's endpoint does (`?model=`, `?intent=transcription`), and
 * `GET /v1/realtime/translations` to a translation session (`?model=gpt-realtime-translate`),
 * and answers `GET /healthz`.
 */

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerEvent, TRANSLATION_MODEL, type TranslationServerEvent } from '@realtime-gateway/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { betaConnection, type EngineDialect } from './beta-dialect.js';
import type { Brain, BrainError } from './brain/brain.js';
import { type ChatBrainOptions, chatBrain } from './brain/chat.js';
import { echoBrain } from './brain/echo.js';
import { EngineSession } from './session/session.js';
import { TranslationEngineSession } from './translation/translation-session.js';

/** Where translation sessions are served, as OpenAI serves them. */
export const TRANSLATIONS_PATH = '/v1/realtime/translations';

export interface EngineOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** `echo` (default), a Chat Completions endpoint, or any {@link Brain}. */
  readonly brain?: 'echo' | ({ readonly type: 'chat' } & ChatBrainOptions) | Brain;
  /** Milliseconds between streamed deltas (default 0: every turn of the event loop). */
  readonly deltaDelayMs?: number;
  /** Largest input audio buffer per session, in bytes (default 32 MiB, about 11 minutes of 24 kHz PCM16). */
  readonly maxInputAudioBytes?: number;
  /**
   * The protocol spoken to clients: `ga` (default), or `beta`, as OpenAI's servers spoke before
   * 2026-05-12 (for testing what still speaks beta, a gateway's `dialect: beta` upstreams among
   * them). The session runs GA either way; `onEvent` sees its GA events.
   */
  readonly dialect?: EngineDialect;
  /** When set, clients must present this key (bearer or `openai-insecure-api-key.` subprotocol). */
  readonly apiKey?: string;
  /** Told about every event the engine sends, for conformance checks and debugging. */
  readonly onEvent?: (event: ServerEvent) => void;
  /** Told about every event the engine sends in a translation session. */
  readonly onTranslationEvent?: (event: TranslationServerEvent) => void;
  /**
   * Told about a fault inside the engine (a defect, not bad input): the event that hit it was
   * answered with a `server_error` and every session, that one included, goes on. By default
   * one line on standard error.
   */
  readonly onFault?: (error: unknown, sessionId: string) => void;
  /**
   * Told that a response failed because its brain said why (a chat backend that refused or
   * broke off, a turn the brain cannot read): the client got `response.done` failed with
   * `status_details.error` and an `error` event. By default one line on standard error.
   */
  readonly onBrainError?: (error: BrainError, sessionId: string, responseId: string) => void;
}

function reportFault(error: unknown, sessionId: string): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`realtime-engine: fault in session ${sessionId}: ${detail}\n`);
}

function reportBrainError(error: BrainError, sessionId: string, responseId: string): void {
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  process.stderr.write(
    `realtime-engine: response ${responseId} in session ${sessionId} failed: ${error.code}: ${error.message}${cause}\n`,
  );
}

export interface RunningEngine {
  /** `ws://host:port/v1/realtime` */
  readonly url: string;
  /** `ws://host:port/v1/realtime/translations` */
  readonly translationsUrl: string;
  readonly port: number;
  /** Closes every session (1001) and stops listening. Idempotent. */
  close(): Promise<void>;
}

function resolveBrain(brain: EngineOptions['brain']): Brain {
  if (brain === undefined || brain === 'echo') return echoBrain;
  if ('respond' in brain) return brain;
  return chatBrain(brain);
}

function presentedKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const key = protocols.find((p) => p.startsWith('openai-insecure-api-key.'));
  return key === undefined ? null : key.slice('openai-insecure-api-key.'.length);
}

/**
 * Whether the client offers subprotocols but not `realtime`, the only one the engine answers:
 * ws would then complete the handshake with none, and the client's WebSocket would fail with no
 * explanation (a browser offering only `openai-insecure-api-key.<key>` does this).
 */
function lacksRealtime(req: IncomingMessage): boolean {
  const header = req.headers['sec-websocket-protocol'];
  return header !== undefined && !header.split(',').some((p) => p.trim() === 'realtime');
}

const MISSING_REALTIME = JSON.stringify({
  error: {
    message:
      "None of the offered subprotocols is 'realtime'. Offer 'realtime' alongside the key subprotocol: " +
      "new WebSocket(url, ['realtime', 'openai-insecure-api-key.<key>']).",
    type: 'invalid_request_error',
    param: null,
    code: 'missing_realtime_subprotocol',
  },
});

/**
 * Starts the engine.
 *
 * @example
 * const engine = await startEngine({ port: 0 });
 * const ws = new WebSocket(`${engine.url}?model=gpt-realtime`);
 * // … later
 * await engine.close();
 */
export async function startEngine(options: EngineOptions = {}): Promise<RunningEngine> {
  const brain = resolveBrain(options.brain);
  const onFault = options.onFault ?? reportFault;
  const onBrainError = options.onBrainError ?? reportBrainError;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });
  const server = createServer((req, res) => {
    if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"message":"Not found","type":"invalid_request_error"}}');
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    if (url.pathname !== '/v1/realtime' && url.pathname !== TRANSLATIONS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (lacksRealtime(req)) {
      socket.end(
        'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n' +
          `content-length: ${Buffer.byteLength(MISSING_REALTIME)}\r\nconnection: close\r\n\r\n${MISSING_REALTIME}`,
      );
      return;
    }
    if (options.apiKey !== undefined && presentedKey(req) !== options.apiKey) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname === TRANSLATIONS_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => serveTranslation(ws, url, options, onFault));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const beta = options.dialect === 'beta' ? betaConnection() : null;
      const toClient = (frame: string): void => {
        if (ws.readyState === ws.OPEN) ws.send(frame);
      };
      let session: EngineSession;
      try {
        session = new EngineSession({
          model: url.searchParams.get('model') ?? 'gpt-realtime',
          intent: url.searchParams.get('intent') === 'transcription' ? 'transcription' : 'conversation',
          brain,
          deltaDelayMs: options.deltaDelayMs ?? 0,
          maxInputAudioBytes: options.maxInputAudioBytes ?? 32 * 1024 * 1024,
          send: (frame, event) => {
            options.onEvent?.(event);
            if (beta === null) toClient(frame);
            else for (const out of beta.outgoing(event)) toClient(out);
          },
          onFault: (error) => onFault(error, session.id),
          onBrainError: (error, responseId) => onBrainError(error, session.id, responseId),
        });
      } catch (error) {
        // Only the greeting runs outside the session's own guard.
        onFault(error, 'new session');
        ws.close(1011, 'internal error');
        return;
      }
      ws.on('message', (data: Buffer, isBinary) => {
        const frame = isBinary ? data : data.toString('utf8');
        if (beta === null) return session.receive(frame);
        const { session: frames, reply } = beta.incoming(frame);
        if (reply !== null) toClient(reply);
        for (const translated of frames) session.receive(translated);
      });
      ws.on('close', () => session.close());
      ws.on('error', () => session.close());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | null = null;
  const origin = `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `${origin}/v1/realtime`,
    translationsUrl: `${origin}${TRANSLATIONS_PATH}`,
    port,
    close() {
      closing ??= (async () => {
        for (const client of wss.clients) client.close(1001, 'engine shutting down');
        await new Promise<void>((resolve) => setTimeout(resolve, 50).unref());
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/**
 * One translation session on an upgraded connection. The beta dialect had no translation
 * sessions, so they speak GA's translation events whatever `dialect` says.
 */
function serveTranslation(
  ws: WebSocket,
  url: URL,
  options: EngineOptions,
  onFault: (error: unknown, sessionId: string) => void,
): void {
  const session = new TranslationEngineSession({
    model: url.searchParams.get('model') ?? TRANSLATION_MODEL,
    send: (frame, event) => {
      options.onTranslationEvent?.(event);
      if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    // The server ends the connection once it said `session.closed`, as OpenAI's does.
    closed: () => ws.close(1000, 'session closed'),
    onFault: (error) => onFault(error, session.id),
  });
  ws.on('message', (data: Buffer, isBinary) => session.receive(isBinary ? data : data.toString('utf8')));
  ws.on('close', () => session.close());
  ws.on('error', () => session.close());
}
