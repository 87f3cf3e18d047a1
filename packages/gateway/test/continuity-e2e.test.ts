/**
 * Continuity over real sockets: a gateway in front of two reference engines. The engine serving
 * a session is shut down (close 1001 to its sessions) between turns and mid-response; the
 * client's socket stays open, the response in flight ends failed, the next turn is answered by
 * the other engine with the whole conversation in its context, and the ids the client knows
 * (retrieve, delete, truncate of an earlier audio item) keep working.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession } from '@openai/agents-realtime';
import { type Brain, itemText, type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { openSdkSession } from '../examples/sdk-session.js';
import { selfSignedCertificate } from '../examples/tls-certificate.js';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connect, delay, eventually, type TestClient, testConfig } from './support/harness.js';

const MODEL = 'gpt-realtime';

/** Answers with every user message of its context, so a test sees what the upstream was replayed. */
const rememberingBrain: Brain = {
  name: 'remembering',
  async *respond({ items }) {
    const said = items.filter((item) => item.type === 'message' && item.role === 'user').map(itemText);
    for (const word of `I heard ${said.length}: ${said.join(' | ')}`.split(' '))
      yield { type: 'text', delta: `${word} ` };
  },
};

/** The same, slowly: a response stays in flight long enough to lose its upstream mid-way. */
const slowBrain: Brain = {
  name: 'slow',
  async *respond(input) {
    for await (const output of rememberingBrain.respond(input)) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      yield output;
    }
  },
};

interface Rig {
  readonly gateway: Gateway;
  readonly engines: Map<string, RunningEngine>;
  readonly url: string;
}

const rigs: Rig[] = [];

async function startRig(
  brain: Brain,
  continuity: GatewayConfigInput['continuity'] = {},
  server: GatewayConfigInput['server'] = {},
): Promise<Rig> {
  const engines = new Map<string, RunningEngine>();
  for (const name of ['alpha', 'beta']) engines.set(name, await startEngine({ brain }));
  const gateway = createGateway({
    config: testConfig({
      upstreams: [...engines].map(([name, engine]) => ({
        name,
        baseUrl: `http://127.0.0.1:${engine.port}/v1`,
      })),
      continuity,
      server,
    }),
  });
  const address = await gateway.listen();
  const rig = { gateway, engines, url: `${address.realtimeUrl}?model=${MODEL}` };
  rigs.push(rig);
  return rig;
}

afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.gateway.close();
    for (const engine of rig.engines.values()) await engine.close();
  }
});
after(() => assert.equal(rigs.length, 0));

/** The one live session's snapshot. */
function only(rig: Rig) {
  const sessions = rig.gateway.registry.list();
  assert.equal(sessions.length, 1);
  return sessions[0]!;
}

/** A user text turn and its answer; returns the user item's id, the answer's item and its transcript. */
async function turn(client: TestClient, text: string) {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  const added = await client.waitFor('conversation.item.added');
  client.send({ type: 'response.create' });
  const done = (await client.waitFor('response.done')) as {
    response: { status: string; output: { id: string; content: { transcript?: string; text?: string }[] }[] };
  };
  const output = done.response.output[0]!;
  return {
    userId: (added.item as { id: string }).id,
    status: done.response.status,
    answerId: output.id,
    said: (output.content[0]?.transcript ?? output.content[0]?.text ?? '').trim(),
  };
}

