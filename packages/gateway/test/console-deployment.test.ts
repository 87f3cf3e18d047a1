/**
 * The console in a deployment of two nodes sharing Redis, each a `realtime-gateway` process:
 * a sign-in made at one node is honoured at the other (and a sign-out at either ends it), and
 * either node's console shows, and terminates, the sessions of both, with their node.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { CHANGE, openStream, signIn } from './support/console.js';
import { connect, keyEntry } from './support/harness.js';
import { ADMIN_KEY, startNodes, stopNodes, type TestNode } from './support/nodes.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';

const APP = 'sk-app-console';

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
      [...(e.data.sessions ?? []), ...(e.data.changed ?? [])].some(
        (row: { node: string }) => row.node === 'a',
      ),
    );
    const row = [...(seen.data.sessions ?? []), ...(seen.data.changed ?? [])][0];
    assert.equal(row.keyId, 'app');

    const upstreams = (await (
      await fetch(`${b.url}/console/api/upstreams`, { headers: { cookie } })
    ).json()) as {
      data: { name: string; sessionsByNode: Record<string, number> }[];
    };
    assert.deepEqual(upstreams.data[0]!.sessionsByNode, { a: 1 });

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
