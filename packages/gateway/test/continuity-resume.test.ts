/**
 * Client resume over real sockets: a client whose connection drops without a close frame comes
 * back within the grace period with its resume token and gets what the upstream sent meanwhile
 * and the session; after the grace period the session is gone; a connection still open is taken
 * over by one naming the last event it received; bad tokens are refused with HTTP answers.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { type Brain, itemText, type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { WebSocket } from 'ws';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { RESUME_TOKEN_HEADER } from '../src/http/resume-request.js';
import { delay, eventually, expectRefused, keyEntry, TestClient, testConfig } from './support/harness.js';

const MODEL = 'gpt-realtime';

/** Answers with the user messages it knows, a word at a time and slowly, so answers outlast a drop. */
const slowRememberingBrain: Brain = {
  name: 'slow-remembering',
  async *respond({ items }) {
    const said = items.filter((item) => item.type === 'message' && item.role === 'user').map(itemText);
    for (const word of `I heard ${said.length}: ${said.join(' | ')}`.split(' ')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield { type: 'text', delta: `${word} ` };
    }
  },
};

interface Rig {
  readonly gateway: Gateway;
  readonly engine: RunningEngine;
  readonly url: string;
}
const rigs: Rig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.gateway.close();
    await rig.engine.close();
  }
});

async function startRig(
  continuity: GatewayConfigInput['continuity'],
  auth?: GatewayConfigInput['auth'],
): Promise<Rig> {
  const engine = await startEngine({ brain: slowRememberingBrain });
  const gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
      continuity,
      ...(auth === undefined ? {} : { auth }),
    }),
  });
  const address = await gateway.listen();
  const rig = { gateway, engine, url: `${address.realtimeUrl}?model=${MODEL}` };
  rigs.push(rig);
  return rig;
}

/** Opens a client; resolves with it and the resume token its handshake answered (or null). */
function open(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ client: TestClient; token: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [], { headers });
    const client = new TestClient(socket);
    let token: string | null = null;
    socket.once('upgrade', (res: IncomingMessage) => {
      const value = res.headers[RESUME_TOKEN_HEADER];
      token = typeof value === 'string' ? value : null;
    });
    socket.once('open', () => resolve({ client, token }));
    socket.once('error', reject);
  });
}

