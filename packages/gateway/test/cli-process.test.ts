/**
 * The `realtime-gateway` command as a process: graceful shutdown on SIGTERM, and `--workers`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashKey } from '../src/auth/credentials.js';
import { connect, delay, type TestClient } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Starts the CLI with a config file and waits until it says it listens (`workers` times). */
async function startCli(config: object, args: string[] = [], listening = 1): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-cli-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', CLI, '--config', file, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TEST_UPSTREAM_KEY: 'sk-upstream' },
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Up to 30 s: a slow machine compiles the sources on the fly in every worker.
  for (let k = 0; k < 600; k++) {
    if ((output.match(/listening on/g) ?? []).length >= listening)
      return { child, exited, output: () => output };
    if (child.exitCode !== null) break;
    await delay(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the gateway did not start:\n${output}`);
}

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

  test('--workers 2: one port, sessions on both workers, /metrics covers all of them', async () => {
    const upstream = await startTestUpstream();
    const port = await freePort();
    const running = await startCli(
      {
        server: { port },
        upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
        admin: { keyHash: `sha256:${hashKey('rg-admin')}` },
        log: { level: 'warn' },
        shutdown: { drainMs: 0 },
      },
      ['--workers', '2'],
      2,
    );
    const clients: TestClient[] = [];
    try {
      for (let k = 0; k < 6; k++) {
        const client = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
        await client.waitFor('session.created');
        clients.push(client);
      }
      let total = 0;
      for (let k = 0; k < 4; k++) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('realtime_gateway_active_sessions{'));
        total = Number(line?.split(' ').at(-1));
        assert.equal(total, 6, 'every worker reports its sessions, whichever worker answers');
      }
      assert.equal(total, 6);
      // The admin API, whichever worker answers, lists and terminates every worker's sessions.
      const admin = { authorization: 'Bearer rg-admin' };
      for (let k = 0; k < 3; k++) {
        const list = (await (
          await fetch(`http://127.0.0.1:${port}/admin/sessions`, { headers: admin })
        ).json()) as {
          data: { id: string }[];
        };
        assert.equal(list.data.length, 6);
      }
      const list = (await (
        await fetch(`http://127.0.0.1:${port}/admin/sessions`, { headers: admin })
      ).json()) as {
        data: { id: string }[];
      };
      for (const session of list.data.slice(0, 2)) {
        const ended = await fetch(`http://127.0.0.1:${port}/admin/sessions/${session.id}?reason=rebalance`, {
          method: 'DELETE',
          headers: admin,
        });
        assert.equal(ended.status, 200);
      }
      const closed = await Promise.all(
        clients.map((c) => Promise.race([c.closed, delay(1000).then(() => null)])),
      );
      assert.equal(closed.filter((c) => c?.code === 1008 && c.reason === 'rebalance').length, 2);
      assert.match(running.output(), /starting 2 workers/);
    } finally {
      for (const client of clients) client.socket.close();
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
      await upstream.close();
    }
  });
});
