/**
 * The `store` and `node` sections: defaults, the Redis password and TLS files read, the node
 * token required with a shared store, and none of their secrets in the printed configuration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactConfig } from '../src/config/redact.js';
import { resolveConfig } from '../src/config/resolve.js';
import { DEFAULT_STORE } from '../src/store/config.js';

const TOKEN = 't'.repeat(40);
const files: Record<string, string> = { '/ca.pem': 'CA PEM', '/c.pem': 'CERT PEM', '/k.pem': 'KEY PEM' };
const environment = (env: Record<string, string> = {}) => ({
  env,
  readFile: (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error('no such file');
    return text;
  },
});

describe('store configuration', () => {
  it('defaults to memory, fail-closed, a 15 s lease, and a node named after the host', () => {
    const result = resolveConfig({}, environment());
    assert.ok(result.ok);
    assert.deepEqual(result.config.store, {
      leaseTtlMs: 15_000,
      timeoutMs: 2000,
      onUnavailable: 'fail-closed',
      redis: null,
    });
    assert.match(result.config.node.id, /^[A-Za-z0-9_.-]+$/);
    assert.deepEqual(result.config.node.internal, { host: '127.0.0.1', port: 0, advertiseHost: null });
    assert.equal(result.config.node.token, null);
  });

  it('reads the Redis password, the TLS files and the node token from where they are named', () => {
    const result = resolveConfig(
      {
        store: {
          onUnavailable: 'fail-open',
          redis: {
            url: 'rediss://redis.internal:6380/2',
            passwordEnv: 'REDIS_PASSWORD',
            username: 'gateway',
            tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
          },
        },
        node: {
          id: 'gw-a',
          tokenEnv: 'NODE_TOKEN',
          internal: { host: '0.0.0.0', advertiseHost: '10.0.0.5' },
        },
      },
      environment({ REDIS_PASSWORD: 'hunter2', NODE_TOKEN: TOKEN }),
    );
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.deepEqual(result.config.store.redis, {
      url: 'rediss://redis.internal:6380/2',
      username: 'gateway',
      password: 'hunter2',
      passwordEnv: 'REDIS_PASSWORD',
      keyPrefix: DEFAULT_STORE.keyPrefix,
      tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', rejectUnauthorized: true },
    });
    assert.equal(result.config.store.onUnavailable, 'fail-open');
    assert.equal(result.config.node.token, TOKEN);
    assert.deepEqual(result.config.node.internal, { host: '0.0.0.0', port: 0, advertiseHost: '10.0.0.5' });

    const printed = JSON.stringify(redactConfig(result.config));
    for (const secret of ['hunter2', TOKEN, 'KEY PEM']) assert.ok(!printed.includes(secret), secret);
    assert.match(printed, /redacted, from REDIS_PASSWORD/);
    assert.match(printed, /redacted, from NODE_TOKEN/);
  });

  it('refuses what would not work, naming each field', () => {
    const cases: readonly [string, unknown, Record<string, string>][] = [
      ['store.redis.url', { store: { redis: { url: 'http://x' } }, node: { tokenEnv: 'T' } }, { T: TOKEN }],
      ['node.tokenEnv', { store: { redis: { url: 'redis://127.0.0.1' } } }, {}],
      [
        'node.tokenEnv',
        { store: { redis: { url: 'redis://127.0.0.1' } }, node: { tokenEnv: 'T' } },
        { T: 'short' },
      ],
      [
        'store.redis.passwordEnv',
        { store: { redis: { url: 'redis://127.0.0.1', passwordEnv: 'P' } }, node: { tokenEnv: 'T' } },
        { T: TOKEN },
      ],
      [
        'store.redis.tls.caFile',
        { store: { redis: { url: 'rediss://h', tls: { caFile: '/missing.pem' } } }, node: { tokenEnv: 'T' } },
        { T: TOKEN },
      ],
      [
        'store.redis.tls',
        { store: { redis: { url: 'rediss://h', tls: { certFile: '/c.pem' } } }, node: { tokenEnv: 'T' } },
        { T: TOKEN },
      ],
      ['node.id', { node: { id: 'has space' } }, {}],
    ];
    for (const [field, input, env] of cases) {
      const result = resolveConfig(input, environment(env));
      assert.ok(!result.ok, field);
      assert.deepEqual(
        result.errors.map((e) => e.field),
        [field],
      );
      // A URL may carry a password: it is never repeated in a message.
      for (const error of result.errors) assert.ok(!error.message.includes('http://x'));
    }
  });
});
