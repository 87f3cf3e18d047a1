/**
 * Scale-out: gateway nodes as separate processes sharing a real redis-server (started by each
 * test on a free loopback port). Limits hold for the deployment, a node killed with SIGKILL
 * frees its slots within the lease's time to live, the rate limit is one bucket under
 * concurrent opens, the admin API of any node lists and terminates every node's sessions and
 * serves every node's recordings, a
 * client secret minted on one node opens one session on another, a call's sideband connection
 * and hangup reaching the wrong node are forwarded, a client's resume reaching another node is
 * passed to the node holding the session, and Redis stopped and restarted under live
 * sessions leaves them running, in both `store.onUnavailable` modes.
 *
 * Without redis-server these tests are skipped with what to install; under CI=true they fail.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { RESUME_TOKEN_HEADER } from '../src/http/resume-request.js';
import { connect, delay, eventually, expectRefused, keyEntry, TestClient } from './support/harness.js';
import { ADMIN_KEY, startNode, startNodes, stopNodes, type TestNode } from './support/nodes.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';
import { placeCall, TestCaller } from './support/webrtc-client.js';

const APP = 'sk-app-scale';
const TTL_MS = 2000;

let engine: EmbeddedEngine;
const running: TestNode[][] = [];
const servers: TestRedis[] = [];
const clients: TestClient[] = [];

before(async () => {
  engine = (await startEmbeddedEngine())!;
});

after(async () => {
  for (const client of clients) client.socket.terminate();
  for (const nodes of running) await stopNodes(nodes);
  for (const redis of servers) await redis.close();
  await engine.close();
});

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

/** The configuration every node of a test gets, with the app key's limits. */
function deploymentConfig(limits: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
    auth: { keys: [keyEntry('app', APP, limits)] },
    ...extra,
    store: { leaseTtlMs: TTL_MS, timeoutMs: 500, ...((extra.store ?? {}) as object) },
  };
}

async function deployment(
  t: Parameters<typeof redisOrSkip>[0],
  ids: readonly string[],
  limits: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<{ redis: TestRedis; nodes: TestNode[] } | null> {
  const redis = await redisOrSkip(t);
  if (redis === null) return null;
  servers.push(redis);
  const nodes = await startNodes(redis.url, ids, deploymentConfig(limits, extra));
  running.push(nodes);
  return { redis, nodes };
}

/** Opens a session on a node and waits for its `session.created`. */
async function open(node: TestNode, key = APP): Promise<TestClient> {
  const client = await connect(node.realtimeUrl(), bearer(key));
  clients.push(client);
  await client.waitFor('session.created');
  return client;
}

/** One text turn: the session is relayed end to end. */
async function turn(client: TestClient): Promise<void> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
  });
  client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
  const done = await client.waitFor('response.done');
  assert.equal((done.response as { status: string }).status, 'completed');
}