describe('a session outlives the engine serving it', () => {
  it('between turns: the client stays, the next turn is answered with the whole conversation, old ids work', async () => {
    const rig = await startRig(rememberingBrain);
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    const first = await turn(client, 'my name is Ada');
    const second = await turn(client, 'I like tea');
    assert.equal(second.said, 'I heard 2: my name is Ada | I like tea');

    const serving = only(rig).upstream;
    const framesAtLoss = client.frames.length;
    await rig.engines.get(serving)!.close();
    await eventually(
      () => only(rig).upstreams.length === 2 && only(rig).state === 'open',
      5000,
      'the replacement',
    );
    await delay(100);
    assert.equal(client.frames.length, framesAtLoss, 'the client hears nothing of the replay');
    const snapshot = only(rig);
    assert.notEqual(snapshot.upstream, serving, 'the session is on the other engine');
    assert.deepEqual(
      snapshot.upstreams.map((u) => [u.upstream, u.ended]),
      [
        [serving, 'closed 1001'],
        [snapshot.upstream, null],
      ],
    );

    const third = await turn(client, 'what do you know');
    assert.equal(third.status, 'completed');
    assert.equal(third.said, 'I heard 3: my name is Ada | I like tea | what do you know');

    client.send({ type: 'conversation.item.retrieve', item_id: first.userId });
    const retrieved = await client.waitFor('conversation.item.retrieved');
    assert.equal(
      (retrieved.item as { id: string }).id,
      first.userId,
      'retrieved under the id the client knows',
    );

    // The answer to the first turn was audio; the new engine holds it as its transcript.
    client.send({
      type: 'conversation.item.truncate',
      item_id: first.answerId,
      content_index: 0,
      audio_end_ms: 100,
    });
    const truncated = await client.waitFor('conversation.item.truncated');
    assert.deepEqual(
      [truncated.item_id, truncated.content_index, truncated.audio_end_ms],
      [first.answerId, 0, 100],
    );

    client.send({ type: 'conversation.item.delete', item_id: first.userId });
    const deleted = await client.waitFor('conversation.item.deleted');
    assert.equal(deleted.item_id, first.userId);
    const fourth = await turn(client, 'and now');
    assert.equal(
      fourth.said,
      'I heard 3: I like tea | what do you know | and now',
      'the deletion reached the new engine',
    );
    assert.equal(client.socket.readyState, client.socket.OPEN);
    const metrics = await rig.gateway.metrics!.registry.getSingleMetricAsString(
      'realtime_gateway_upstream_replacements_total',
    );
    assert.match(metrics, /outcome="replaced",reason="lost"} 1/);
    client.socket.close();
  });

  it('mid-response: the response in flight ends failed, and the next one is answered', async () => {
    const rig = await startRig(slowBrain);
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    await turn(client, 'hello');
    client.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'tell me a story' }] },
    });
    client.send({ type: 'response.create' });
    const created = await client.waitFor('response.created');
    await client.waitFor('response.output_audio_transcript.delta');
    await rig.engines.get(only(rig).upstream)!.close();
    const done = (await client.waitFor('response.done')) as {
      response: { id: string; status: string; status_details: { error: { code: string } } };
    };
    assert.equal(done.response.id, (created.response as { id: string }).id);
    assert.equal(done.response.status, 'failed');
    assert.equal(done.response.status_details.error.code, 'upstream_replaced');
    await eventually(
      () => only(rig).state === 'open' && only(rig).upstreams.length === 2,
      5000,
      'the replacement',
    );
    const next = await turn(client, 'go on');
    assert.equal(next.status, 'completed');
    assert.equal(next.said, 'I heard 3: hello | tell me a story | go on');
    client.socket.close();
  });

  it('past maxReplacements the session ends as the upstream did', async () => {
    const rig = await startRig(rememberingBrain, { maxReplacements: 1 });
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    await turn(client, 'one');
    await rig.engines.get(only(rig).upstream)!.close();
    await eventually(
      () => only(rig).upstreams.length === 2 && only(rig).state === 'open',
      5000,
      'the replacement',
    );
    await rig.engines.get(only(rig).upstream)!.close();
    assert.equal((await client.closed).code, 1001);
    await eventually(() => rig.gateway.registry.list().length === 0, 2000, 'the session to end');
  });

  it('with continuity off, losing the upstream ends the session', async () => {
    const rig = await startRig(rememberingBrain, { enabled: false });
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    await rig.engines.get(only(rig).upstream)!.close();
    assert.equal((await client.closed).code, 1001);
  });

  it('when no upstream can take the session, the client is told why and the session ends 1011', async () => {
    const rig = await startRig(rememberingBrain);
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    for (const engine of rig.engines.values()) await engine.close();
    const error = await client.waitFor('error');
    assert.equal((error.error as { code: string }).code, 'upstream_lost');
    assert.match((error.error as { message: string }).message, /no other could be opened/);
    assert.equal((await client.closed).code, 1011);
    const metrics = await rig.gateway.metrics!.registry.getSingleMetricAsString(
      'realtime_gateway_upstream_replacements_total',
    );
    assert.match(metrics, /outcome="failed",reason="lost"} 1/);
  });
});

