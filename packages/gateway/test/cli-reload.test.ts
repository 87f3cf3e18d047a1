/**
 * The `realtime-gateway` process reloads its configuration without a restart: when the file
 * changes (written in place or replaced by a rename) and on SIGHUP (forwarded to the workers of
 * `--workers`); a bad file is refused with its field errors and the running configuration kept.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliConfig, freePort, type Running, startCli } from './support/cli.js';
import { connect, eventually, expectRefused, keyEntry, type TestClient } from './support/harness.js';
import { startTestUpstream, type TestUpstream } from './support/test-upstream.js';

const MODEL = 'gpt-realtime';
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

/** Replaces the file as editors do: a new file renamed over the old one. */
/** Writes `config` over the running gateway's file, as startCli wrote it (same data dir, dev TLS port). */
function rewrite(file: string, config: object): void {
  writeFileSync(file, JSON.stringify(cliConfig(file, config as Record<string, unknown>)));
}

function replaceFile(file: string, config: object): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(cliConfig(file, config as Record<string, unknown>)));
  renameSync(`${file}.tmp`, file);
}

/** Waits until the process has written `pattern` `times` times. */
async function said(running: Running, pattern: RegExp, times = 1): Promise<void> {
  const global = new RegExp(pattern.source, 'g');
  await eventually(
    () => (running.output().match(global) ?? []).length >= times,
    20_000,
    `${pattern} in the output:\n${running.output()}`,
  );
}

async function opens(url: string, key: string): Promise<TestClient> {
  const client = await connect(url, bearer(key));
  await client.waitFor('session.created');
  return client;
}

describe('realtime-gateway reloads its configuration', () => {
  let upstream: TestUpstream;
  const configWith = (port: number, keys: object[], extra: object = {}) => ({
    server: { port },
    upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
    auth: { keys },
    log: { level: 'warn' },
    shutdown: { drainMs: 0 },
    ...extra,
  });
  before(async () => {
    upstream = await startTestUpstream();
  });
  after(() => upstream.close());

  test('a file change: a new key works at once; a removed key is refused for new sessions while its live session goes on', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/v1/realtime?model=${MODEL}`;
    const running = await startCli(configWith(port, [keyEntry('old-app', 'sk-old')]));
    try {
      const live = await opens(url, 'sk-old');
      replaceFile(running.file, configWith(port, [keyEntry('new-app', 'sk-new')]));
      await said(running, /configuration reloaded \(file change\): auth\.keys: \+new-app -old-app/);
      const fresh = await opens(url, 'sk-new');
      const refused = await expectRefused(url, bearer('sk-old'));
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.code, 'invalid_api_key');
      live.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Still here.' } });
      await live.waitFor('session.updated');
      assert.doesNotMatch(running.output(), /sha256|sk-new/, 'no key or hash is written');

      // Written in place this time, with a field that does not pass: refused, the keys kept.
      rewrite(running.file, {
        ...configWith(port, [keyEntry('other', 'sk-other')]),
        limits: { maxSessions: 'many' },
      });
      await said(running, /configuration not reloaded \(file change\): the running configuration is kept/);
      assert.match(
        running.output(),
        /config error at limits\.maxSessions: Invalid type for 'limits\.maxSessions': expected an integer/,
      );
      (await opens(url, 'sk-new')).socket.close();
      assert.equal((await expectRefused(url, bearer('sk-other'))).status, 401);
      for (const client of [live, fresh]) client.socket.close();
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  test('SIGHUP: reads a file no watcher sees (behind a link); a bad one is refused with its field error', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/v1/realtime?model=${MODEL}`;
    const running = await startCli(configWith(port, [keyEntry('old-app', 'sk-old')]), [], 1, { link: true });
    try {
      rewrite(
        running.file,
        configWith(port, [keyEntry('old-app', 'sk-old'), keyEntry('new-app', 'sk-new')], {
          upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, weight: 'heavy' }],
        }),
      );
      running.child.kill('SIGHUP');
      await said(running, /configuration not reloaded \(SIGHUP\)/);
      assert.match(
        running.output(),
        /config error at upstreams\[0\]\.weight: Invalid type for 'upstreams\[0\]\.weight'/,
      );
      (await opens(url, 'sk-old')).socket.close();
      assert.equal((await expectRefused(url, bearer('sk-new'))).status, 401);

      // A restart-only field is refused too, naming it.
      rewrite(running.file, configWith(port + 1, [keyEntry('new-app', 'sk-new')]));
      running.child.kill('SIGHUP');
      await said(running, /configuration not reloaded \(SIGHUP\)/, 2);
      assert.match(running.output(), /config error at server\.port: Changing it needs a restart/);
      assert.equal((await expectRefused(url, bearer('sk-new'))).status, 401);

      rewrite(running.file, configWith(port, [keyEntry('new-app', 'sk-new')]));
      running.child.kill('SIGHUP');
      await said(running, /configuration reloaded \(SIGHUP\): auth\.keys: \+new-app -old-app/);
      (await opens(url, 'sk-new')).socket.close();
      assert.equal((await expectRefused(url, bearer('sk-old'))).status, 401);
      assert.equal(running.child.exitCode, null);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  test('--workers 2: the primary passes SIGHUP to every worker, and every worker takes the new keys', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/v1/realtime?model=${MODEL}`;
    const running = await startCli(configWith(port, [keyEntry('old-app', 'sk-old')]), ['--workers', '2'], 2, {
      link: true,
    });
    const clients: TestClient[] = [];
    try {
      rewrite(running.file, configWith(port, [keyEntry('new-app', 'sk-new')]));
      running.child.kill('SIGHUP');
      await said(running, /configuration reloaded \(SIGHUP\): auth\.keys: \+new-app -old-app/, 2);
      // Connections are spread over the workers: none of them may still know only the old key.
      for (let k = 0; k < 6; k++) clients.push(await opens(url, 'sk-new'));
      for (let k = 0; k < 4; k++) assert.equal((await expectRefused(url, bearer('sk-old'))).status, 401);
      assert.equal(running.child.exitCode, null);
    } finally {
      for (const client of clients) client.socket.close();
      running.child.kill('SIGKILL');
    }
  });
});
