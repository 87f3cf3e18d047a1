/**
 * The `realtime-gateway` command as a process: graceful shutdown on SIGTERM, and `--workers`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hashKey } from '../src/auth/credentials.js';
import { ALLOCATOR_ENV, allocatorEnv } from '../src/cluster/allocator-env.js';
import { freePort, startCli } from './support/cli.js';
import { connect, delay, eventually, expectRefused, keyEntry, type TestClient } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';
import { TestCaller } from './support/webrtc-client.js';

describe('the realtime-gateway process', () => {
  test('with its embedded engine, survives a frame that once took it down; other sessions go on', async () => {
    const port = await freePort();
    // No upstreams: the embedded engine serves every model not sent to OpenAI (none is gpt-*).
    const running = await startCli({ server: { port }, log: { level: 'warn' } });
    const url = `ws://127.0.0.1:${port}/v1/realtime?model=engine-model`;
    try {
      const hostile = await connect(url);
      const bystander = await connect(url);
      await hostile.waitFor('session.created');
      await bystander.waitFor('session.created');
      hostile.send({ type: 'session.update', session: { type: 'realtime', audio: null } });
      const error = (await hostile.waitFor('error')).error as Record<string, unknown>;
      assert.equal(error.code, 'invalid_type');
      for (const client of [hostile, bystander]) {
        client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Still here.' } });
        await client.waitFor('session.updated');
      }
      assert.equal(running.child.exitCode, null);
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  test('log.format pretty: lines a person reads, not JSON', async () => {
    const port = await freePort();
    const running = await startCli({ server: { port }, log: { level: 'info', format: 'pretty' } });
    try {
      await eventually(() => /INFO.*listening/.test(running.output()), 5000, 'the listening line');
      const line = running
        .output()
        .split('\n')
        .find((l) => /INFO.*listening/.test(l))!;
      assert.ok(!line.trimStart().startsWith('{'), line);
      assert.match(running.output(), /url: "http:\/\/127\.0\.0\.1:\d+"/);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });

  test('variables an orchestrator sets for a service of the same name (REALTIME_GATEWAY_PORT) are left alone, with a warning', async () => {
    const port = await freePort();
    const running = await startCli({ server: { port }, log: { level: 'warn' } }, [], 1, {
      env: {
        REALTIME_GATEWAY_PORT: 'tcp://10.96.0.7:8080',
        REALTIME_GATEWAY_SERVICE_HOST: '10.96.0.7',
        REALTIME_GATEWAY_LIMITS__IDLE_TIMEOUT_MS: '60000',
      },
    });
    try {
      const client = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
      await client.waitFor('session.created');
      client.socket.close();
      const warning = running
        .output()
        .split('\n')
        .find((l) => l.includes('name no configuration section'));
      assert.ok(warning, running.output());
      assert.deepEqual(JSON.parse(warning).variables.sort(), [
        'REALTIME_GATEWAY_PORT',
        'REALTIME_GATEWAY_SERVICE_HOST',
      ]);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });

  test('SIGTERM: stops accepting, drains, sends an error event and close 1001 to live sessions, exits 0', async () => {
    const upstream = await startTestUpstream();
    const port = await freePort();
    const running = await startCli({
      server: { port },
      upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
      shutdown: { drainMs: 300 },
      log: { level: 'warn' },
    });
    try {
      const client: TestClient = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
      await client.waitFor('session.created');
      running.child.kill('SIGTERM');
      const error = await client.waitFor('error');
      assert.match(JSON.stringify(error), /shut/i);
      assert.equal((await client.closed).code, 1001);
      assert.equal(await running.exited, 0);
    } finally {
      running.child.kill('SIGKILL');
      await upstream.close();
    }
  });

  test('the allocator settings a worker gets are those the operator did not set', () => {
    assert.deepEqual(allocatorEnv({}), ALLOCATOR_ENV);
    assert.deepEqual(allocatorEnv({ MALLOC_TRIM_THRESHOLD_: '131072' }), {
      MALLOC_TOP_PAD_: ALLOCATOR_ENV.MALLOC_TOP_PAD_,
    });
  });

  test('--workers 2: one port, sessions on both workers, /metrics and the admin API on listeners of their own cover all of them', async () => {
    const upstream = await startTestUpstream();
    const port = await freePort();
    const adminPort = await freePort();
    const metricsPort = await freePort();
    const running = await startCli(
      {
        server: { port },
        upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
        admin: { keyHash: `sha256:${hashKey('rg-admin')}`, listen: { port: adminPort } },
        metrics: { keyHash: `sha256:${hashKey('rg-metrics')}`, listen: { port: metricsPort } },
        log: { level: 'warn' },
        shutdown: { drainMs: 0 },
      },
      ['--workers', '2'],
      2,
      // Started without the allocator settings, which the primary then gives its workers.
      { env: Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((name) => [name, undefined])) },
    );
    const clients: TestClient[] = [];
    try {
      for (let k = 0; k < 6; k++) {
        const client = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
        await client.waitFor('session.created');
        clients.push(client);
      }
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/admin/sessions`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 401);
      let total = 0;
      for (let k = 0; k < 4; k++) {
        const text = await (
          await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
            headers: { authorization: 'Bearer rg-metrics' },
          })
        ).text();
        const line = text.split('\n').find((l) => l.startsWith('realtime_gateway_active_sessions{'));
        total = Number(line?.split(' ').at(-1));
        assert.equal(total, 6, 'every worker reports its sessions, whichever worker answers');
      }
      assert.equal(total, 6);
      // The admin API, whichever worker answers, lists and terminates every worker's sessions.
      const admin = { authorization: 'Bearer rg-admin' };
      for (let k = 0; k < 3; k++) {
        const list = (await (
          await fetch(`http://127.0.0.1:${adminPort}/admin/sessions`, { headers: admin })
        ).json()) as {
          data: { id: string }[];
        };
        assert.equal(list.data.length, 6);
      }
      const list = (await (
        await fetch(`http://127.0.0.1:${adminPort}/admin/sessions`, { headers: admin })
      ).json()) as {
        data: { id: string }[];
      };
      for (const session of list.data.slice(0, 2)) {
        const ended = await fetch(
          `http://127.0.0.1:${adminPort}/admin/sessions/${session.id}?reason=rebalance`,
          {
            method: 'DELETE',
            headers: admin,
          },
        );
        assert.equal(ended.status, 200);
      }
      const closed = await Promise.all(
        clients.map((c) => Promise.race([c.closed, delay(1000).then(() => null)])),
      );
      assert.equal(closed.filter((c) => c?.code === 1008 && c.reason === 'rebalance').length, 2);
      assert.match(running.output(), /starting 2 workers/);
      // Each worker runs with the allocator settings.
      const workers = execFileSync('ps', ['-o', 'pid=', '--ppid', String(running.child.pid)])
        .toString()
        .trim()
        .split(/\s+/);
      assert.equal(workers.length, 2);
      for (const pid of workers) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
        for (const [name, value] of Object.entries(ALLOCATOR_ENV))
          assert.ok(environ.includes(`${name}=${value}`));
      }
    } finally {
      for (const client of clients) client.socket.close();
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
      await upstream.close();
    }
  });

  test('--workers 2: per-key sessions, rates, upstream capacity and limits.maxSessions hold for the whole gateway', async () => {
    const upstream = await startTestUpstream();
    const port = await freePort();
    const key = (id: string, extra: object = {}) => ({ id, hash: `sha256:${hashKey(`sk-${id}`)}`, ...extra });
    const running = await startCli(
      {
        server: { port },
        upstreams: [
          { name: 'small', baseUrl: `${upstream.httpUrl}/v1`, models: ['small-*'], maxSessions: 1 },
          { name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' },
        ],
        auth: {
          keys: [key('team', { maxSessions: 2 }), key('burst', { sessionsPerMinute: 3 }), key('wide')],
        },
        admin: { keyHash: `sha256:${hashKey('rg-admin')}` },
        limits: { maxSessions: 5 },
        log: { level: 'warn' },
        shutdown: { drainMs: 0 },
      },
      ['--workers', '2'],
      2,
    );
    const url = (model = 'gpt-realtime') => `ws://127.0.0.1:${port}/v1/realtime?model=${model}`;
    const as = (id: string) => ({ headers: { authorization: `Bearer sk-${id}` } });
    const open: TestClient[] = [];
    const session = async (id: string, model?: string): Promise<TestClient> => {
      const client = await connect(url(model), as(id));
      await client.waitFor('session.created');
      open.push(client);
      return client;
    };
    // Connections alternate between the workers, so two refusals in a row cover both.
    const refusedTwice = async (id: string, model?: string) => {
      const codes: string[] = [];
      for (let k = 0; k < 2; k++) codes.push((await expectRefused(url(model), as(id))).json.error.code);
      return codes;
    };
    const live = async () =>
      (
        (await (
          await fetch(`http://127.0.0.1:${port}/admin/sessions`, {
            headers: { authorization: 'Bearer rg-admin' },
          })
        ).json()) as { data: unknown[] }
      ).data.length;
    try {
      for (let k = 0; k < 3; k++) (await session('burst')).socket.close();
      assert.deepEqual(await refusedTwice('burst'), ['rate_limit_exceeded', 'rate_limit_exceeded']);
      await eventually(async () => (await live()) === 0, 5000, 'the burst sessions ended');

      await session('team');
      await session('team');
      assert.deepEqual(await refusedTwice('team'), ['too_many_sessions', 'too_many_sessions']);

      await session('wide', 'small-model');
      assert.deepEqual(await refusedTwice('wide', 'small-model'), [
        'no_healthy_upstream',
        'no_healthy_upstream',
      ]);

      await session('wide');
      await session('wide');
      assert.equal(await live(), 5);
      assert.deepEqual(await refusedTwice('wide'), ['gateway_at_capacity', 'gateway_at_capacity']);

      // Workers that die without a word free their slots: the primary drops what they held.
      const workers = execFileSync('ps', ['-o', 'pid=', '--ppid', String(running.child.pid)])
        .toString()
        .trim()
        .split(/\s+/)
        .map(Number);
      assert.equal(workers.length, 2);
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      await eventually(
        () => (running.output().match(/listening on/g) ?? []).length >= 4,
        30_000,
        'new workers',
      );
      assert.equal(await live(), 0);
      await session('team');
      await session('team');
      assert.deepEqual(await refusedTwice('team'), ['too_many_sessions', 'too_many_sessions']);
    } finally {
      for (const client of open) client.socket.close();
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
      await upstream.close();
    }
  });

  test("--workers 2: a key's budget counts the spend of every worker's sessions", async () => {
    const upstream = await startTestUpstream(); // 30 tokens a response
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rg-cli-budget-'));
    const budget = { tokens: 75, period: 'day', warnAt: 0.95 };
    const running = await startCli(
      {
        server: { port },
        upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
        auth: { keys: [{ id: 'capped', hash: `sha256:${hashKey('sk-capped')}`, budget }] },
        ledger: { sqlite: { path: join(dir, 'ledger.sqlite') }, flushIntervalMs: 20 },
        log: { level: 'warn' },
        shutdown: { drainMs: 0 },
      },
      ['--workers', '2'],
      2,
    );
    const url = `ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`;
    const as = { headers: { authorization: 'Bearer sk-capped' } };
    const turn = async (client: TestClient) => {
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
    };
    try {
      // Connections alternate between the workers: neither worker alone sees 75 tokens spent.
      for (let k = 0; k < 2; k++) {
        const client = await connect(url, as);
        await client.waitFor('session.created');
        await turn(client);
        client.socket.close();
        await client.closed;
      }
      const third = await connect(url, as);
      await third.waitFor('session.created');
      await turn(third);
      const error = (await third.waitFor('error')).error as { code: string };
      assert.equal(error.code, 'insufficient_quota');
      assert.deepEqual(await third.closed, { code: 1008, reason: 'budget spent' });
      for (let k = 0; k < 2; k++) {
        const refused = await expectRefused(url, as);
        assert.equal(refused.status, 429);
        assert.equal(refused.json.error.code, 'insufficient_quota');
      }
    } finally {
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--workers 2: a call's sideband connections and control requests reach it from either worker", async () => {
    const port = await freePort();
    // The embedded engine serves the calls; each worker answers the calls it takes.
    const running = await startCli(
      {
        server: { port },
        auth: { keys: [keyEntry('app', 'sk-app')] },
        webrtc: { iceAddresses: ['127.0.0.1'] },
        log: { level: 'warn' },
        shutdown: { drainMs: 0 },
      },
      ['--workers', '2'],
      2,
    );
    const callers: TestCaller[] = [];
    const sidebands: TestClient[] = [];
    try {
      for (let k = 0; k < 2; k++) {
        const caller = new TestCaller();
        callers.push(caller);
        const offered = await post(
          port,
          '/v1/realtime/calls?model=gpt-realtime',
          await caller.offer(),
          'application/sdp',
        );
        assert.equal(offered.status, 201, offered.body);
        await caller.accept(offered.body);
        await caller.opened();
        const id = /\/calls\/(rtc_[A-Za-z0-9]+)$/.exec(offered.location ?? '')?.[1];
        assert.ok(id);
        // Each request is a new connection, and connections alternate between the workers, so
        // of two in a row one reaches the worker that does not hold the call.
        for (let j = 0; j < 2; j++) {
          const sideband = await connect(`ws://127.0.0.1:${port}/v1/realtime?call_id=${id}`, {
            headers: { authorization: 'Bearer sk-app' },
          });
          sidebands.push(sideband);
          const text = `sideband ${k}.${j}`;
          sideband.send({
            type: 'conversation.item.create',
            item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
          });
          await caller.until(
            () => caller.events.some((e) => JSON.stringify(e).includes(text)),
            5000,
            `${text} to reach the call`,
          );
        }
        for (let j = 0; j < 2; j++) {
          const rejected = await post(port, `/v1/realtime/calls/${id}/reject`, '', 'application/json');
          assert.equal(rejected.status, 409, `reject ${j}: ${rejected.body}`);
        }
        assert.equal(
          (await post(port, `/v1/realtime/calls/${id}/hangup`, '', 'application/json')).status,
          200,
        );
        await caller.until(() => caller.channel.readyState === 'closed', 8000, 'the call to end');
      }
    } finally {
      for (const sideband of sidebands) sideband.socket.close();
      for (const caller of callers) await caller.close().catch(() => {});
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    }
  });
});

/** A POST on a connection of its own (no keep-alive), as the cluster's workers take them in turn. */
function post(
  port: number,
  path: string,
  body: string,
  contentType: string,
): Promise<{ status: number; location: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { authorization: 'Bearer sk-app', 'content-type': contentType, connection: 'close' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, body: text }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}
