/**
 * Browsers: the origin allowlist on WebSocket sessions and REST endpoints, and the CORS answers
 * a page on another origin needs to mint a client secret and read a call's `Location`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveConfig } from '../src/config/resolve.js';
import { connect, expectRefused, keyEntry, type Rig, startRig } from './support/harness.js';

const KEY = 'sk-app';
const APP = 'https://app.example';
const auth = { headers: { authorization: `Bearer ${KEY}` } };

let rig: Rig;
let base: string;

before(async () => {
  rig = await startRig({
    server: { allowedOrigins: [APP] },
    auth: { keys: [keyEntry('app', KEY)] },
  });
  base = rig.gateway.address!.url;
});

after(() => rig.close());

describe('the origin allowlist', () => {
  test('a browser on another origin cannot open a session, and the upstream hears nothing of it', async () => {
    const before = rig.upstream.requests.length;
    const refused = await expectRefused(`${rig.url}?model=gpt-realtime`, {
      headers: { ...auth.headers, origin: 'https://evil.example' },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'origin_not_allowed');
    assert.equal(rig.upstream.requests.length, before);
  });

  test('an allowed origin, or a server sending none, opens sessions', async () => {
    for (const headers of [{ ...auth.headers, origin: APP }, auth.headers]) {
      const client = await connect(`${rig.url}?model=gpt-realtime`, { headers });
      await client.waitFor('session.created');
      client.socket.close();
    }
  });

  test('REST: a preflight from an allowed origin says what may be sent; another origin gets a 403', async () => {
    const preflight = await fetch(`${base}/v1/realtime/client_secrets`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), APP);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization.*content-type/);
    assert.equal(preflight.headers.get('vary'), 'Origin');
    const foreign = await fetch(`${base}/v1/realtime/client_secrets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const post = await fetch(`${base}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { ...auth.headers, origin: 'https://evil.example' },
      body: '{}',
    });
    assert.equal(post.status, 403);
  });

  test('REST: answers to an allowed origin let the page read them and their Location, refusals too', async () => {
    const minted = await fetch(`${base}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { ...auth.headers, origin: APP, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(minted.status, 200);
    assert.equal(minted.headers.get('access-control-allow-origin'), APP);
    assert.equal(minted.headers.get('access-control-expose-headers'), 'Location');
    const unauthorized = await fetch(`${base}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { origin: APP },
      body: '{}',
    });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), APP);
  });
});

describe('server.allowedOrigins', () => {
  const resolve = (allowedOrigins: string[]) =>
    resolveConfig({ server: { allowedOrigins } }, { env: {}, readFile: () => '' });

  test('unset or `*` allows every origin; origins must be written as browsers send them', () => {
    const any = resolve(['*']);
    assert.ok(any.ok);
    assert.equal(any.config.server.allowedOrigins, null);
    const bad = resolve(['https://app.example/path', 'app.example', 'https://ok.example']);
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.errors.map((e) => e.field),
      ['server.allowedOrigins[0]', 'server.allowedOrigins[1]'],
    );
  });
});
