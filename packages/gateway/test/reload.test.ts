/**
 * `gateway.reload(config)`: new sessions and requests get the new configuration whole, live
 * sessions keep theirs, and a configuration that needs a restart changes nothing.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { selfSignedCertificate } from '../examples/tls-certificate.js';
import { configChanges, restartOnlyChanges } from '../src/config/changes.js';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { createGateway } from '../src/gateway.js';
import { McpPool } from '../src/mcp/pool.js';
import {
  connect,
  eventually,
  expectRefused,
  keyEntry,
  type Rig,
  startRig,
  type TestClient,
  testConfig,
} from './support/harness.js';
import { stdioServerSpec } from './support/mcp-http-server.js';
import { startTestUpstream, type TestUpstream } from './support/test-upstream.js';

const MODEL = 'gpt-realtime';
const ENV = { TEST_UPSTREAM_KEY: 'sk-upstream-secret' };
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

/** A turn on a live session: the client's event reaches the upstream and its answer comes back. */
async function stillRelays(client: TestClient): Promise<void> {
  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Still here.' } });
  await client.waitFor('session.updated');
}

describe('gateway.reload', () => {
  let rig: Rig;
  let second: TestUpstream;
  const configFor = (input: GatewayConfigInput) =>
    testConfig(
      {
        upstreams: [{ name: 'test', baseUrl: `${rig.upstream.httpUrl}/v1`, apiKeyEnv: 'TEST_UPSTREAM_KEY' }],
        ...input,
      },
      ENV,
    );

  before(async () => {
    rig = await startRig({ auth: { keys: [keyEntry('old-app', 'sk-old')] } });
    second = await startTestUpstream();
  });
  after(async () => {
    await rig.close();
    await second.close();
  });

  test('a key added works at once; a key removed is refused for new sessions, its live session goes on', async () => {
    const live = await connect(`${rig.url}?model=${MODEL}`, bearer('sk-old'));
    await live.waitFor('session.created');
    assert.equal((await expectRefused(`${rig.url}?model=${MODEL}`, bearer('sk-new'))).status, 401);

    const result = rig.gateway.reload(configFor({ auth: { keys: [keyEntry('new-app', 'sk-new')] } }));
    assert.deepEqual(result, { ok: true, changed: ['auth.keys: +new-app -old-app'] });

    const fresh = await connect(`${rig.url}?model=${MODEL}`, bearer('sk-new'));
    await fresh.waitFor('session.created');
    const refused = await expectRefused(`${rig.url}?model=${MODEL}`, bearer('sk-old'));
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error.code, 'invalid_api_key');
    await stillRelays(live);
    assert.deepEqual(
      rig.gateway.registry
        .list()
        .map((s) => s.keyId)
        .sort(),
      ['new-app', 'old-app'],
    );
    for (const client of [live, fresh]) {
      client.socket.close();
      await client.closed;
    }
  });

  test('limits: a live session keeps the frame limit it was admitted with, new sessions get the new one', async () => {
    rig.gateway.reload(configFor({}));
    const live = await connect(`${rig.url}?model=${MODEL}`);
    await live.waitFor('session.created');
    rig.gateway.reload(configFor({ limits: { maxFrameBytes: 1024 } }));
    const fresh = await connect(`${rig.url}?model=${MODEL}`);
    await fresh.waitFor('session.created');
    const big = { type: 'session.update', session: { type: 'realtime', instructions: 'x'.repeat(1500) } };
    live.send(big);
    await live.waitFor('session.updated');
    fresh.send(big);
    const error = (await fresh.waitFor('error')).error as { message: string };
    assert.match(error.message, /at most 1024 bytes/);
    for (const client of [live, fresh]) {
      client.socket.close();
      await client.closed;
    }
  });

  test('upstreams: new sessions follow the new routes, a remaining upstream keeps its count, a dropped one its sessions', async () => {
    await eventually(() => rig.gateway.registry.size === 0, 5000, 'the earlier sessions to end');
    rig.gateway.reload(configFor({}));
    const onFirst = await connect(`${rig.url}?model=${MODEL}`);
    await onFirst.waitFor('session.created');
    const result = rig.gateway.reload(
      testConfig(
        {
          upstreams: [
            {
              name: 'test',
              baseUrl: `${rig.upstream.httpUrl}/v1`,
              apiKeyEnv: 'TEST_UPSTREAM_KEY',
              models: ['other'],
            },
            { name: 'second', baseUrl: `${second.httpUrl}/v1`, models: [MODEL] },
          ],
        },
        ENV,
      ),
    );
    assert.deepEqual(result, { ok: true, changed: ['upstreams: ~test +second'] });
    const status = rig.gateway.router.status();
    assert.deepEqual(
      status.map((s) => [s.name, s.active]),
      [
        ['test', 1],
        ['second', 0],
      ],
    );
    const onSecond = await connect(`${rig.url}?model=${MODEL}`);
    await onSecond.waitFor('session.created');
    assert.equal((await second.nextConnection()).request.url?.includes(MODEL), true);

    // Dropped altogether: its live session still relays, and it comes back with its count.
    rig.gateway.reload(testConfig({ upstreams: [{ name: 'second', baseUrl: `${second.httpUrl}/v1` }] }, ENV));
    await stillRelays(onFirst);
    rig.gateway.reload(configFor({}));
    assert.equal(rig.gateway.router.status().find((s) => s.name === 'test')?.active, 1);
    for (const client of [onFirst, onSecond]) {
      client.socket.close();
      await client.closed;
    }
  });

  test('origins and aliases reload too', async () => {
    rig.gateway.reload(
      configFor({ server: { allowedOrigins: ['https://app.example.com'] }, aliases: { fast: MODEL } }),
    );
    const foreign = await expectRefused(`${rig.url}?model=fast`, {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(foreign.json.error.code, 'origin_not_allowed');
    const allowed = await connect(`${rig.url}?model=fast`, {
      headers: { origin: 'https://app.example.com' },
    });
    await allowed.waitFor('session.created');
    allowed.socket.close();
    await allowed.closed;
  });

  test('a restart-only change is refused whole, naming the field, and nothing else changes', async () => {
    rig.gateway.reload(configFor({ auth: { keys: [keyEntry('kept', 'sk-kept')] } }));
    const result = rig.gateway.reload(
      configFor({ server: { port: 1 }, auth: { keys: [keyEntry('other', 'sk-other')] } }),
    );
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors.map((e) => e.field), ['server.port']);
    assert.match(!result.ok ? result.errors[0]!.message : '', /needs a restart/);
    assert.equal((await expectRefused(`${rig.url}?model=${MODEL}`, bearer('sk-other'))).status, 401);
    const kept = await connect(`${rig.url}?model=${MODEL}`, bearer('sk-kept'));
    await kept.waitFor('session.created');
    kept.socket.close();
    await kept.closed;
    assert.deepEqual(
      rig.gateway.config.auth.keys.map((k) => k.id),
      ['kept'],
    );
  });

  test('the same configuration again changes nothing', () => {
    const config = configFor({});
    rig.gateway.reload(config);
    const router = rig.gateway.router;
    assert.deepEqual(rig.gateway.reload(configFor({})), { ok: true, changed: [] });
    assert.equal(rig.gateway.router, router);
  });
});

