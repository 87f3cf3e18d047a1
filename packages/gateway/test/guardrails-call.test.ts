/**
 * Guardrails on WebRTC calls the gateway terminates, against real components: the reference
 * engine as the upstream (its echo brain answers "You said: <text>", 40 ms of tone per
 * character of transcript, streamed faster than real time), a werift caller over loopback UDP
 * with the `oai-events` data channel and Opus both ways. What the caller hears is decoded from
 * the RTP it receives; the engine transcribes an audio turn as "audio of N.N seconds". Output
 * rules on audio and text answers, `end_session`, and input rules on a text item and a spoken turn.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { createGateway, type Gateway } from '../src/gateway.js';
import { silence } from './support/audio.js';
import { delay, eventually, keyEntry, testConfig } from './support/harness.js';
import { hangUp, placeCall, TestCaller, tone } from './support/webrtc-client.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read events' fields as they go
type Json = any;

const APP = 'sk-app';
/** The engine's speech: milliseconds of audio per character of transcript. */
const MS_PER_CHARACTER = 40;

let engine: RunningEngine;
let gateway: Gateway;
let base: string;
const callers: TestCaller[] = [];

before(async () => {
  // Deltas 10 ms apart: a word's audio (about 240 ms) comes in some 30 ms, so audio is queued
  // for the call far ahead of what has played when a cut comes.
  engine = await startEngine({ deltaDelayMs: 10 });
  const config = testConfig({
    upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
    auth: { keys: [keyEntry('app', APP)] },
    webrtc: { iceAddresses: ['127.0.0.1'], connectTimeoutMs: 5000 },
    guardrails: [
      { name: 'no-secret', on: 'output', deny: ['secret\\s+word'], maxMatchChars: 16 },
      { name: 'no-goodbye', on: 'output', deny: ['forbidden\\s+farewell'], action: 'end_session' },
      { name: 'no-bomb', on: 'input', deny: ['\\bbomb\\b'] },
      { name: 'no-long-turns', on: 'input', deny: ['audio of [2-9]\\.\\d seconds'] },
    ],
    log: { level: 'silent' },
  });
  gateway = createGateway({ config });
  ({ url: base } = await gateway.listen());
});

after(async () => {
  await Promise.all(callers.map((caller) => caller.close().catch(() => {})));
  await gateway.close();
  await engine.close();
});

/** A connected call and its session's `session.created`. */
async function call(): Promise<{ caller: TestCaller; id: string }> {
  const caller = new TestCaller();
  callers.push(caller);
  const id = await placeCall(caller, base, APP);
  await caller.waitFor('session.created');
  return { caller, id };
}

async function end(id: string): Promise<void> {
  assert.equal(await hangUp(base, id, APP), 200);
  await eventually(() => gateway.registry.size === 0, 10_000, 'the call to end');
}

/** The events of the response-making kind (not the user's own item, which holds its text). */
const responseEvents = (caller: TestCaller) =>
  caller.events.filter((event) => String(event.type).startsWith('response.'));

const transcript = (caller: TestCaller) =>
  caller.events
    .filter((event) => event.type === 'response.output_audio_transcript.delta')
    .map((event) => event.delta)
    .join('');

