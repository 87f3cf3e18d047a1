/**
 * REST forwarding through the gateway to test upstreams that record what they receive.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGateway } from '../src/gateway.js';
import { findModel, multipartPart, rewriteModel } from '../src/rest/body.js';
import { rewriteLocation } from '../src/rest/forward.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { keyEntry, startRig, testConfig } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

/** The forwarding under test: client secrets minted and WebRTC calls answered by the upstream, not the gateway. */
const FORWARD = { clientSecrets: 'forward' as const, webrtc: 'forward' as const };
const KEYS = { auth: { keys: [keyEntry('team', 'rg-client')] } };
const CLIENT = { authorization: 'Bearer rg-client' };

function multipart(boundary: string, session: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="sdp"\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="session"\r\nContent-Type: application/json\r\n\r\n${session}\r\n` +
      `--${boundary}--\r\n`,
  );
}

describe('request bodies', () => {
  test('the model is found in JSON, in a multipart session part, or in the query', () => {
    assert.equal(
      findModel(
        Buffer.from('{"session":{"type":"realtime","model":"gpt-realtime"}}'),
        'application/json',
        new URLSearchParams(),
      ),
      'gpt-realtime',
    );
    assert.equal(
      findModel(Buffer.from('{"model":"m"}'), 'application/json; charset=utf-8', new URLSearchParams()),
      'm',
    );
    const body = multipart('xyz', '{"type":"realtime","model":"gpt-mp"}');
    assert.equal(findModel(body, 'multipart/form-data; boundary=xyz', new URLSearchParams()), 'gpt-mp');
    assert.equal(findModel(Buffer.from('v=0'), 'application/sdp', new URLSearchParams('model=q')), 'q');
    assert.equal(findModel(Buffer.from('not json'), 'application/json', new URLSearchParams()), null);
    const part = multipartPart(body, 'multipart/form-data; boundary="xyz"', 'session')!;
    assert.equal(body.subarray(part.start, part.end).toString(), '{"type":"realtime","model":"gpt-mp"}');
  });

  test('an alias is rewritten in place; every other byte stays', () => {
    const body = Buffer.from('{ "session" : { "model" :  "fast", "extra": null, "x": 1.50 } }');
    assert.equal(
      rewriteModel(body, 'fast', 'gpt-realtime').toString(),
      '{ "session" : { "model" :  "gpt-realtime", "extra": null, "x": 1.50 } }',
    );
  });

  test('Location headers move to the gateway', () => {
    assert.equal(
      rewriteLocation(
        'https://api.openai.com/v1/realtime/calls/rtc_1',
        'https://api.openai.com/v1',
        'https://gw.example',
      ),
      'https://gw.example/v1/realtime/calls/rtc_1',
    );
    assert.equal(
      rewriteLocation('/v1/realtime/calls/rtc_2', 'http://10.0.0.5:8000/v1', 'http://127.0.0.1:8080'),
      'http://127.0.0.1:8080/v1/realtime/calls/rtc_2',
    );
  });
});

describe('forwarding', () => {
  test('JSON bodies pass byte for byte; auth is replaced; status, type and body come back', async () => {
    const rig = await startRig(KEYS, {}, {}, FORWARD);
    try {
      const body =
        '{"session":{"type":"realtime","model":"gpt-realtime","instructions":null,"unknown_field":{"kept":true}}}';
      for (const path of ['client_secrets', 'sessions', 'transcription_sessions']) {
        const response = await fetch(`${rig.gateway.address!.url}/v1/realtime/${path}`, {
          method: 'POST',
          headers: { ...CLIENT, 'content-type': 'application/json', cookie: 'c=1' },
          body,
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/json');
        await response.text();
        const seen = rig.upstream.requests.at(-1)!;
        assert.equal(seen.url, `/v1/realtime/${path}`);
        assert.equal(seen.body.toString(), body);
        assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret');
        assert.equal(seen.headers.cookie, undefined);
      }
    } finally {
      await rig.close();
    }
  });

  test('calls: multipart and raw SDP; the SDP answer and a gateway Location come back; control requests follow', async () => {
    const rig = await startRig(KEYS, {}, {}, FORWARD);
    try {
      const base = rig.gateway.address!.url;
      const body = multipart('b0und', '{"type":"realtime","model":"gpt-realtime"}');
      const created = await fetch(`${base}/v1/realtime/calls`, {
        method: 'POST',
        headers: { ...CLIENT, 'content-type': 'multipart/form-data; boundary=b0und' },
        body,
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('content-type'), 'application/sdp');
      assert.match(await created.text(), /^v=0/);
      const location = created.headers.get('location')!;
      assert.match(location, new RegExp(`^${base}/v1/realtime/calls/rtc_`));
      assert.deepEqual(rig.upstream.requests.at(-1)!.body, body);
      const raw = await fetch(`${base}/v1/realtime/calls?model=gpt-realtime`, {
        method: 'POST',
        headers: { ...CLIENT, 'content-type': 'application/sdp' },
        body: 'v=0\r\n',
      });
      assert.equal(raw.status, 201);
      await raw.text();
      for (const action of ['accept', 'refer', 'reject', 'hangup']) {
        const answer = await fetch(`${location}/${action}`, {
          method: 'POST',
          headers: { ...CLIENT, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(answer.status, 200);
        await answer.text();
        assert.equal(rig.upstream.requests.at(-1)!.url, `${new URL(location).pathname}/${action}`);
      }
    } finally {
      await rig.close();
    }
  });

  test('refusals: no key, a body over the limit, an upstream 4xx relayed as it came', async () => {
    const rig = await startRig(
      { ...KEYS, limits: { maxRestBodyBytes: 64 } },
      {},
      {
        http: () => ({
          status: 400,
          headers: { 'content-type': 'application/json' },
          body: '{"error":{"message":"bad voice","type":"invalid_request_error"}}',
        }),
      },
      FORWARD,
    );
    try {
      const url = `${rig.gateway.address!.url}/v1/realtime/client_secrets`;
      assert.equal((await fetch(url, { method: 'POST', body: '{}' })).status, 401);
      const big = await fetch(url, { method: 'POST', headers: CLIENT, body: 'x'.repeat(100) });
      assert.equal(big.status, 413);
      const bad = await fetch(url, {
        method: 'POST',
        headers: { ...CLIENT, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(bad.status, 400);
      assert.equal(await bad.text(), '{"error":{"message":"bad voice","type":"invalid_request_error"}}');
      assert.equal((await fetch(url, { headers: CLIENT })).status, 405);
    } finally {
      await rig.close();
    }
  });

  test('an alias routes and is rewritten in the body; an unreachable upstream is a 502', async () => {
    const upstream = await startTestUpstream();
    const config = testConfig({
      upstreams: [
        { name: 'up', baseUrl: `${upstream.httpUrl}/v1`, models: ['gpt-realtime'], ...FORWARD },
        { name: 'down', baseUrl: 'http://127.0.0.1:1/v1', models: ['dead-*'], ...FORWARD },
      ],
      aliases: { fast: 'gpt-realtime' },
    });
    const gateway = createGateway({ config });
    await gateway.listen();
    try {
      const ok = await fetch(`${gateway.address!.url}/v1/realtime/client_secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"session":{"model":"fast","voice":"marin"}}',
      });
      assert.equal(ok.status, 200);
      await ok.text();
      assert.equal(
        upstream.requests.at(-1)!.body.toString(),
        '{"session":{"model":"gpt-realtime","voice":"marin"}}',
      );
      const dead = await fetch(`${gateway.address!.url}/v1/realtime/client_secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"session":{"model":"dead-1"}}',
      });
      assert.equal(dead.status, 502);
      assert.equal(JSON.parse(await dead.text()).error.code, 'upstream_unreachable');
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  test('failover: a 5xx or an unreachable upstream moves on to the next, as for WebSockets', async () => {
    const failing = await startTestUpstream({
      http: () => ({ status: 503, body: '{"error":{"message":"busy"}}' }),
    });
    const healthy = await startTestUpstream();
    const config = testConfig({
      upstreams: [
        { name: 'dead', baseUrl: 'http://127.0.0.1:1/v1', weight: 100, ...FORWARD },
        { name: 'failing', baseUrl: `${failing.httpUrl}/v1`, weight: 10, ...FORWARD },
        { name: 'healthy', baseUrl: `${healthy.httpUrl}/v1`, weight: 1, ...FORWARD },
      ],
      routing: { maxAttempts: 3 },
    });
    const gateway = createGateway({ config });
    await gateway.listen();
    try {
      const answer = await fetch(`${gateway.address!.url}/v1/realtime/client_secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"session":{"model":"gpt-realtime"}}',
      });
      assert.equal(answer.status, 200);
      await answer.text();
      assert.equal(healthy.requests.at(-1)!.body.toString(), '{"session":{"model":"gpt-realtime"}}');
      assert.equal(failing.requests.length, 1, 'the failing upstream was tried');
    } finally {
      await gateway.close();
      await failing.close();
      await healthy.close();
    }
  });

  test("a forwarded call's control requests reach its upstream from any process of the deployment", async () => {
    const first = await startTestUpstream();
    const second = await startTestUpstream();
    const store = new MemoryStore();
    // Both processes would plan a request without a model onto `first`; the call is on `second`.
    const config = testConfig({
      upstreams: [
        { name: 'first', baseUrl: `${first.httpUrl}/v1`, weight: 100, ...FORWARD },
        { name: 'second', baseUrl: `${second.httpUrl}/v1`, models: ['other-*'], ...FORWARD },
      ],
    });
    const creating = createGateway({ config, store });
    const controlling = createGateway({ config, store });
    await creating.listen();
    await controlling.listen();
    try {
      const created = await fetch(`${creating.address!.url}/v1/realtime/calls?model=other-model`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: 'v=0\r\n',
      });
      assert.equal(created.status, 201);
      await created.text();
      const path = new URL(created.headers.get('location')!).pathname;
      const hangup = await fetch(`${controlling.address!.url}${path}/hangup`, { method: 'POST' });
      assert.equal(hangup.status, 200);
      await hangup.text();
      assert.equal(second.requests.at(-1)!.url, `${path}/hangup`);
      assert.equal(first.requests.length, 0);
    } finally {
      await controlling.close();
      await creating.close();
      await store.close();
      await first.close();
      await second.close();
    }
  });
});
