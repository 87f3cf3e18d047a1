import assert from 'node:assert/strict';
/**
 * Hand-written HTTP over raw `net` sockets, for requests a well-behaved client library would
 * never send (a malformed WebSocket key, half the headers, a bad percent-escape) and for sockets
 * opened from a chosen loopback address.
 *
 * @example
 * const answer = await rawRequest(port, upgradeRequest('/v1/realtime?model=m', { 'sec-websocket-key': 'x' }));
 * assert.equal(answer.status, 400);
 */
import { connect, type Socket } from 'node:net';

/** What came back on a socket before the server closed it. */
export interface RawAnswer {
  /** 0 when nothing parseable came back. */
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything received, as text. */
  readonly raw: string;
}

/** A valid WebSocket key (base64 of 16 bytes). */
export const VALID_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * An upgrade request with the headers of a valid version-13 handshake; `headers` overrides
 * them (a null value drops one).
 */
export function upgradeRequest(
  target: string,
  headers: Readonly<Record<string, string | null>> = {},
  method = 'GET',
): string {
  const all: Record<string, string | null> = {
    host: 'gateway.test',
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': VALID_KEY,
    'sec-websocket-version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A plain request that asks the server to close the connection after answering. */
export function plainRequest(
  target: string,
  headers: Readonly<Record<string, string>> = {},
  method = 'GET',
): string {
  const lines = Object.entries({ host: 'gateway.test', connection: 'close', ...headers }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  return `${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Options for {@link RawSocket.open}. */
export interface SocketOptions {
  /** Loopback address to connect from (127.0.0.1, 127.0.0.2, …): a different client address. */
  readonly localAddress?: string;
}

/** A connected raw socket whose received bytes and close can be awaited. */
export class RawSocket {
  private readonly chunks: Buffer[] = [];
  /** Resolves once the server has closed the connection (or it was reset). */
  readonly closed: Promise<RawAnswer>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    // A reset after the answer is still a close; what was received is what counts.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.answer())));
  }

  /** Connects to 127.0.0.1:`port`. */
  static open(port: number, options: SocketOptions = {}): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...options });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawSocket(socket));
      });
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Closes this side and waits for the socket to be gone. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  /** What has been received so far, parsed. */
  answer(): RawAnswer {
    return parseAnswer(Buffer.concat(this.chunks).toString('utf8'));
  }
}

/** Sends `request` on a new socket and resolves with the answer once the server closes it. */
export async function rawRequest(
  port: number,
  request: string,
  options: SocketOptions = {},
): Promise<RawAnswer> {
  const raw = await RawSocket.open(port, options);
  raw.send(request);
  return raw.closed;
}

function parseAnswer(raw: string): RawAnswer {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: split === -1 ? '' : raw.slice(split + 4), raw };
}

/** The OpenAI-shaped error of a refusal body, checked to have exactly its four fields. */
export function errorOf(body: string): { message: string; type: string; param: string | null; code: string } {
  const parsed = JSON.parse(body) as { error: { message: string; type: string; param: null; code: string } };
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message', 'param', 'type']);
  return parsed.error;
}
