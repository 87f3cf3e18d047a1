/**
 * No open relay by accident: `auth.mode: none` on an address other than loopback is refused at
 * start unless `auth.allowAnonymous: true` says it is meant, and an upstream key spent by
 * anonymous clients is warned about, on stderr and in the log.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashKey } from '../src/auth/credentials.js';
import { isLoopbackHost, resolveConfig } from '../src/config/resolve.js';
import { freePort, runCli, startCli } from './support/cli.js';
import { connect, eventually } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

const noFiles = { env: {}, readFile: (): string => assert.fail('no file read expected') };

describe('an open relay', () => {
  test('loopback addresses are told from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'gateway.example.com', '::ffff:10.0.0.1'])
      assert.equal(isLoopbackHost(host), false, host);
  });

  test('the configuration refuses auth.mode none on a public address, naming auth.allowAnonymous', () => {
    const refused = resolveConfig({ server: { host: '0.0.0.0' } }, noFiles);
    assert.ok(!refused.ok);
    assert.equal(refused.errors[0]!.field, 'auth.allowAnonymous');
    assert.match(refused.errors[0]!.message, /'0\.0\.0\.0'.*auth\.allowAnonymous: true/);
    const keyed = resolveConfig(
      { server: { host: '0.0.0.0' }, auth: { keys: [{ id: 'app', hash: `sha256:${hashKey('k')}` }] } },
      noFiles,
    );
    assert.ok(keyed.ok);
    const passthrough = resolveConfig(
      { server: { host: '0.0.0.0' }, auth: { mode: 'passthrough' } },
      noFiles,
    );
    assert.ok(passthrough.ok);
    const bad = resolveConfig({ auth: { allowAnonymous: 'yes' } }, noFiles);
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0]!.field, 'auth.allowAnonymous');
  });

  test('realtime-gateway --host 0.0.0.0 without keys does not start; with --workers neither', async () => {
    const port = await freePort();
    for (const args of [
      ['--host', '0.0.0.0'],
      ['--host', '0.0.0.0', '--workers', '2'],
    ]) {
      const result = await runCli({ server: { port } }, args);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /config error at auth\.allowAnonymous: .*not a loopback address/);
      assert.doesNotMatch(result.stderr, /listening on|starting 2 workers/);
    }
  });

  test('with auth.allowAnonymous: true it starts on 0.0.0.0 and serves anyone', async () => {
    const port = await freePort();
    const running = await startCli({ server: { port }, auth: { allowAnonymous: true } }, [
      '--host',
      '0.0.0.0',
    ]);
    try {
      assert.match(running.stderr(), new RegExp(`listening on http://0\\.0\\.0\\.0:${port}`));
      // Not on loopback, so no development TLS listener by default.
      assert.doesNotMatch(running.stderr(), /NODE_EXTRA_CA_CERTS/);
      const client = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=engine-model`);
      await client.waitFor('session.created');
      client.socket.close();
    } finally {
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    }
  });

  test('an upstream key used without gateway keys is warned about; with gateway keys it is not', async () => {
    const upstream = await startTestUpstream();
    const upstreams = [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }];
    try {
      const port = await freePort();
      const open = await startCli({ server: { port }, upstreams });
      try {
        assert.ok(
          open
            .stderr()
            .includes(
              `realtime-gateway: WARNING: auth.mode is 'none' and upstream 'test' uses the key in TEST_UPSTREAM_KEY: anyone who reaches http://127.0.0.1:${port} spends it.`,
            ),
          open.stderr(),
        );
        // The log line is on the other pipe, which may be read a little later.
        await eventually(
          () => open.stdout().includes('without gateway keys'),
          5000,
          'the warning in the log',
        );
        const warning = open
          .stdout()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { level: number; msg: string; upstreams?: string[] })
          .find((line) => line.msg.startsWith('upstream keys in use without gateway keys'));
        assert.ok(warning, open.stdout());
        assert.equal(warning.level, 40);
        assert.deepEqual(warning.upstreams, ['test']);
      } finally {
        open.child.kill('SIGTERM');
        await open.exited;
      }
      const keyed = await startCli({
        server: { port: await freePort() },
        upstreams,
        auth: { keys: [{ id: 'app', hash: `sha256:${hashKey('rg-app')}` }] },
      });
      try {
        assert.doesNotMatch(keyed.output(), /WARNING|without gateway keys/);
      } finally {
        keyed.child.kill('SIGTERM');
        await keyed.exited;
      }
    } finally {
      await upstream.close();
    }
  });
});