describe('limits across nodes', () => {
  test("a key's maxSessions holds for the deployment, and a freed slot is free on every node", async (t) => {
    const set = await deployment(t, ['a', 'b', 'c'], { maxSessions: 2 });
    if (set === null) return;
    const [a, b, c] = set.nodes as [TestNode, TestNode, TestNode];
    const first = await open(a);
    await open(b);
    const refused = await expectRefused(c.realtimeUrl(), bearer(APP));
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'too_many_sessions');
    first.socket.close();
    await first.closed;
    await eventually(
      async () => {
        try {
          await open(c);
          return true;
        } catch {
          return false;
        }
      },
      5000,
      'the slot given back on one node to be free on another',
    );
  });

  test('a node killed with SIGKILL frees its slots within the lease time to live', async (t) => {
    const set = await deployment(t, ['a', 'b'], { maxSessions: 2 });
    if (set === null) return;
    const [a, b] = set.nodes as [TestNode, TestNode];
    await open(b);
    await open(b);
    assert.equal((await expectRefused(a.realtimeUrl(), bearer(APP))).status, 429);
    b.process.child.kill('SIGKILL');
    await b.process.exited;
    const killedAt = Date.now();
    // Its slots outlive it (nobody gave them back) until their lease lapses.
    assert.equal((await expectRefused(a.realtimeUrl(), bearer(APP))).status, 429);
    let opened = 0;
    await eventually(
      async () => {
        try {
          await open(a);
          opened++;
        } catch {}
        return opened === 2;
      },
      TTL_MS * 3,
      "both of the dead node's slots to lapse",
    );
    const freedAfter = Date.now() - killedAt;
    assert.ok(freedAfter <= TTL_MS + 1000, `freed ${freedAfter} ms after the kill (lease ${TTL_MS} ms)`);
    assert.equal((await expectRefused(a.realtimeUrl(), bearer(APP))).status, 429);
  });

  test('sessionsPerMinute is one bucket for the deployment under concurrent opens', async (t) => {
    const set = await deployment(t, ['a', 'b', 'c'], { sessionsPerMinute: 5 });
    if (set === null) return;
    const attempts = Array.from({ length: 15 }, (_, k) => set.nodes[k % 3]!);
    const results = await Promise.allSettled(attempts.map((node) => open(node)));
    const opened = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason as { status?: number; json?: { error: { code: string } } }).json?.error.code);
    assert.equal(opened, 5);
    assert.deepEqual(refused, Array(10).fill('rate_limit_exceeded'));
  });
});