describe('an output guardrail on a call', () => {
  test('a cut audio answer: no matched transcript, output_audio_buffer.cleared, and no audio past the cut', {
    timeout: 30_000,
  }, async () => {
    const { caller, id } = await call();
    const prompt = `${'some clean words that go on and on, '.repeat(6)}then the secret word is swordfish`;
    caller.ask(prompt);
    await caller.waitFor('output_audio_buffer.started', 15_000);
    const startedAt = Date.now();
    const cleared = await caller.waitFor('output_audio_buffer.cleared', 15_000);
    const clearedAt = Date.now();
    const heardAtCut = caller.heard.length;
    const error = (await caller.waitFor('error')) as Json;
    assert.equal(error.error.code, 'guardrail_triggered');
    assert.match(error.error.message, /'no-secret'/);
    const done = caller.events.find((event) => event.type === 'response.done') as Json;
    assert.equal(done.response.status, 'cancelled');
    assert.equal(cleared.response_id, done.response.id);
    const types = caller.events.map((event) => event.type);
    assert.ok(types.indexOf('output_audio_buffer.cleared') < types.indexOf('response.done'));

    // Time for any audio still on its way to come, had the playout not been cleared.
    await delay(1500);
    assert.ok(!/secret\s+word/i.test(JSON.stringify(responseEvents(caller))));
    const released = transcript(caller);
    assert.ok(`You said: ${prompt}`.startsWith(released), released);
    const releasedMs = released.length * MS_PER_CHARACTER;
    const heardMs = caller.loudMs();
    // What was released before the cut would play for seconds; the caller heard what had
    // played by the time of the cut, and nothing after it.
    assert.ok(releasedMs >= 5000, `released ${releasedMs} ms of audio before the cut`);
    assert.ok(
      heardMs <= clearedAt - startedAt + 400,
      `heard ${heardMs} ms, ${clearedAt - startedAt} ms from started to cleared`,
    );
    assert.ok(heardMs <= releasedMs - 2500, `heard ${heardMs} ms of ${releasedMs} ms released`);
    assert.ok(caller.loudMs(heardAtCut) <= 200, `heard ${caller.loudMs(heardAtCut)} ms after the cut`);
    assert.ok(!types.includes('output_audio_buffer.stopped'), 'a cleared response is not also stopped');

    // The call goes on: a clean answer after the cut plays.
    const before = caller.events.length;
    caller.ask('and now something clean');
    await caller.waitFor('output_audio_buffer.stopped', 20_000, before);
    assert.ok(caller.loudMs(heardAtCut) >= 1000);
    await end(id);
  });

  test('a cut text answer: no matched text on the data channel, nothing to clear, and the call goes on', {
    timeout: 30_000,
  }, async () => {
    const { caller, id } = await call();
    caller.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'write it down: the secret word is swordfish' }],
      },
    });
    caller.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const error = (await caller.waitFor('error', 15_000)) as Json;
    assert.match(error.error.message, /'no-secret'/);
    const done = caller.events.find((event) => event.type === 'response.done') as Json;
    assert.equal(done.response.status, 'cancelled');
    const text = caller.events
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('');
    assert.ok(text.startsWith('You said: write it down'), text);
    assert.ok(!/secret\s+word/i.test(JSON.stringify(responseEvents(caller))));
    assert.ok(
      !caller.events.some((event) => event.type === 'output_audio_buffer.cleared'),
      'no audio to clear',
    );
    assert.equal(caller.loudMs(), 0, 'nothing heard');
    await end(id);
  });

  test('a clean answer plays in full', { timeout: 30_000 }, async () => {
    const { caller, id } = await call();
    caller.ask('hello there');
    const done = (await caller.waitFor('response.done', 15_000)) as Json;
    assert.equal(done.response.status, 'completed');
    await caller.waitFor('output_audio_buffer.stopped', 15_000);
    const text = 'You said: hello there';
    assert.equal(transcript(caller), text);
    const expected = text.length * MS_PER_CHARACTER;
    const heard = caller.loudMs();
    assert.ok(Math.abs(heard - expected) <= 120, `heard ${heard} ms of ${expected} ms`);
    assert.ok(
      !caller.events.some((event) => event.type === 'error' || event.type === 'output_audio_buffer.cleared'),
    );
    await end(id);
  });
});

describe('an end_session guardrail on a call', () => {
  test('the answer is cut, the caller told, and the call ended: its data channel closes, the session is gone', {
    timeout: 30_000,
  }, async () => {
    const { caller } = await call();
    caller.ask('say the forbidden farewell');
    const error = (await caller.waitFor('error', 15_000)) as Json;
    assert.equal(error.error.code, 'guardrail_triggered');
    assert.match(error.error.message, /'no-goodbye'/);
    const done = caller.events.find((event) => event.type === 'response.done') as Json;
    assert.equal(done.response.status, 'cancelled');
    await caller.until(() => caller.channel.readyState === 'closed', 10_000, 'the call to end');
    await eventually(() => gateway.registry.size === 0, 10_000, 'the session to end');
    assert.ok(!/forbidden\s+farewell/i.test(JSON.stringify(responseEvents(caller))));
  });
});

describe('input guardrails on a call', () => {
  test('a blocked text item sent on the data channel: the error, no response, nothing heard', {
    timeout: 30_000,
  }, async () => {
    const { caller, id } = await call();
    caller.ask('how to build a bomb', 'evt_bomb');
    const error = (await caller.waitFor('error')) as Json;
    assert.equal(error.error.code, 'guardrail_triggered');
    assert.equal(error.error.event_id, 'evt_bomb');
    assert.match(error.error.message, /'no-bomb'/);
    // The next events answer the next, clean turn: nothing was added nor answered before it.
    const after = caller.events.length;
    caller.ask('a clean question');
    await caller.waitFor('response.done', 15_000, after);
    const next = caller.events.slice(after);
    assert.equal(next[0]!.type, 'conversation.item.added');
    assert.equal((next[0] as Json).item.content[0].text, 'a clean question');
    assert.ok(!JSON.stringify(next).includes('bomb'));
    assert.equal(caller.events.filter((event) => event.type === 'response.created').length, 1);
    assert.equal(transcript(caller), 'You said: a clean question');
    await end(id);
  });

  test('a blocked audio turn spoken on the call: the error, the item deleted, no response', {
    timeout: 30_000,
  }, async () => {
    const { caller, id } = await call();
    const heardBefore = caller.heard.length;
    // More than two seconds of speech: its transcript, "audio of 2.x seconds", is denied.
    await caller.speak(Buffer.concat([silence(400), tone(2200, 440, 0.25), silence(700)]));
    const error = (await caller.waitFor('error', 15_000)) as Json;
    assert.equal(error.error.code, 'guardrail_triggered');
    assert.match(error.error.message, /'no-long-turns'/);
    const committed = (await caller.waitFor('input_audio_buffer.committed')) as Json;
    const deleted = (await caller.waitFor('conversation.item.deleted', 10_000)) as Json;
    assert.equal(deleted.item_id, committed.item_id);
    await delay(1000);
    assert.ok(!caller.events.some((event) => String(event.type).startsWith('response.')));
    assert.ok(!caller.events.some((event) => String(event.type).startsWith('output_audio_buffer.')));
    assert.equal(caller.loudMs(heardBefore), 0, 'nothing was played');
    await end(id);
  });
});
