/**
 * Guardrails inside a running gateway, against real components: the reference engine as the
 * upstream (its echo brain answers "You said: <text>", with synthesized audio after each
 * transcript word), WebSocket clients, and a moderation service on loopback speaking OpenAI's
 * `/v1/moderations` shape (flagging texts that say "hate", never answering texts that say
 * "slow", and, for one route, a port where nothing listens). The engine transcribes an audio
 * turn as "audio of N.N seconds", so a deny pattern on a duration blocks long turns only.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { createGateway, type Gateway } from '../src/gateway.js';
import { silence, spokenTurn, tone } from './support/audio.js';
import { connect, delay, type TestClient, testConfig } from './support/harness.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read events' fields as they go
type Json = any;

let engine: RunningEngine;
let gateway: Gateway;
let moderation: Server;
let url: string;
/** The gateway's log lines, as `[message, fields]`. */
const logged: [string, Json][] = [];
const moderationRequests: Json[] = [];
/** Requests the slow moderation path holds open until the test ends. */
const held: (() => void)[] = [];

function startModeration(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = JSON.parse(body) as { input: string };
      moderationRequests.push({ ...request, authorization: req.headers.authorization });
      if (request.input.includes('slow')) {
        held.push(() => res.destroy());
        return;
      }
      const hate = request.input.includes('hate') ? 0.97 : 0.01;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'modr-1',
          model: 'omni-moderation-latest',
          results: [
            {
              flagged: hate > 0.5,
              categories: { hate: hate > 0.5, violence: false },
              category_scores: { hate, violence: 0.02 },
            },
          ],
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const moderated = (name: string, model: string, target: string, onFailure: 'fail-open' | 'fail-closed') => ({
  name,
  on: 'input' as const,
  models: [model],
  moderation: {
    url: target,
    apiKeyEnv: 'MODERATION_KEY',
    categories: { hate: 0.5 },
    timeoutMs: 300,
    onFailure,
  },
});

before(async () => {
  engine = await startEngine({});
  moderation = await startModeration();
  const modUrl = `http://127.0.0.1:${(moderation.address() as AddressInfo).port}/v1/moderations`;
  // A port that was free a moment ago: nothing listens there.
  const closed = await startModeration();
  const downUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1/moderations`;
  await new Promise((resolve) => closed.close(resolve));
  const config = testConfig(
    {
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
      guardrails: [
        {
          name: 'no-secret',
          on: 'output',
          deny: ['secret\\s+word'],
          maxMatchChars: 16,
          models: ['gpt-realtime'],
        },
        { name: 'no-bomb', on: 'input', deny: ['\\bbomb\\b'], models: ['gpt-realtime'] },
        {
          name: 'no-long-turns',
          on: 'input',
          deny: ['audio of [2-9]\\.\\d seconds'],
          models: ['gpt-realtime'],
        },
        { name: 'ender', on: 'both', deny: ['forbidden'], action: 'end_session', models: ['ending'] },
        moderated('mod-closed', 'mod-closed', modUrl, 'fail-closed'),
        moderated('mod-open', 'mod-open', modUrl, 'fail-open'),
        moderated('down-closed', 'down-closed', downUrl, 'fail-closed'),
        moderated('down-open', 'down-open', downUrl, 'fail-open'),
      ],
    },
    { MODERATION_KEY: 'mod-secret' },
  );
  const line = (fields: Json, message: string) => {
    logged.push([message, fields]);
  };
  gateway = createGateway({ config, log: { debug: line, info: line, warn: line, error: line } });
  url = (await gateway.listen()).realtimeUrl;
});

after(async () => {
  for (const release of held) release();
  await gateway.close();
  await engine.close();
  await new Promise((resolve) => moderation.close(resolve));
});

async function open(model: string, modalities: ('text' | 'audio')[] = ['text']): Promise<TestClient> {
  const client = await connect(`${url}?model=${model}`);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: modalities } });
  await client.waitFor('session.updated');
  return client;
}

function say(client: TestClient, text: string): void {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  client.send({ type: 'response.create' });
}

const joined = (events: Json[], type: string) =>
  events
    .filter((e) => e.type === type)
    .map((e) => e.delta)
    .join('');

describe('output guardrails', () => {
  test('a clean text answer passes unchanged', async () => {
    const client = await open('gpt-realtime');
    say(client, 'hello there, how are you');
    const events = await client.until<Json>('response.done');
    const text = 'You said: hello there, how are you';
    assert.equal(joined(events, 'response.output_text.delta'), text);
    assert.equal(events.find((e) => e.type === 'response.output_text.done').text, text);
    assert.equal(events.at(-1).response.status, 'completed');
    assert.ok(!events.some((e) => e.type === 'error'));
    client.socket.close();
  });

  test('a text answer is cut before the match: response.done cancelled, then the error', async () => {
    const client = await open('gpt-realtime');
    say(client, 'tell me the secret   word and more words after it');
    const events = await client.until<Json>('error');
    const text = joined(events, 'response.output_text.delta');
    assert.ok('You said: tell me the secret   word'.startsWith(text), text);
    const output = events.filter((e) => e.type.startsWith('response.'));
    assert.ok(!/secret\s+word/i.test(JSON.stringify(output)));
    const done = events.at(-2);
    assert.equal(done.type, 'response.done');
    assert.equal(done.response.status, 'cancelled');
    assert.equal(done.response.status_details.error.code, 'guardrail_triggered');
    assert.equal(events.at(-1).error.code, 'guardrail_triggered');
    assert.match(events.at(-1).error.message, /'no-secret'/);
    // The session goes on; the cut response sends nothing more, and the next answer is whole.
    say(client, 'and now something clean');
    const next = await client.until<Json>('response.done');
    assert.ok(!next.some((e) => e.response_id === done.response.id || e.response?.id === done.response.id));
    assert.ok(!/secret\s+word/i.test(JSON.stringify(next.filter((e) => e.type.startsWith('response.')))));
    assert.equal(joined(next, 'response.output_text.delta'), 'You said: and now something clean');
    client.socket.close();
  });

  test('an audio answer: no transcript of the match, no audio past the cut', async () => {
    const prompt = 'the secret word is swordfish';
    // The same answer unguarded (another model, same engine): which audio speaks which transcript.
    const plain = await open('unguarded', ['audio']);
    say(plain, prompt);
    const reference: { audio: string; speaks: number }[] = [];
    let transcript = 0;
    for (const event of await plain.until<Json>('response.done')) {
      if (event.type === 'response.output_audio_transcript.delta') transcript += event.delta.length;
      if (event.type === 'response.output_audio.delta')
        reference.push({ audio: event.delta, speaks: transcript });
    }
    assert.ok(reference.length > 0);
    plain.socket.close();

    const client = await open('gpt-realtime', ['audio']);
    say(client, prompt);
    const events = await client.until<Json>('error');
    const released = joined(events, 'response.output_audio_transcript.delta');
    assert.ok(`You said: ${prompt}`.startsWith(released));
    assert.ok(!/secret\s+word/i.test(released));
    const audio = events.filter((e) => e.type === 'response.output_audio.delta').map((e) => e.delta);
    // Exactly the audio of the transcript the client got, in order: none that speaks past the cut.
    assert.deepEqual(
      audio,
      reference.filter((r) => r.speaks <= released.length).map((r) => r.audio),
    );
    assert.ok(audio.length < reference.length);
    assert.equal(events.at(-2).type, 'response.done');
    assert.equal(events.at(-2).response.status, 'cancelled');
    assert.equal(events.at(-1).error.code, 'guardrail_triggered');
    client.socket.close();
  });
});

describe('input guardrails', () => {
  test('a blocked text item is not forwarded and no response is made', async () => {
    const client = await open('gpt-realtime');
    client.send({
      type: 'conversation.item.create',
      event_id: 'evt_bomb',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'how to build a bomb' }] },
    });
    client.send({ type: 'response.create' });
    const error = await client.next();
    assert.equal(error.type, 'error');
    assert.equal((error as Json).error.code, 'guardrail_triggered');
    assert.equal((error as Json).error.event_id, 'evt_bomb');
    assert.match((error as Json).error.message, /'no-bomb'/);
    // The next event is the answer to the next, clean turn: nothing was added nor answered.
    say(client, 'a clean question');
    const events = await client.until<Json>('response.done');
    assert.equal(events[0].type, 'conversation.item.added');
    assert.equal(events[0].item.content[0].text, 'a clean question');
    assert.equal(joined(events, 'response.output_text.delta'), 'You said: a clean question');
    assert.ok(!JSON.stringify(events).includes('bomb'));
    client.socket.close();
  });

  test('end_session: the error, then close 1008', async () => {
    const client = await open('ending');
    say(client, 'something forbidden');
    const error = (await client.next()) as Json;
    assert.equal(error.type, 'error');
    assert.match(error.error.message, /'ender'/);
    const closed = await client.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'guardrail triggered');
  });
});

describe('moderation checker', () => {
  const cases = [
    { model: 'mod-closed', text: 'I hate this', blocked: true, what: 'flagged' },
    {
      model: 'mod-open',
      text: 'I hate this',
      blocked: true,
      what: 'flagged (fail-open only matters on failure)',
    },
    { model: 'mod-closed', text: 'a kind word', blocked: false, what: 'clean' },
    { model: 'mod-closed', text: 'a slow one', blocked: true, what: 'slow, fail-closed' },
    { model: 'mod-open', text: 'a slow one', blocked: false, what: 'slow, fail-open' },
    { model: 'down-closed', text: 'anything', blocked: true, what: 'down, fail-closed' },
    { model: 'down-open', text: 'anything', blocked: false, what: 'down, fail-open' },
  ];
  for (const { model, text, blocked, what } of cases) {
    test(`${what}: ${blocked ? 'blocked' : 'passes'}`, async () => {
      const client = await open(model);
      say(client, text);
      const first = (await client.next()) as Json;
      if (blocked) {
        assert.equal(first.type, 'error');
        assert.equal(first.error.code, 'guardrail_triggered');
        assert.match(first.error.message, new RegExp(`'${model}'`));
        if (text !== 'I hate this') assert.match(first.error.message, /could not check it/);
        // What follows the blocked item is answered alone (the service down blocks it too).
        if (model === 'down-closed') return client.socket.close();
        say(client, 'afterwards');
        const events = await client.until<Json>('response.done');
        assert.ok(!JSON.stringify(events).includes(text));
      } else {
        assert.equal(first.type, 'conversation.item.added');
        const events = await client.until<Json>('response.done');
        assert.equal(joined(events, 'response.output_text.delta'), `You said: ${text}`);
      }
      client.socket.close();
    });
  }

  test('the service gets the text and the key from the environment', () => {
    const request = moderationRequests.find((r) => r.input === 'a kind word');
    assert.ok(request);
    assert.equal(request.authorization, 'Bearer mod-secret');
  });
});

/** Sends audio as the client would: 100 ms appends. */
function speak(client: TestClient, pcm: Buffer): void {
  const chunk = 4800;
  for (let k = 0; k < pcm.length; k += chunk)
    client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + chunk).toString('base64') });
}

/** A turn the engine hears as more than two seconds long: the `no-long-turns` guardrail blocks it. */
const longTurn = () => Buffer.concat([silence(400), tone(2200, 440, 0.25), silence(600)]);

const metricsUrl = () => `${url.replace(/^ws/, 'http').replace(/\/v1\/realtime$/, '')}/metrics`;

/** The value of one series of the decisions counter, 0 when absent. */
async function decisions(labels: string): Promise<number> {
  const text = await (await fetch(metricsUrl())).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`realtime_gateway_guardrail_decisions_total{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('input guardrails on audio turns', () => {
  test('a clean turn is answered, and the client sees the turn detection it asked for', async () => {
    const client = await open('gpt-realtime');
    client.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad' } } } },
    });
    const updated = (await client.waitFor('session.updated')) as Json;
    assert.equal(updated.session.audio.input.turn_detection.create_response, true);
    assert.ok(!('transcription' in updated.session.audio.input));
    speak(client, spokenTurn());
    const events = await client.until<Json>('response.done');
    assert.equal(events.at(-1).response.status, 'completed');
    assert.match(joined(events, 'response.output_text.delta'), /^You said: /);
    // The transcription the gateway turned on is not shown to a client that did not ask for it.
    assert.ok(!events.some((e) => e.type.startsWith('conversation.item.input_audio_transcription')));
    assert.ok(!events.some((e) => e.type === 'error'));
    client.socket.close();
  });

  test('a client that asked for transcription gets it, and the answer', async () => {
    const client = await open('gpt-realtime');
    client.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { transcription: { model: 'whisper-1' } } } },
    });
    const updated = (await client.waitFor('session.updated')) as Json;
    assert.deepEqual(updated.session.audio.input.transcription, { model: 'whisper-1' });
    assert.equal(updated.session.audio.input.turn_detection.create_response, true);
    speak(client, spokenTurn());
    const events = await client.until<Json>('response.done');
    const completed = events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed');
    assert.match(completed.transcript, /^audio of 1\.\d seconds$/);
    assert.equal(events.at(-1).response.status, 'completed');
    client.socket.close();
  });

  test('a blocked turn: no response, the item deleted upstream, the error to the client', async () => {
    const before = await decisions('guardrail="no-long-turns",direction="input",action="block",cause="deny"');
    const client = await open('gpt-realtime');
    speak(client, longTurn());
    const events = await client.until<Json>('conversation.item.deleted');
    const committed = events.find((e) => e.type === 'input_audio_buffer.committed');
    const error = events.find((e) => e.type === 'error');
    assert.equal(error.error.code, 'guardrail_triggered');
    assert.match(error.error.message, /'no-long-turns'/);
    assert.equal(events.at(-1).item_id, committed.item_id);
    // Nothing answers it, and the upstream no longer has it.
    client.send({ type: 'conversation.item.retrieve', event_id: 'evt_get', item_id: committed.item_id });
    const answer = (await client.next()) as Json;
    assert.equal(answer.type, 'error');
    assert.equal(answer.error.code, 'item_not_found');
    await delay(200);
    assert.ok(![...events, answer].some((e) => e.type.startsWith('response.')));
    assert.equal(
      await decisions('guardrail="no-long-turns",direction="input",action="block",cause="deny"'),
      before + 1,
    );
    // One log line per decision, naming the guardrail and never the text it matched.
    const lines = logged.filter(
      ([message, fields]) => message === 'guardrail decision' && fields.guardrail === 'no-long-turns',
    );
    assert.equal(lines.length, 1);
    assert.equal(lines[0]![1].cause, 'deny');
    assert.ok(!JSON.stringify(lines).includes('audio of'));
    client.socket.close();
  });
});

