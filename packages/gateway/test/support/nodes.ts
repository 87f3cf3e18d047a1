/**
 * Gateway nodes of one deployment for tests: each a `realtime-gateway` process of its own (as an
 * operator runs them), on its own port, sharing a Redis store under a key prefix of the test's
 * own, with an admin key and the shared node token.
 *
 * @example
 * const nodes = await startNodes(redis.url, ['a', 'b'], { upstreams: [{ name: 'engine', baseUrl }] });
 * const client = await connect(nodes[0].realtimeUrl('gpt-realtime'), { headers: auth(APP) });
 * await stopNodes(nodes);
 */
import { randomBytes } from 'node:crypto';
import { hashKey } from '../../src/auth/credentials.js';
import { freePort, type Running, startCli } from './cli.js';
import { delay } from './harness.js';

/** The admin key of every test node. */
export const ADMIN_KEY = 'sk-admin-nodes';
const TOKEN = randomBytes(32).toString('base64url');

export interface TestNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly process: Running;
  realtimeUrl(model?: string): string;
  /** An admin API request to this node. */
  admin(path: string, method?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Options for {@link startNodes}. */
export interface NodesOptions {
  /** The key prefix in Redis: one per test, so tests never see each other's state. */
  readonly prefix?: string;
}

/**
 * Starts one node per id with `config` (merged with the store, node and admin sections), in
 * parallel, and resolves once all listen.
 */
export async function startNodes(
  redisUrl: string,
  ids: readonly string[],
  config: Record<string, unknown>,
  options: NodesOptions = {},
): Promise<TestNode[]> {
  const prefix = options.prefix ?? `test-${randomBytes(4).toString('hex')}:`;
  return Promise.all(ids.map((id) => startNode(redisUrl, id, config, prefix)));
}

/** Starts one node; see {@link startNodes}. */
export async function startNode(
  redisUrl: string,
  id: string,
  config: Record<string, unknown>,
  prefix: string,
): Promise<TestNode> {
  const port = await freePort();
  const store = (config.store ?? {}) as Record<string, unknown>;
  const running = await startCli(
    {
      ...config,
      server: { ...((config.server ?? {}) as object), port },
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
      store: { ...store, redis: { url: redisUrl, keyPrefix: prefix } },
      node: { id, tokenEnv: 'NODE_TOKEN' },
      log: { level: 'info', ...((config.log ?? {}) as object) },
      shutdown: { drainMs: 0 },
    },
    [],
    1,
    { env: { NODE_TOKEN: TOKEN } },
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    id,
    port,
    url,
    process: running,
    realtimeUrl: (model = 'gpt-realtime') => `ws://127.0.0.1:${port}/v1/realtime?model=${model}`,
    async admin(path, method = 'GET') {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

/** Stops nodes with SIGTERM (SIGKILL after 10 s), whichever are still running. */
export async function stopNodes(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const { child, exited } = node.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), delay(10_000).then(() => true)]);
      if (killed) child.kill('SIGKILL');
    }),
  );
}
