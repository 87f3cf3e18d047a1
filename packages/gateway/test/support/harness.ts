/**
 * Helpers for gateway integration tests: a gateway in front of test upstreams on loopback, and
 * WebSocket clients whose frames and close can be awaited.
 */

import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { hashKey } from '../../src/auth/credentials.js';
import { type GatewayConfig, resolveConfig } from '../../src/config/resolve.js';
import type { GatewayConfigInput, UpstreamConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { startTestUpstream, type TestUpstream, type TestUpstreamBehaviour } from './test-upstream.js';

/**
 * Builds an effective config; upstream base URLs may be given as test upstreams. The usage
 * ledger is off unless the test configures one (a SQLite file of its own, in a temp directory):
 * otherwise every test's gateway would write into the working directory's data directory.
 */
export function testConfig(input: GatewayConfigInput, env: Record<string, string> = {}): GatewayConfig {
  const result = resolveConfig(
    // A test's own server settings (TLS, say) keep the free port and loopback host.
    { ledger: { enabled: false }, ...input, server: { host: '127.0.0.1', port: 0, ...input.server } },
    { env, readFile: (path) => readFileSync(path, 'utf8') },
  );
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  return result.config;
}

/** A gateway with one test upstream serving every model. */
export interface Rig {
  readonly gateway: Gateway;
  readonly upstream: TestUpstream;
  /** `ws://127.0.0.1:<port>/v1/realtime`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a test upstream and a gateway in front of it.
 *
 * @example
 * const rig = await startRig({ limits: { idleTimeoutMs: 200 } });
 * const client = await connect(`${rig.url}?model=gpt-realtime`);
 */
export async function startRig(
  input: GatewayConfigInput = {},
  options: Omit<GatewayOptions, 'config'> = {},
  behaviour: TestUpstreamBehaviour = {},
  /** More settings of the test upstream's entry (for example `mcpTools`). */
  upstreamSettings: Partial<UpstreamConfigInput> = {},
): Promise<Rig> {
  const upstream = await startTestUpstream(behaviour);
  const config = testConfig(
    {
      upstreams: [
        {
          name: 'test',
          baseUrl: `${upstream.httpUrl}/v1`,
          apiKeyEnv: 'TEST_UPSTREAM_KEY',
          ...upstreamSettings,
        },
      ],
      ...input,
    },
    { TEST_UPSTREAM_KEY: 'sk-upstream-secret' },
  );
  const gateway = createGateway({ config, ...options });
  const address = await gateway.listen();
  return {
    gateway,
    upstream,
    url: address.realtimeUrl,
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}

/**
 * A gateway key's entry in `auth.keys`, for the key `key`: its id, its hash, and any limits.
 *
 * @example
 * testConfig({ auth: { keys: [keyEntry('app', 'sk-app'), keyEntry('solo', 'sk-solo', { maxSessions: 1 })] } });
 */
export function keyEntry<E extends object>(
  id: string,
  key: string,
  limits?: E,
): { id: string; hash: string } & E {
  return { id, hash: `sha256:${hashKey(key)}`, ...(limits as E) };
}

/** A received frame. */
export interface ClientFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A test client: a ws socket plus awaitable frames and close. */
export class TestClient {
  readonly frames: ClientFrame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      this.frames.push({ data, isBinary });
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  /** The next frame not yet taken, as it came. */
  async nextFrame(timeoutMs = 5000): Promise<ClientFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.frames.length) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('closed before the next frame');
      if (Date.now() > deadline) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
    return this.frames[this.cursor++]!;
  }

  /** The next frame, parsed. */
  async next(): Promise<Record<string, unknown>> {
    const frame = await this.nextFrame();
    return JSON.parse(frame.data.toString('utf8')) as Record<string, unknown>;
  }

  /** Skips frames until one of `type` arrives, and returns it. */
  async waitFor(type: string): Promise<Record<string, unknown>> {
    for (;;) {
      const event = await this.next();
      if (event.type === type) return event;
    }
  }

  /**
   * Every event from the next one up to and including the first of `type`, parsed. `E` is how a
   * test reads them (a loose alias, say); nothing checks it.
   */
  async until<E = Record<string, unknown>>(type: string): Promise<E[]> {
    const events: Record<string, unknown>[] = [];
    for (;;) {
      const event = await this.next();
      events.push(event);
      if (event.type === type) return events as E[];
    }
  }

  send(event: object | string | Buffer): void {
    if (Buffer.isBuffer(event)) this.socket.send(event, { binary: true });
    else this.socket.send(typeof event === 'string' ? event : JSON.stringify(event));
  }
}

/** Options for {@link connect}. */
export interface ConnectOptions {
  readonly headers?: Record<string, string>;
  readonly protocols?: string[];
  /** Certificate authorities to trust for `wss:` (PEM). */
  readonly ca?: string;
}

/** Connects and waits for the open; rejects with the HTTP status and body when refused. */
export function connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], {
      headers: options.headers ?? {},
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const client = new TestClient(socket);
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        reject(
          new Refused(
            res.statusCode ?? 0,
            Buffer.concat(chunks).toString('utf8'),
            res.headers['content-type'],
          ),
        );
      });
    });
    socket.once('error', (error) => reject(error));
  });
}

/** A refused upgrade, as a test sees it. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string | undefined,
  ) {
    super(`refused with HTTP ${status}: ${body}`);
  }

  get json(): { error: { message: string; type: string; param: string | null; code: string } } {
    return JSON.parse(this.body);
  }
}

/** Connects expecting a refusal; returns it. */
export async function expectRefused(url: string, options: ConnectOptions = {}): Promise<Refused> {
  try {
    const client = await connect(url, options);
    client.socket.close();
  } catch (error) {
    if (error instanceof Refused) return error;
    throw error;
  }
  throw new Error('expected the upgrade to be refused');
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds (or fails after `timeoutMs`). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}