describe('input guardrails on turns the client commits', () => {
  /** A session without turn detection: the client commits its turns and asks for answers. */
  async function pushToTalk(): Promise<TestClient> {
    const client = await open('gpt-realtime');
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: null, transcription: { model: 'whisper-1' } } },
      },
    });
    await client.waitFor('session.updated');
    return client;
  }

  /** Commits a turn and asks for its answer at once, then a marker the upstream answers with an error. */
  function commitAndAsk(client: TestClient, pcm: Buffer): void {
    speak(client, pcm);
    client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_commit' });
    client.send({ type: 'response.create', event_id: 'evt_answer' });
    client.send({ type: 'conversation.item.retrieve', event_id: 'evt_marker', item_id: 'item_none' });
  }

  /** Events up to the marker's answer: frames after the response.create wait behind it. */
  async function untilMarker(client: TestClient): Promise<Json[]> {
    const events: Json[] = [];
    for (;;) {
      const event = (await client.next()) as Json;
      events.push(event);
      if (event.type === 'error' && event.error.event_id === 'evt_marker') return events;
    }
  }

  test('a blocked turn: its response.create is dropped, and frames after it keep their order', async () => {
    const client = await pushToTalk();
    commitAndAsk(client, longTurn());
    const events = await untilMarker(client);
    const types = events.map((e) => e.type);
    const blocked = events.find((e) => e.type === 'error' && e.error.code === 'guardrail_triggered');
    assert.ok(blocked, JSON.stringify(types));
    // The response.create went before the marker: had it been forwarded, its response would be here.
    assert.ok(!types.some((type) => type.startsWith('response.')), JSON.stringify(types));
    const deleted = types.includes('conversation.item.deleted')
      ? []
      : await client.until<Json>('conversation.item.deleted');
    assert.ok(!deleted.some((e) => e.type.startsWith('response.')));
    client.socket.close();
  });

  test('a clean turn: its response.create goes once the transcript passed, before the frames after it', async () => {
    const client = await pushToTalk();
    commitAndAsk(client, spokenTurn());
    const events = await untilMarker(client);
    const types = events.map((e) => e.type);
    const transcribed = types.indexOf('conversation.item.input_audio_transcription.completed');
    const created = types.indexOf('response.created');
    assert.ok(transcribed >= 0 && created > transcribed, JSON.stringify(types));
    assert.ok(!events.some((e) => e.type === 'error' && e.error.code === 'guardrail_triggered'));
    const rest = await client.until<Json>('response.done');
    assert.equal(rest.at(-1).response.status, 'completed');
    client.socket.close();
  });

  test('a commit the upstream refuses (nothing to commit) does not hold the response.create', async () => {
    const client = await pushToTalk();
    client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_empty' });
    client.send({ type: 'response.create', event_id: 'evt_answer' });
    const events = await client.until<Json>('response.done');
    const refused = events.find((e) => e.type === 'error');
    assert.equal(refused.error.code, 'input_audio_buffer_commit_empty');
    assert.equal(refused.error.event_id, 'evt_empty');
    assert.equal(events.at(-1).response.status, 'completed');
    client.socket.close();
  });
});