describe('the admin API of any node', () => {
  test("lists every node's sessions with the node's id, and terminates one held elsewhere with 1008", async (t) => {
    const set = await deployment(t, ['a', 'b', 'c']);
    if (set === null) return;
    const [a, b, c] = set.nodes as [TestNode, TestNode, TestNode];
    const onA = await open(a);
    await open(b);
    await open(b);
    const listed = await c.admin('/admin/sessions');
    assert.equal(listed.status, 200);
    const data = listed.body.data as { id: string; node: string }[];
    assert.deepEqual(data.map((s) => s.node).sort(), ['a', 'b', 'b']);
    const onAId = data.find((s) => s.node === 'a')!.id;
    const shown = await c.admin(`/admin/sessions/${onAId}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.node, 'a');
    const terminated = await c.admin(`/admin/sessions/${onAId}?reason=maintenance`, 'DELETE');
    assert.equal(terminated.status, 200);
    assert.deepEqual(await onA.closed, { code: 1008, reason: 'maintenance' });
    await eventually(
      async () => ((await b.admin('/admin/sessions')).body.data as unknown[]).length === 2,
      5000,
      'the terminated session to leave the list',
    );
    assert.equal((await c.admin(`/admin/sessions/${onAId}`, 'DELETE')).status, 404);
    assert.equal((await a.admin('/admin/sessions/sess_nobody')).status, 404);
  });
});

describe('recordings across nodes', () => {
  /** An admin request's status, type and body as bytes. */
  async function fetchAdmin(node: TestNode, path: string) {
    const response = await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  test('a recording is served by every node: the others ask the node that wrote it', async (t) => {
    const redis = await redisOrSkip(t);
    if (redis === null) return;
    servers.push(redis);
    // Each node its own folder, as on machines of their own.
    const prefix = `test-recordings-${process.pid}:`;
    const nodes = await Promise.all(
      ['a', 'b'].map(async (id) =>
        startNode(
          redis.url,
          id,
          deploymentConfig({}, { recording: { dir: await mkdtemp(join(tmpdir(), `recordings-${id}-`)) } }),
          prefix,
        ),
      ),
    );
    running.push(nodes);
    const [a, b] = nodes as [TestNode, TestNode];
    const client = await open(a);
    await turn(client);
    const id = ((await a.admin('/admin/sessions')).body.data as { id: string; node: string }[]).find(
      (s) => s.node === 'a',
    )!.id;
    // While the session lives, its node says so, whichever node is asked.
    assert.equal((await fetchAdmin(b, `/admin/sessions/${id}/recording`)).status, 409);
    client.socket.close();
    await client.closed;
    await eventually(
      async () => (await fetchAdmin(a, `/admin/sessions/${id}/recording`)).status === 200,
      10_000,
      'the recording to finish',
    );
    // The session has left the directory; its recording is still served by the other node.
    for (const path of [`/admin/sessions/${id}/recording`, `/admin/sessions/${id}/recording/audio.wav`]) {
      const [there, here] = [await fetchAdmin(a, path), await fetchAdmin(b, path)];
      assert.equal(here.status, 200, path);
      assert.equal(here.type, there.type);
      assert.ok(here.body.equals(there.body), `${path}: the same bytes`);
    }
    const lines = (await fetchAdmin(b, `/admin/sessions/${id}/recording`)).body.toString().trim().split('\n');
    assert.ok(lines.some((line) => JSON.parse(line).event?.type === 'response.done'));
    // A recording no node has: 404 from either, and the key is still checked on the way.
    assert.equal((await fetchAdmin(b, '/admin/sessions/sess_nobody/recording')).status, 404);
    const unauthorized = await fetch(`${b.url}/admin/sessions/${id}/recording`);
    assert.equal(unauthorized.status, 401);
  });
});

describe('client secrets and calls across nodes', () => {
  test('a secret minted on one node opens one session on another, and is refused after', async (t) => {
    const set = await deployment(t, ['a', 'b', 'c']);
    if (set === null) return;
    const [a, b, c] = set.nodes as [TestNode, TestNode, TestNode];
    const minted = await fetch(`${a.url}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } }),
    });
    assert.equal(minted.status, 200);
    const secret = ((await minted.json()) as { value: string }).value;
    const client = await open(b, secret);
    await turn(client);
    const again = await expectRefused(c.realtimeUrl(), bearer(secret));
    assert.equal(again.status, 401);
    assert.equal((await expectRefused(b.realtimeUrl(), bearer(secret))).status, 401);
  });

  test('a sideband connection and a hangup reaching another node are forwarded to the holder', async (t) => {
    const set = await deployment(
      t,
      ['a', 'b', 'c'],
      {},
      {
        webrtc: { iceAddresses: ['127.0.0.1'], idleTimeoutMs: 5000, connectTimeoutMs: 5000 },
      },
    );
    if (set === null) return;
    const [a, b, c] = set.nodes as [TestNode, TestNode, TestNode];
    const caller = new TestCaller();
    t.after(() => caller.close().catch(() => {}));
    const id = await placeCall(caller, a.url, APP);
    await caller.waitFor('session.created');

    const sideband = await connect(`ws://127.0.0.1:${b.port}/v1/realtime?call_id=${id}`, bearer(APP));
    clients.push(sideband);
    sideband.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'from node b' }] },
    });
    const added = await caller.waitFor('conversation.item.added');
    assert.deepEqual((added.item as { content: unknown[] }).content, [
      { type: 'input_text', text: 'from node b' },
    ]);
    const listed = (await c.admin('/admin/sessions')).body.data as { node: string }[];
    assert.deepEqual(
      listed.map((s) => s.node),
      ['a'],
      'the call is one session, on the node that answered it',
    );

    const hangup = await fetch(`${c.url}/v1/realtime/calls/${id}/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(hangup.status, 200);
    await eventually(
      async () => ((await a.admin('/admin/sessions')).body.data as unknown[]).length === 0,
      5000,
      'the call to end on its node',
    );
    assert.equal((await sideband.closed).code, 1000, 'the forwarded sideband ends with the call');
    const gone = await fetch(`${b.url}/v1/realtime/calls/${id}/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(gone.status, 404);
  });
});

