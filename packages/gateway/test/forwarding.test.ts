/**
 * Two gateway processes of one deployment (two gateways sharing a store, each with its internal
 * listener): a call's control requests and sideband connections that reach the process not
 * holding the call are passed to the one that does; the internal listener takes only what the
 * deployment forwarded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { FORWARDED_HEADER } from '../src/http/forwarding.js';
import { createLogger } from '../src/observability/logger.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { SessionLog } from '../src/vocabulary/session.js';
import { connect, eventually, expectRefused, keyEntry, testConfig } from './support/harness.js';
import { placeCall, TestCaller } from './support/webrtc-client.js';

const APP = 'sk-app';
const OTHER = 'sk-other';
const TOKEN = randomBytes(32).toString('base64url');

let engine: EmbeddedEngine;
let store: MemoryStore;
/** `holding` answers the calls; `other` is where the client's later requests arrive. */
let holding: Gateway;
let other: Gateway;
const callers: TestCaller[] = [];

/** Log lines of the holding process. */
const holderLines: Record<string, unknown>[] = [];
const holderLog = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) holderLines.push(JSON.parse(line));
      done();
    },
  }),
);

function gatewayOf(holderId: string, input: GatewayConfigInput = {}, log?: SessionLog): Gateway {
  const config = testConfig({
    ...input,
    upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
    auth: {
      keys: [keyEntry('app', APP), keyEntry('other', OTHER)],
    },
    webrtc: { iceAddresses: ['127.0.0.1'], idleTimeoutMs: 3000, connectTimeoutMs: 3000 },
    log: { level: 'silent' },
  });
  return createGateway({
    config,
    store,
    holderId,
    internal: { host: '127.0.0.1', token: TOKEN },
    ...(log ? { log } : {}),
  });
}

before(async () => {
  engine = (await startEmbeddedEngine())!;
  store = new MemoryStore();
  holding = gatewayOf('node-a', {}, holderLog);
  // Behind a proxy: the client's address comes from X-Forwarded-For there, and only there.
  other = gatewayOf('node-b', { server: { trustedProxies: ['127.0.0.1'] } });
  await holding.listen();
  await other.listen();
});

after(async () => {
  for (const caller of callers) await caller.close().catch(() => {});
  await other.close();
  await holding.close();
  await store.close();
  await engine.close();
});

const urlOf = (gateway: Gateway): string => gateway.address!.url;

/** A call answered by `holding`; its caller and id. */
async function call(): Promise<{ caller: TestCaller; id: string }> {
  const caller = new TestCaller();
  callers.push(caller);
  return { caller, id: await placeCall(caller, urlOf(holding), APP) };
}

async function control(
  gateway: Gateway,
  id: string,
  action: string,
  headers: Record<string, string> = { authorization: `Bearer ${APP}` },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${urlOf(gateway)}/v1/realtime/calls/${id}/${action}`, {
    method: 'POST',
    headers,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('a request about a call held by another process', () => {
  test("a sideband connection through the other process joins the call's session", async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    const sideband = await connect(`ws://127.0.0.1:${other.address!.port}/v1/realtime?call_id=${id}`, {
      headers: { authorization: `Bearer ${APP}` },
    });
    sideband.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'from the sideband' }] },
    });
    const added = await caller.waitFor('conversation.item.added');
    assert.deepEqual((added.item as { content: unknown[] }).content, [
      { type: 'input_text', text: 'from the sideband' },
    ]);
    await sideband.waitFor('conversation.item.added');
    assert.equal(other.registry.size, 0, 'the other process holds no session of its own');
    sideband.socket.close();
    assert.equal((await control(other, id, 'hangup')).status, 200);
  });

  test("control requests are answered by the holder, with the owner's key checked there", async () => {
    const { caller, id } = await call();
    const rejected = await control(other, id, 'reject');
    assert.equal(rejected.status, 409, 'the holder knows the call is connected');
    assert.equal((rejected.body.error as { code: string }).code, 'call_already_connected');
    const foreign = await control(other, id, 'hangup', { authorization: `Bearer ${OTHER}` });
    assert.equal(foreign.status, 404, "another key's call is no call at all");
    assert.equal((await control(other, id, 'hangup', {})).status, 401);
    assert.equal((await control(other, id, 'hangup')).status, 200);
    await caller.until(() => holding.registry.size === 0, 5000, 'the call to end on the holder');
    assert.equal((await control(other, id, 'hangup')).status, 404, 'an ended call is gone everywhere');
  });

  test("the holder's log lines name the request and client the first process saw", async () => {
    const { id } = await call();
    const sideband = await connect(`ws://127.0.0.1:${other.address!.port}/v1/realtime?call_id=${id}`, {
      headers: {
        authorization: `Bearer ${APP}`,
        'x-request-id': 'sideband-req-1',
        'x-forwarded-for': '203.0.113.9',
      },
    });
    await eventually(
      () => holderLines.some((l) => l.requestId === 'sideband-req-1'),
      5000,
      "the holder's line",
    );
    const lines = holderLines.filter((l) => l.requestId === 'sideband-req-1');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.clientIp]),
      [['sideband joined a call', '203.0.113.9']],
    );
    sideband.socket.close();
    assert.equal((await control(other, id, 'hangup')).status, 200);
  });

  test('a sideband connection with another key is refused by the holder as an unknown call', async () => {
    const { id } = await call();
    const refused = await expectRefused(`ws://127.0.0.1:${other.address!.port}/v1/realtime?call_id=${id}`, {
      headers: { authorization: `Bearer ${OTHER}` },
    });
    assert.equal(refused.status, 404);
    assert.equal((await control(holding, id, 'hangup')).status, 200);
  });
});

describe('the internal listener', () => {
  test('takes only requests that carry the deployment token', async () => {
    const address = await holding.holder.addressOf(holding.holder.id);
    assert.ok(address, 'the holder advertised its internal address');
    const plain = await fetch(`${address}/v1/realtime/calls/rtc_x/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(plain.status, 403);
    const forged = await fetch(`${address}/v1/realtime/calls/rtc_x/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}`, [FORWARDED_HEADER]: 'not-the-token' },
    });
    assert.equal(forged.status, 403);
    const upgrade = await expectRefused(`${address.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`, {
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(upgrade.status, 403);
    const forwarded = await fetch(`${address}/v1/realtime/calls/rtc_x/hangup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}`, [FORWARDED_HEADER]: TOKEN },
    });
    assert.equal(forwarded.status, 404, 'a forwarded request is answered, not forwarded again');
  });

  test('a holder that cannot be reached is a 502, and nothing is left open', async () => {
    // A process that claimed a call and advertised an address where nothing listens any more.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as { port: number };
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await store.put('holder-address:node-gone', `http://127.0.0.1:${port}`, 60_000);
    await store.claim({ kind: 'call', id: 'rtc_gone', holder: 'node-gone', ttlMs: 60_000 });
    const answer = await control(other, 'rtc_gone', 'hangup');
    assert.equal(answer.status, 502);
    assert.equal((answer.body.error as { code: string }).code, 'gateway_peer_unreachable');
    const refused = await expectRefused(
      `ws://127.0.0.1:${other.address!.port}/v1/realtime?call_id=rtc_gone`,
      {
        headers: { authorization: `Bearer ${APP}` },
      },
    );
    assert.equal(refused.status, 502);
    assert.equal(other.registry.size, 0, 'nothing was admitted on the way');
  });
});