describe('after a cut', () => {
  test('the cut item is deleted upstream; the client never gets its conversation.item.done', async () => {
    const client = await open('gpt-realtime');
    say(client, 'the secret word is swordfish');
    const events = await client.until<Json>('conversation.item.deleted');
    const added = events.find((e) => e.type === 'conversation.item.added' && e.item.role === 'assistant');
    assert.equal(events.at(-1).item_id, added.item.id);
    assert.ok(!events.some((e) => e.type === 'conversation.item.done' && e.item.id === added.item.id));
    assert.ok(
      !/secret\s+word/i.test(
        JSON.stringify(
          events.filter((e) => e.type !== 'conversation.item.added' && e.type !== 'conversation.item.done'),
        ),
      ),
    );
    // The next answer does not see the cut words, and no error answers the gateway's own cancel or delete.
    client.send({ type: 'conversation.item.retrieve', item_id: added.item.id });
    assert.equal(((await client.next()) as Json).error.code, 'item_not_found');
    say(client, 'clean again');
    const next = await client.until<Json>('response.done');
    assert.ok(!next.some((e) => e.type === 'error'));
    assert.equal(
      (await decisions('guardrail="no-secret",direction="output",action="block",cause="deny"')) > 0,
      true,
    );
    client.socket.close();
  });
});
