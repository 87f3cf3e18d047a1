/**
 * Helpers for the console's tests: a gateway with the admin API in front of the reference
 * engine, signing in as a page does, and reading a server-sent-event stream.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { hashKey } from '../../src/auth/credentials.js';
import type { GatewayConfig } from '../../src/config/resolve.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { testConfig } from './harness.js';

export const ADMIN_KEY = 'rg-console-admin-key';
/** What the console's pages send with a change. */
export const CHANGE = { 'content-type': 'application/json', 'x-console-request': '1' };

/** A gateway with the admin API and a ledger, in front of the reference engine. */
export interface ConsoleRig {
  readonly gateway: Gateway;
  readonly engine: RunningEngine;
  /** `http://127.0.0.1:<port>`: where the admin API (and so the console) is. */
  readonly base: string;
  /** The client port's `ws://…/v1/realtime`. */
  readonly url: string;
  /** The rig's configuration with `changes` over it, for a reload. */
  configWith(changes: GatewayConfigInput): GatewayConfig;
  close(): Promise<void>;
}

/**
 * @example
 * const rig = await startConsoleRig({ console: { pushIntervalMs: 200 } });
 * const cookie = await signIn(rig.base);
 */
export async function startConsoleRig(
  input: GatewayConfigInput = {},
  options: Omit<GatewayOptions, 'config'> = {},
): Promise<ConsoleRig> {
  const engine = await startEngine({});
  const dir = mkdtempSync(join(tmpdir(), 'console-'));
  const configWith = (changes: GatewayConfigInput): GatewayConfig =>
    testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
      ledger: { sqlite: { path: join(dir, 'usage.sqlite') }, flushIntervalMs: 20 },
      ...input,
      ...changes,
    });
  const config = configWith({});
  const gateway = createGateway({ config, ...options });
  const address = await gateway.listen();
  return {
    gateway,
    engine,
    base: gateway.operatorUrls.admin ?? address.url,
    url: address.realtimeUrl,
    configWith,
    async close() {
      await gateway.close();
      await engine.close();
    },
  };
}

/** Signs in with `key`; the cookie to send back (`rg_console=…`). */
export async function signIn(base: string, key = ADMIN_KEY): Promise<string> {
  const response = await fetch(`${base}/console/api/sign-in`, {
    method: 'POST',
    headers: CHANGE,
    body: JSON.stringify({ key }),
  });
  if (response.status !== 204) throw new Error(`sign-in answered ${response.status}`);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

/** One server-sent event. */
export interface StreamEvent {
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the events' fields as they go
  readonly data: any;
}

/**
 * A console stream, read as it comes.
 *
 * @example
 * const feed = await openStream(`${base}/console/api/session-feed`, cookie);
 * const { data } = await feed.until((e) => e.event === 'snapshot');
 */
export class ConsoleStream {
  private text = '';
  readonly events: StreamEvent[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader();
  }

  /** The first event (from the start of the stream) that `wanted` accepts; throws past `timeoutMs`. */
  async until(wanted: (event: StreamEvent) => boolean, timeoutMs = 10_000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < this.events.length; seen++) if (wanted(this.events[seen]!)) return this.events[seen]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event in: ${this.events.map((e) => e.event).join(', ')}`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), left);
        }),
      ]);
      clearTimeout(timer);
      if (chunk === null) continue;
      if (chunk.done)
        throw new Error(`the stream ended after: ${this.events.map((e) => e.event).join(', ')}`);
      this.take(this.decoder.decode(chunk.value, { stream: true }));
    }
  }

  close(): void {
    void this.reader.cancel().catch(() => {});
  }

  private take(text: string): void {
    this.text += text;
    for (let end = this.text.indexOf('\n\n'); end !== -1; end = this.text.indexOf('\n\n')) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) this.events.push({ event, data: JSON.parse(data) });
    }
  }
}

/** Opens a console stream with a sign-in cookie. */
export async function openStream(url: string, cookie: string): Promise<ConsoleStream> {
  const response = await fetch(url, { headers: { cookie } });
  if (response.status !== 200)
    throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return new ConsoleStream(response);
}