describe('rollover before an upstream’s cap on session length', () => {
  it('moves a quiet session to a new connection before the cap, the conversation kept', async () => {
    const engines = new Map([['alpha', await startEngine({ brain: rememberingBrain })]]);
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'alpha', baseUrl: `http://127.0.0.1:${engines.get('alpha')!.port}/v1`, maxSessionMs: 1500 },
        ],
        continuity: { rolloverBeforeMs: 1000, replayTimeoutMs: 500 },
      }),
    });
    const address = await gateway.listen();
    const rig = { gateway, engines, url: `${address.realtimeUrl}?model=${MODEL}` };
    rigs.push(rig);
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    await turn(client, 'remember me');
    await eventually(
      () => only(rig).upstreams.length === 2 && only(rig).state === 'open',
      3000,
      'the rollover',
    );
    assert.deepEqual(
      only(rig).upstreams.map((u) => [u.upstream, u.ended]),
      [
        ['alpha', 'rollover'],
        ['alpha', null],
      ],
    );
    const next = await turn(client, 'still there');
    assert.equal(next.said, 'I heard 2: remember me | still there');
    assert.equal(client.socket.readyState, client.socket.OPEN);
    client.socket.close();
  });
});

describe('official SDKs as clients of a session that loses its upstream', () => {
  it('the openai SDK keeps its socket and hears the next answer with the conversation kept', async () => {
    const certificate = await selfSignedCertificate();
    const rig = await startRig(
      rememberingBrain,
      {},
      {
        tls: { certFile: certificate.certFile, keyFile: certificate.keyFile },
      },
    );
    const { rt, next, say, events } = await openSdkSession(
      `${rig.gateway.address!.url}/v1`,
      certificate.cert,
    );
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    await next('session.updated');
    say('first words');
    assert.equal((await next('response.output_text.done')).text, 'I heard 1: first words ');
    await rig.engines.get(only(rig).upstream)!.close();
    await eventually(
      () => only(rig).upstreams.length === 2 && only(rig).state === 'open',
      5000,
      'the replacement',
    );
    say('second words');
    assert.equal((await next('response.output_text.done')).text, 'I heard 2: first words | second words ');
    assert.equal((await next('response.done')).type, 'response.done');
    assert.deepEqual(
      events.filter((event) => event.type === 'sdk_error' || event.type === 'error'),
      [],
      'the SDK saw no error',
    );
    rt.close();
  });

  it('an @openai/agents-realtime RealtimeSession goes on, its history under the ids it knows', async () => {
    const rig = await startRig(rememberingBrain);
    const session = new RealtimeSession(new RealtimeAgent({ name: 'Assistant', instructions: 'Listen.' }), {
      transport: new OpenAIRealtimeWebSocket({ useInsecureApiKey: true }),
      model: MODEL,
      config: { outputModalities: ['text'] },
    });
    const errors: unknown[] = [];
    session.on('error', (error) => errors.push(error));
    await session.connect({ apiKey: 'sk-client-key', url: rig.url });
    const answers = () =>
      session.history.flatMap((item) =>
        item.type === 'message' && item.role === 'assistant'
          ? item.content.flatMap((part) => ('text' in part && part.text ? [part.text.trim()] : []))
          : [],
      );
    try {
      session.sendMessage('hello agent');
      await eventually(() => answers().length === 1, 5000, 'the first answer');
      const idsBefore = session.history.map((item) => item.itemId);
      await rig.engines.get(only(rig).upstream)!.close();
      await eventually(
        () => only(rig).upstreams.length === 2 && only(rig).state === 'open',
        5000,
        'the replacement',
      );
      session.sendMessage('still here');
      await eventually(() => answers().length === 2, 5000, 'the second answer');
      assert.deepEqual(answers(), ['I heard 1: hello agent', 'I heard 2: hello agent | still here']);
      assert.deepEqual(
        session.history.slice(0, idsBefore.length).map((item) => item.itemId),
        idsBefore,
        'the items it knew keep their ids',
      );
      assert.deepEqual(errors, []);
    } finally {
      session.close();
    }
  });
});
