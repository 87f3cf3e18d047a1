/**
 * A client's `response.create` held behind its own commit, when the upstream never answers the
 * commit (the test upstream ignores commits, as no model does): after the transcript timeout the
 * commit counts as having made no turn, and the held `response.create` goes on, the client's
 * later frames still behind it in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connect, testConfig } from './support/harness.js';
import { startTestUpstream, type TestUpstream } from './support/test-upstream.js';

const TIMEOUT_MS = 300;

let upstream: TestUpstream;
let gateway: Gateway;
let url: string;

before(async () => {
  upstream = await startTestUpstream();
  gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1` }],
      guardrails: [{ name: 'no-bomb', on: 'input', deny: ['\\bbomb\\b'], transcriptTimeoutMs: TIMEOUT_MS }],
    }),
  });
  url = (await gateway.listen()).realtimeUrl;
});

after(async () => {
  await gateway.close();
  await upstream.close();
});

test('an unanswered commit holds the response.create for the transcript timeout, then lets it go, in order', async () => {
  const client = await connect(`${url}?model=gpt-realtime`);
  await client.waitFor('session.created');
  const conn = await upstream.nextConnection();
  client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_commit' });
  const sentAt = performance.now();
  client.send({ type: 'response.create', event_id: 'evt_response' });
  client.send({
    type: 'conversation.item.create',
    event_id: 'evt_after',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'after it' }] },
  });
  await conn.waitForEvent('response.create');
  const heldMs = performance.now() - sentAt;
  assert.ok(heldMs >= TIMEOUT_MS - 20, `held ${heldMs.toFixed(0)} ms, the timeout is ${TIMEOUT_MS} ms`);
  await conn.waitForEvent('conversation.item.create');
  const ids = conn.events.map((event) => event.event_id).filter((id) => String(id).startsWith('evt_'));
  assert.deepEqual(ids, ['evt_commit', 'evt_response', 'evt_after'], 'forwarded in the order sent');
  client.socket.close();
});
