/**
 * The package's public surface, imported by name as its users import it: the gateway and its
 * lifecycle, configuration, session middleware, legs, the store, and the errors. The names are
 * listed in full so that an export added by accident fails here instead of quietly becoming API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as gatewayPackage from '@realtime-gateway/gateway';
import {
  createGateway,
  FORWARD,
  MemoryStore,
  type Middleware,
  resolveConfig,
  type Store,
  StoreError,
} from '@realtime-gateway/gateway';
import { connect } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

/** Values the package exports (types leave no trace at run time). */
const VALUE_EXPORTS = [
  'CloseCode',
  'DEFAULT_LIMITS',
  'DROP',
  'FORWARD',
  'GatewayMetrics',
  'MemoryStore',
  'StoreError',
  'WebSocketLeg',
  'applyHeapGrowth',
  'createGateway',
  'createLogger',
  'hashKey',
  'loadConfig',
  'redactConfig',
  'resolveConfig',
  'startEmbeddedEngine',
];

describe('the package root', () => {
  test('exports exactly what applications build with', () => {
    assert.deepEqual(Object.keys(gatewayPackage).sort(), [...VALUE_EXPORTS].sort());
  });

  test('none of the internals: routing, circuits, cluster plumbing, checking, the session class', () => {
    for (const name of [
      'Router',
      'admit',
      'specificity',
      'runPrimary',
      'Session',
      'checkClientFrame',
      'SessionQuota',
    ])
      assert.ok(!(name in gatewayPackage), `${name} is not exported`);
  });

  test('a gateway built from the exports alone: config, middleware and a store passed in', async () => {
    const upstream = await startTestUpstream();
    const resolved = resolveConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1` }],
        limits: { maxSessions: 1 },
      },
      { env: {}, readFile: () => '' },
    );
    assert.ok(resolved.ok);
    const seen: string[] = [];
    const watcher: Middleware = {
      name: 'watcher',
      upstream: new Set(['session.created']),
      onUpstream(frame) {
        seen.push(frame.type ?? '');
        return FORWARD;
      },
    };
    const store: Store = new MemoryStore();
    const gateway = createGateway({ config: resolved.config, middleware: [() => watcher], store });
    const { realtimeUrl } = await gateway.listen();
    try {
      const client = await connect(`${realtimeUrl}?model=gpt-realtime`);
      await client.waitFor('session.created');
      assert.deepEqual(seen, ['session.created']);
      // The store passed in is the one the gateway counts its sessions in.
      assert.deepEqual(await store.count(['sessions']), [1]);
      client.socket.close();
    } finally {
      await gateway.close();
      await upstream.close();
    }
    assert.deepEqual(await store.count(['sessions']), [0], 'a closing gateway gives its slots back');
    await store.close();
    await assert.rejects(store.read('x'), StoreError, 'closed by its owner');
  });
});
