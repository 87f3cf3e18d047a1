import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGateway } from '../src/gateway.js';
import { connect, expectRefused, type Refused, type Rig, startRig, testConfig } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

/** Every refusal body has OpenAI's shape: error.message, type, param, code. */
function assertShape(refused: Refused, status: number, code: string, type = 'invalid_request_error'): void {
  assert.equal(refused.status, status);
  assert.equal(refused.contentType, 'application/json');
  const { error } = refused.json;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(error.code, code);
  assert.equal(error.type, type);
  assert.ok(error.message.length > 0);
}

describe('refusals reach the client as HTTP statuses with JSON bodies', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      upstreams: [],
    });
  });
  after(() => rig.close());

  it('400 without a model', async () => {
    const refused = await expectRefused(rig.url);
    assertShape(refused, 400, 'missing_required_parameter');
    assert.equal(refused.json.error.param, 'model');
  });

  it('400 for an unknown intent', async () => {
    const refused = await expectRefused(`${rig.url}?model=m&intent=chat`);
    assertShape(refused, 400, 'invalid_value');
    assert.equal(refused.json.error.param, 'intent');
  });

  it('404 for a model no upstream serves', async () => {
    const refused = await expectRefused(`${rig.url}?model=gpt-realtime`);
    assertShape(refused, 404, 'model_not_found');
  });

  it('404 for a WebSocket on another path', async () => {
    const refused = await expectRefused(rig.url.replace('/v1/realtime', '/v1/other'));
    assertShape(refused, 404, 'not_found');
  });

  it('426 for a plain GET of the realtime endpoint, 404 for unknown paths', async () => {
    const base = rig.gateway.address!.url;
    const plain = await fetch(`${base}/v1/realtime`);
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'upgrade_required');
    const unknown = await fetch(`${base}/nowhere`);
    assert.equal(unknown.status, 404);
  });
});

describe('upstream trouble as HTTP statuses', () => {
  it('503 when every upstream fails, 504 when the last one timed out', async () => {
    const down = await startTestUpstream({ refuse: { status: 500 } });
    const slow = await startTestUpstream({ upgradeDelayMs: 3000 });
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'down', baseUrl: `${down.httpUrl}/v1`, models: ['a'] },
          { name: 'slow', baseUrl: `${slow.httpUrl}/v1`, models: ['b'], connectTimeoutMs: 100 },
        ],
      }),
    });
    const { realtimeUrl } = await gateway.listen();
    try {
      assertShape(await expectRefused(`${realtimeUrl}?model=a`), 503, 'upstream_unavailable', 'server_error');
      assertShape(await expectRefused(`${realtimeUrl}?model=b`), 504, 'upstream_timeout', 'server_error');
      assert.equal(gateway.registry.size, 0);
    } finally {
      await gateway.close();
      await down.close();
      await slow.close();
    }
  });

  it("429 relayed with the upstream's own error", async () => {
    const rig = await startRig();
    try {
      rig.upstream.behaviour.refuse = {
        status: 429,
        body: {
          error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Too many.', param: null },
        },
      };
      const refused = await expectRefused(`${rig.url}?model=gpt-realtime`);
      assertShape(refused, 429, 'rate_limit_exceeded', 'rate_limit_error');
      assert.equal(refused.json.error.message, 'Too many.');
    } finally {
      await rig.close();
    }
  });

  it('503 once the gateway is closing, and close is idempotent', async () => {
    const rig = await startRig();
    const client = await connect(`${rig.url}?model=gpt-realtime`);
    await rig.upstream.nextConnection();
    const closing = rig.gateway.close();
    const again = rig.gateway.close();
    assert.equal(closing, again);
    assert.equal(rig.gateway.accepting, false);
    const closed = await client.closed;
    assert.equal(closed.code, 1001);
    await closing;
    await rig.upstream.close();
  });
});

describe('query parameters upstream', () => {
  let rig: Rig;
  before(async () => {
    // An upstream that runs WebRTC calls itself, as OpenAI does, so a call_id is its to know.
    rig = await startRig({}, {}, {}, { webrtc: 'forward' });
  });
  after(() => rig.close());

  it('forwards a transcription intent without a model, and a call_id', async () => {
    const client = await connect(`${rig.url}?intent=transcription`);
    const conn = await rig.upstream.nextConnection();
    assert.equal(conn.query.get('intent'), 'transcription');
    assert.equal(conn.query.get('model'), null);
    assert.equal(rig.gateway.registry.list()[0]?.intent, 'transcription');
    client.socket.close();
    const call = await connect(`${rig.url}?call_id=rtc_123`);
    const callConn = await rig.upstream.nextConnection();
    assert.equal(callConn.query.get('call_id'), 'rtc_123');
    call.socket.close();
    await Promise.all([client.closed, call.closed]);
  });
});
