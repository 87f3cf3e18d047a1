/**
 * The console in a deployment of two nodes sharing Redis, each a `realtime-gateway` process:
 * a sign-in made at one node is honoured at the other (and a sign-out at either ends it), and
 * either node's console shows, and terminates, the sessions of both, with their node, and each
 * node's own view of the upstreams. And with
 * `--workers 2`: one sign-in for both workers, and each session's events from its worker.
 */
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, test } from 'node:test';
import { hashKey } from '../src/auth/credentials.js';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { freePort, startCli } from './support/cli.js';
import { CHANGE, openStream, signIn } from './support/console.js';
import { connect, keyEntry, type TestClient } from './support/harness.js';
import { ADMIN_KEY, startNodes, stopNodes, type TestNode } from './support/nodes.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';

const APP = 'sk-app-console';
const CONSOLE_KEY = 'rg-console-workers';

let engine: EmbeddedEngine;
let redis: TestRedis | null = null;
let nodes: TestNode[] = [];

before(async () => {
  engine = (await startEmbeddedEngine())!;
});

after(async () => {
  await stopNodes(nodes);
  await redis?.close();
  await engine.close();
});

test("either node's console: one sign-in, every node's sessions with their node, terminating across nodes", async (t) => {
  redis = await redisOrSkip(t);
  if (redis === null) return;
  nodes = await startNodes(redis.url, ['a', 'b'], {
    upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
    auth: { keys: [keyEntry('app', APP)] },
    console: { pushIntervalMs: 200 },
    store: { timeoutMs: 2000 },
  });
  const [a, b] = nodes as [TestNode, TestNode];
  const cookie = await signIn(a.url, ADMIN_KEY);
  const me = (node: TestNode) => fetch(`${node.url}/console/api/me`, { headers: { cookie } });
  assert.equal((await me(b)).status, 200, 'a sign-in at node a is good at node b');

  const feed = await openStream(`${b.url}/console/api/session-feed`, cookie);
  try {
    const client = await connect(a.realtimeUrl(), { headers: { authorization: `Bearer ${APP}` } });
    await client.waitFor('session.created');
    const seen = await feed.until((e) =>
      [...(e.data.rows ?? []), ...(e.data.changed ?? [])].some((row: { node: string }) => row.node === 'a'),
    );
    const row = [...(seen.data.rows ?? []), ...(seen.data.changed ?? [])][0];
    assert.equal(row.keyId, 'app');

    const upstreams = await openStream(`${b.url}/console/api/upstream-feed`, cookie);
    const snapshot = await upstreams.until((e) => e.event === 'snapshot');
    upstreams.close();
    const [engineRow] = snapshot.data.rows;
    assert.deepEqual(engineRow.sessionsByNode, { a: 1 });
    // Each node's own view: node a connected the session, node b did not.
    const views = Object.fromEntries(
      (engineRow.nodes as { node: string; active: number; attempts: number; circuit: string }[]).map(
        (view) => [view.node, [view.active, view.attempts > 0, view.circuit]],
      ),
    );
    assert.deepEqual(views, { a: [1, true, 'closed'], b: [0, false, 'closed'] });

    const ended = await fetch(`${b.url}/console/api/sessions/${row.id}/terminate`, {
      method: 'POST',
      headers: { ...CHANGE, cookie },
      body: JSON.stringify({ reason: 'moved to another node' }),
    });
    assert.equal(ended.status, 200);
    assert.deepEqual(await client.closed, { code: 1008, reason: 'moved to another node' });
    await feed.until((e) => e.event === 'changes' && e.data.removed.includes(row.id));
  } finally {
    feed.close();
  }

  const out = await fetch(`${b.url}/console/api/sign-out`, {
    method: 'POST',
    headers: { ...CHANGE, cookie },
  });
  assert.equal(out.status, 204);
  assert.equal((await me(a)).status, 401, 'signed out at node b is signed out at node a');
});

test('--workers 2: one sign-in for both workers, every session in the table, each session’s events from its worker', async () => {
  const port = await freePort();
  const running = await startCli(
    {
      server: { port },
      upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
      admin: { keyHash: `sha256:${hashKey(CONSOLE_KEY)}` },
      console: { pushIntervalMs: 200 },
      log: { level: 'warn' },
      shutdown: { drainMs: 0 },
    },
    ['--workers', '2'],
    2,
  );
  const base = `http://127.0.0.1:${port}`;
  const clients: TestClient[] = [];
  try {
    const cookie = await signIn(base, CONSOLE_KEY);
    // New connections: the workers take them in turn.
    const fresh = (path: string) =>
      new Promise<{ status: number; close(): void }>((resolve, reject) => {
        const req = httpGet(`${base}${path}`, { headers: { cookie }, agent: false }, (res) => {
          resolve({ status: res.statusCode!, close: () => res.destroy() });
          if (res.statusCode !== 200) res.resume();
        });
        req.on('error', reject);
      });
    for (let k = 0; k < 4; k++) {
      const me = await fresh('/console/api/me');
      me.close();
      assert.equal(me.status, 200, 'the sign-in holds whichever worker answers');
    }
    for (let k = 0; k < 4; k++) {
      const client = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
      await client.waitFor('session.created');
      clients.push(client);
    }
    const feed = await openStream(`${base}/console/api/session-feed`, cookie);
    const snapshot = await feed.until((e) => e.event === 'snapshot' && e.data.rows.length === 4);
    feed.close();
    for (const { id } of snapshot.data.rows as { id: string }[]) {
      const statuses: number[] = [];
      for (let tries = 0; tries < 8 && !statuses.includes(200); tries++) {
        const events = await fresh(`/console/api/sessions/${id}/events`);
        events.close();
        statuses.push(events.status);
      }
      assert.ok(statuses.includes(200), `the events of ${id}: ${statuses.join(', ')}`);
      assert.ok(statuses.every((status) => status === 200 || status === 404));
    }
  } finally {
    for (const client of clients) client.socket.close();
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
  }
});