const textOnly = { type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } };
const ask = (client: TestClient, text: string) => {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  client.send({ type: 'response.create' });
};
const answerOf = (done: Record<string, unknown>) =>
  ((done.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text ?? '').trim();

/** The resume counter's line for `outcome`. */
async function resumes(rig: Rig, outcome: string): Promise<number> {
  const text = await rig.gateway.metrics!.registry.getSingleMetricAsString(
    'realtime_gateway_client_resumes_total',
  );
  const line = text.split('\n').find((l) => l.includes(`outcome="${outcome}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

function only(rig: Rig) {
  const sessions = rig.gateway.registry.list();
  assert.equal(sessions.length, 1);
  return sessions[0]!;
}

describe('client resume', () => {
  it('within the grace period: what the upstream sent meanwhile, then the session goes on', async () => {
    const rig = await startRig({ clientGraceMs: 3000 });
    const { client, token } = await open(rig.url);
    assert.ok(token?.startsWith('rt1.'), 'the handshake answers a resume token');
    await client.waitFor('session.created');
    client.send(textOnly);
    await client.waitFor('session.updated');
    ask(client, 'before the tunnel');
    await client.waitFor('response.created');
    // The phone goes into a tunnel: the connection drops with no close frame.
    client.socket.terminate();
    await eventually(() => only(rig).state === 'detached', 2000, 'the session to wait');
    // The answer streams on meanwhile, into what is kept for the client.
    await delay(300);
    const back = await open(rig.url, { 'x-realtime-gateway-resume': token! });
    const done = await back.client.waitFor('response.done');
    assert.equal(answerOf(done), 'I heard 1: before the tunnel', 'the answer reached the client whole');
    assert.equal(only(rig).state, 'open');
    ask(back.client, 'after the tunnel');
    assert.equal(
      answerOf(await back.client.waitFor('response.done')),
      'I heard 2: before the tunnel | after the tunnel',
    );
    assert.equal(await resumes(rig, 'resumed'), 1);
    back.client.socket.close();
  });

  it('a connection still open is taken over by one naming the last event it received', async () => {
    const rig = await startRig({ clientGraceMs: 3000 });
    const { client, token } = await open(rig.url);
    await client.waitFor('session.created');
    client.send(textOnly);
    const updated = await client.waitFor('session.updated');
    ask(client, 'hello');
    await client.waitFor('response.done');
    // The client had only seen `session.updated` (say its network stalled): it asks for the rest.
    const back = await open(rig.url, {
      'x-realtime-gateway-resume': token!,
      'x-realtime-gateway-last-event-id': String(updated.event_id),
    });
    assert.equal((await client.closed).code, 4001, 'the old connection is let go');
    const replayed = await back.client.waitFor('response.done');
    assert.equal(answerOf(replayed), 'I heard 1: hello');
    assert.equal(await resumes(rig, 'taken_over'), 1);
    back.client.socket.close();
  });

  it('after the grace period the session has ended, and resuming it is a 404', async () => {
    const rig = await startRig({ clientGraceMs: 200 });
    const { client, token } = await open(rig.url);
    await client.waitFor('session.created');
    client.socket.terminate();
    await eventually(() => rig.gateway.registry.size === 0, 3000, 'the session to end');
    const refused = await expectRefused(rig.url, { headers: { 'x-realtime-gateway-resume': token! } });
    assert.equal(refused.status, 404);
    assert.equal(refused.json.error.code, 'session_not_found');
    assert.equal(await resumes(rig, 'expired'), 1);
  });

  it('refuses a forged token, another key’s, and an event no longer kept, with OpenAI-shaped bodies', async () => {
    const rig = await startRig(
      { clientGraceMs: 3000 },
      { keys: [keyEntry('app', 'sk-app'), keyEntry('other', 'sk-other')] },
    );
    const { client, token } = await open(rig.url, { authorization: 'Bearer sk-app' });
    await client.waitFor('session.created');
    const refusedWith = async (headers: Record<string, string>) => {
      const refused = await expectRefused(rig.url, { headers });
      return [refused.status, refused.json.error.code];
    };
    assert.deepEqual(
      await refusedWith({
        authorization: 'Bearer sk-app',
        'x-realtime-gateway-resume': 'rt1.made.up.token.x',
      }),
      [401, 'invalid_resume_token'],
    );
    assert.deepEqual(
      await refusedWith({ authorization: 'Bearer sk-other', 'x-realtime-gateway-resume': token! }),
      [401, 'invalid_resume_token'],
    );
    assert.deepEqual(
      await refusedWith({
        authorization: 'Bearer sk-app',
        'x-realtime-gateway-resume': token!,
        'x-realtime-gateway-last-event-id': 'event_never_sent',
      }),
      [409, 'resume_window_exceeded'],
    );
    assert.equal(client.socket.readyState, WebSocket.OPEN, 'refused attempts leave the session alone');
    client.socket.close();
  });

  it('a browser presents the token as a subprotocol beside realtime', async () => {
    const rig = await startRig({ clientGraceMs: 3000 });
    const { client, token } = await open(rig.url);
    await client.waitFor('session.created');
    client.socket.terminate();
    await eventually(() => only(rig).state === 'detached', 2000, 'the session to wait');
    const socket = new WebSocket(rig.url, ['realtime', `realtime-gateway-resume.${token}`]);
    const back = new TestClient(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    assert.equal(socket.protocol, 'realtime');
    await eventually(() => only(rig).state === 'open', 2000, 'the resume');
    back.socket.close();
  });

  it('with no grace period there is no token, and a dropped client ends the session', async () => {
    const rig = await startRig({});
    const { client, token } = await open(rig.url);
    assert.equal(token, null);
    await client.waitFor('session.created');
    client.socket.terminate();
    await eventually(() => rig.gateway.registry.size === 0, 2000, 'the session to end');
  });
});