/** The fingerprint of the certificate a TLS server presents to a new connection. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('gateway.reload with TLS', () => {
  test('a renewed certificate in the same files serves new connections; turning TLS off needs a restart', async () => {
    const first = await selfSignedCertificate();
    const renewed = await selfSignedCertificate();
    const server = { tls: { certFile: first.certFile, keyFile: first.keyFile } };
    const gateway = createGateway({ config: testConfig({ server }) });
    const { port } = await gateway.listen();
    try {
      const before = await presented(port);
      copyFileSync(renewed.certFile, first.certFile);
      copyFileSync(renewed.keyFile, first.keyFile);
      const result = gateway.reload(testConfig({ server }));
      assert.deepEqual(result, { ok: true, changed: ['server.tls.cert', 'server.tls.key'] });
      const after = await presented(port);
      assert.notEqual(after, before);
      // A key that is no key: refused whole, the renewed certificate still served.
      const broken = await selfSignedCertificate();
      writeFileSync(broken.keyFile, 'not a key');
      const bad = gateway.reload(
        testConfig({ server: { tls: { certFile: broken.certFile, keyFile: broken.keyFile } } }),
      );
      assert.deepEqual(!bad.ok && bad.errors.map((e) => e.field), ['server.tls']);
      assert.equal(await presented(port), after);
      assert.equal(gateway.config.server.tls?.certFile, first.certFile);
      const off = gateway.reload(testConfig({}));
      assert.deepEqual(!off.ok && off.errors.map((e) => e.field), ['server.tls']);
      assert.equal(await presented(port), after);
    } finally {
      await gateway.close();
    }
  });
});

describe('configChanges', () => {
  test('names fields and entries, never values', () => {
    const before = testConfig({ auth: { keys: [keyEntry('a', 'sk-a'), keyEntry('b', 'sk-b')] } });
    const after = testConfig({
      auth: { keys: [keyEntry('a', 'sk-a2'), keyEntry('c', 'sk-c')] },
      limits: { idleTimeoutMs: 1000 },
    });
    const changes = configChanges(before, after);
    assert.deepEqual(changes, ['auth.keys: ~a +c -b', 'limits.idleTimeoutMs']);
  });
});

describe('restartOnlyChanges', () => {
  const running = testConfig({});
  const cases: readonly [string, GatewayConfigInput][] = [
    ['server.host', { server: { host: '127.0.0.2' } }],
    ['server.port', { server: { port: 9999 } }],
    ['server.devTls', { server: { devTls: { port: 9443 } } }],
    ['dataDir', { dataDir: '/tmp/elsewhere' }],
    ['store', { store: { leaseTtlMs: 1234 } }],
    ['node', { node: { id: 'elsewhere' } }],
    ['metrics.enabled', { metrics: { enabled: false } }],
    ['metrics.listen', { metrics: { listen: { port: 9100 } } }],
    ['admin.listen', { admin: { keyHash: `sha256:${'0'.repeat(64)}`, listen: { port: 9101 } } }],
    ['log.format', { log: { format: 'pretty' } }],
    ['telemetry', { telemetry: { otlp: { endpoint: 'http://127.0.0.1:4318' } } }],
  ];
  for (const [field, input] of cases)
    test(`${field} needs a restart`, () => {
      assert.deepEqual(
        restartOnlyChanges(running, testConfig(input)).map((e) => e.field),
        [field],
      );
    });

  test('limits, keys and upstreams do not', () => {
    const next = testConfig({ limits: { idleTimeoutMs: 1000 }, auth: { keys: [keyEntry('a', 'sk-a')] } });
    assert.deepEqual(restartOnlyChanges(running, next), []);
  });
});

describe('MCP operator servers across reloads', () => {
  test('an unchanged server keeps its connection; a changed one closes once its last session is done', () => {
    const pool = new McpPool();
    const crm = {
      label: 'crm',
      transport: stdioServerSpec('crm'),
      allowedTools: null,
      callTimeoutMs: 5000,
      connectTimeoutMs: 10_000,
    };
    const first = pool.useOperatorServers([crm]).get('crm')!;
    assert.equal(pool.useOperatorServers([crm]).get('crm'), first);
    const lease = pool.leaseOperator(first)!;
    const changed = pool.useOperatorServers([{ ...crm, callTimeoutMs: crm.callTimeoutMs + 1 }]).get('crm')!;
    assert.notEqual(changed, first);
    assert.notEqual(first.state, 'closed', 'a live session still uses it');
    lease.release();
    assert.equal(first.state, 'closed');
    pool.useOperatorServers([]);
    assert.equal(changed.state, 'closed', 'a dropped server no session uses closes at once');
    assert.equal(pool.leaseOperator(changed), null);
  });
});