describe('client resume across nodes', () => {
  /** Opens a session on a node; resolves with its client and the resume token its handshake answered. */
  function openResumable(node: TestNode): Promise<{ client: TestClient; token: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(node.realtimeUrl(), bearer(APP));
      const client = new TestClient(socket);
      clients.push(client);
      let token = '';
      socket.once('upgrade', (res) => {
        token = String(res.headers[RESUME_TOKEN_HEADER] ?? '');
      });
      socket.once('open', () => resolve({ client, token }));
      socket.once('error', reject);
    });
  }

  test('a dropped client resumes its session through another node, with a client secret minted there', async (t) => {
    const set = await deployment(t, ['a', 'b'], {}, { continuity: { clientGraceMs: 10_000 } });
    if (set === null) return;
    const [a, b] = set.nodes as [TestNode, TestNode];
    const { client, token } = await openResumable(a);
    assert.ok(token.startsWith('rt1.'), 'the handshake answers a resume token');
    await client.waitFor('session.created');
    await turn(client);
    // The connection drops with no close frame.
    client.socket.terminate();
    const sessionOf = async () =>
      (await a.admin('/admin/sessions')).body.data as { id: string; state: string }[];
    await eventually(async () => (await sessionOf())[0]?.state === 'detached', 5000, 'the session to wait');

    // A forged token is refused by the node it reaches, without reaching the holder.
    const forged = `${token.slice(0, -4)}AAAA`;
    const refused = await expectRefused(b.realtimeUrl(), {
      headers: { authorization: `Bearer ${APP}`, 'x-realtime-gateway-resume': forged },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error.code, 'invalid_resume_token');

    const minted = await fetch(`${b.url}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } }),
    });
    const secret = ((await minted.json()) as { value: string }).value;
    const back = await connect(b.realtimeUrl(), {
      headers: { authorization: `Bearer ${secret}`, 'x-realtime-gateway-resume': token },
    });
    clients.push(back);
    await eventually(async () => (await sessionOf())[0]?.state === 'open', 5000, 'the session to be resumed');
    await turn(back);
    const held = (await b.admin('/admin/sessions')).body.data as { node: string }[];
    assert.deepEqual(
      held.map((s) => s.node),
      ['a'],
      'the session stayed on the node that held it',
    );
    // The secret was spent once, by the holder: it opens nothing more.
    assert.equal((await expectRefused(a.realtimeUrl(), bearer(secret))).status, 401);
  });
});

describe('Redis stopped and restarted under live sessions', () => {
  for (const mode of ['fail-closed', 'fail-open'] as const) {
    test(`${mode}: live sessions go on, new ones are ${mode === 'fail-closed' ? 'refused with 503' : 'admitted'}, and all is as before once it is back`, async (t) => {
      const set = await deployment(t, ['a', 'b'], { maxSessions: 3 }, { store: { onUnavailable: mode } });
      if (set === null) return;
      const { redis } = set;
      const [a, b] = set.nodes as [TestNode, TestNode];
      const live = [await open(a), await open(b)];
      await redis.stop();
      for (const client of live) await turn(client);
      const ready = await fetch(`${a.url}/readyz`);
      const readiness = (await ready.json()) as {
        status: string;
        reason?: string;
        store: string;
        node: string;
      };
      assert.equal(readiness.store, 'unavailable');
      assert.equal(readiness.node, 'a');
      if (mode === 'fail-closed') {
        assert.equal(ready.status, 503);
        assert.equal(readiness.reason, 'store_unavailable');
        const refused = await expectRefused(b.realtimeUrl(), bearer(APP));
        assert.equal(refused.status, 503);
        assert.equal(refused.json.error.code, 'store_unavailable');
      } else {
        assert.equal(ready.status, 200);
        const meanwhile = await open(b);
        await turn(meanwhile);
        meanwhile.socket.close();
        await meanwhile.closed;
      }

      await redis.start();
      // The nodes reconnect by themselves and put their live slots back.
      await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 200, TTL_MS * 3, 'readiness');
      await eventually(
        async () => ((await b.admin('/admin/sessions')).body.data as unknown[]).length === 2,
        TTL_MS * 3,
        'both nodes to list their sessions again',
      );
      for (const client of live) await turn(client);
      await delay(TTL_MS);
      // Two live sessions were put back: one more slot of three is left.
      await open(b);
      assert.equal((await expectRefused(a.realtimeUrl(), bearer(APP))).status, 429);
      const logged = a.process.stdout();
      assert.match(logged, /the store is unreachable/);
      assert.match(logged, /the store is reachable/);
    });
  }
});
