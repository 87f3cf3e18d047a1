/**
 * Recording of WebRTC calls the gateway terminates, against real components: the reference
 * engine as the upstream (it answers a spoken turn with a synthesized tone, 40 ms a character
 * of its transcript), a werift caller over loopback UDP speaking Opus into its microphone
 * track. A call's audio is media: the recording holds the caller's microphone as decoded (left)
 * and the audio played to the call (right), aligned in time, and the events as relayed; it is
 * finished however the call ends: hangup, the upstream lost, the gateway shut down.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { hashKey } from '../src/auth/credentials.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parseWavHeader, WAV_HEADER_BYTES } from '../src/recording/wav.js';
import { silence } from './support/audio.js';
import { eventually, keyEntry, testConfig } from './support/harness.js';
import { hangUp, placeCall, TestCaller, tone } from './support/webrtc-client.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read events' fields as they go
type Json = any;

const APP = 'sk-app';
const ADMIN_KEY = 'rg-admin-secret';
const SECRET = 'sk-live-SECRET-1234';
/** A sample level the engine's and the test's tones pass most of the time, and Opus's silence never. */
const AUDIBLE = 64;

/** A gateway recording calls to a folder of its own, in front of an engine of its own. */
interface Rig {
  readonly engine: RunningEngine;
  readonly gateway: Gateway;
  readonly base: string;
  readonly dir: string;
}

const rigs: Rig[] = [];
const callers: TestCaller[] = [];

async function rig(): Promise<Rig> {
  const engine = await startEngine({});
  const dir = await mkdtemp(join(tmpdir(), 'call-recordings-'));
  const config = testConfig({
    upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
    auth: { keys: [keyEntry('app', APP)] },
    admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
    webrtc: { iceAddresses: ['127.0.0.1'], connectTimeoutMs: 5000 },
    recording: { dir, include: 'both' },
    log: { level: 'silent' },
  });
  const gateway = createGateway({ config });
  const made = { engine, gateway, base: (await gateway.listen()).url, dir };
  rigs.push(made);
  return made;
}

/** A connected call on `on`, and its session's id. */
async function call(on: Rig): Promise<{ caller: TestCaller; id: string; sessionId: string }> {
  const caller = new TestCaller();
  callers.push(caller);
  const id = await placeCall(caller, on.base, APP);
  await caller.waitFor('session.created');
  const [session] = on.gateway.registry.list();
  assert.ok(session, 'the call is a session');
  return { caller, id, sessionId: session.id };
}

/** A finished recording's files, read from its folder once the WAV header has its sizes. */
async function finished(on: Rig, sessionId: string): Promise<{ events: Json[]; wav: Buffer }> {
  const folder = join(on.dir, sessionId);
  let wav = Buffer.alloc(0);
  await eventually(
    async () => {
      const size = await stat(join(folder, 'audio.wav')).then(
        (s) => s.size,
        () => 0,
      );
      if (size <= WAV_HEADER_BYTES) return false;
      wav = await readFile(join(folder, 'audio.wav'));
      return parseWavHeader(wav)?.dataBytes === wav.length - WAV_HEADER_BYTES;
    },
    10_000,
    'the recording to finish',
  );
  const text = await readFile(join(folder, 'events.jsonl'), 'utf8');
  const events = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
  assert.equal(events.at(-1).end, true, 'the events file is complete');
  return { events, wav };
}

/** One channel of a stereo PCM16 WAV. */
function track(wav: Buffer, side: 0 | 1): Int16Array {
  const out = new Int16Array((wav.length - WAV_HEADER_BYTES) / 4);
  for (let i = 0; i < out.length; i++) out[i] = wav.readInt16LE(WAV_HEADER_BYTES + i * 4 + side * 2);
  return out;
}

/** What the caller heard, as one track. */
const heard = (caller: TestCaller) => {
  const pcm = Buffer.concat(caller.heard);
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
};

/**
 * Milliseconds of sound: samples above a low level, counted one by one, so that silence the
 * recording lays between two chunks (relay jitter) adds nothing.
 */
const soundMs = (samples: Int16Array) => samples.filter((s) => Math.abs(s) > AUDIBLE).length / 24;
const onsetMs = (samples: Int16Array) => samples.findIndex((s) => Math.abs(s) > AUDIBLE) / 24;

after(async () => {
  for (const caller of callers) await caller.close().catch(() => {});
  // A test may have closed its rig's engine or gateway already.
  for (const { gateway, engine } of rigs) {
    await gateway.close().catch(() => {});
    await engine.close().catch(() => {});
  }
});

describe('a recorded call', () => {
  let main: Rig;
  before(async () => {
    main = await rig();
  });

  test('the microphone on the left, the audio played on the right, aligned; events as relayed, redacted', {
    timeout: 40_000,
  }, async () => {
    const { caller, id, sessionId } = await call(main);
    caller.send({ type: 'session.update', session: { type: 'realtime', api_key: SECRET } });
    // A spoken turn: the engine's voice detection ends it and the engine answers it in audio.
    await caller.speak(Buffer.concat([silence(300), tone(1000, 440, 0.25), silence(700)]));
    await caller.waitFor('output_audio_buffer.stopped', 15_000);
    const heardMs = soundMs(heard(caller));
    assert.equal(await hangUp(main.base, id, APP), 200);
    const { events, wav } = await finished(main, sessionId);

    const header = parseWavHeader(wav)!;
    assert.deepEqual(
      { channels: header.channels, sampleRate: header.sampleRate, bitsPerSample: header.bitsPerSample },
      { channels: 2, sampleRate: 24_000, bitsPerSample: 16 },
    );
    const user = track(wav, 0);
    const model = track(wav, 1);
    // The caller's second of tone, as the gateway decoded it; what the caller heard, as played.
    assert.ok(Math.abs(soundMs(user) - 1000) <= 60, `left: ${soundMs(user)} ms of 1000 ms spoken`);
    assert.ok(Math.abs(soundMs(model) - heardMs) <= 60, `right: ${soundMs(model)} ms, heard ${heardMs} ms`);
    // Each where the relay's clock puts it: the speech where the engine heard it start (its
    // detection a little later), the answer where the caller was told it started playing.
    const at = (type: string): number => events.find((line) => line.event?.type === type).t;
    const detected = at('input_audio_buffer.speech_started') - onsetMs(user);
    assert.ok(detected >= -20 && detected <= 500, `speech detected ${detected} ms after its start`);
    const started = at('output_audio_buffer.started');
    assert.ok(
      Math.abs(onsetMs(model) - started) <= 40,
      `answer at ${onsetMs(model)} ms, started at ${started} ms`,
    );
    assert.ok(onsetMs(model) >= onsetMs(user) + 1000, 'the answer comes after the speech');

    assert.equal(events[0].recording.sessionId, sessionId);
    const text = JSON.stringify(events);
    assert.ok(!text.includes(SECRET), 'the secret is redacted');
    // Audio is in the WAV file: event lines give its size, never its bytes.
    assert.ok(!/[A-Za-z0-9+/]{200,}/.test(text), 'no base64 audio in the events');
    const appends = events.filter((line) => line.event?.type === 'input_audio_buffer.append');
    assert.ok(appends.length > 50 && appends.every((line) => line.from === 'client'));
    const update = events.find((line) => line.event?.type === 'session.update');
    assert.equal(update.from, 'client');
    // The playout events the caller was sent are recorded as the other events it was sent.
    const playout = events
      .filter(
        (line) => line.from === 'upstream' && String(line.event?.type).startsWith('output_audio_buffer.'),
      )
      .map((line) => line.event.type);
    assert.deepEqual(playout, ['output_audio_buffer.started', 'output_audio_buffer.stopped']);
    const sent = caller.events.map((event) => event.type);
    const recorded = events.filter((line) => line.from === 'upstream').map((line) => line.event.type);
    assert.deepEqual(
      recorded.filter((type) => type !== 'response.output_audio.delta'),
      sent,
      'what the caller was sent on its data channel, in order',
    );
  });

  test('an interrupted answer is recorded as far as it played', { timeout: 40_000 }, async () => {
    const { caller, id, sessionId } = await call(main);
    caller.ask('Talk for a while. '.repeat(8));
    await caller.waitFor('output_audio_buffer.started', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    caller.send({ type: 'output_audio_buffer.clear' });
    await caller.waitFor('output_audio_buffer.cleared');
    const truncated = (await caller.waitFor('conversation.item.truncated')) as Json;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const heardMs = soundMs(heard(caller));
    assert.equal(await hangUp(main.base, id, APP), 200);
    const { wav } = await finished(main, sessionId);
    const model = soundMs(track(wav, 1));
    // Far less than the answer's 11 s: what played until the clear, which the item was cut at.
    assert.ok(Math.abs(model - heardMs) <= 100, `right: ${model} ms, heard ${heardMs} ms`);
    assert.ok(
      Math.abs(model - truncated.audio_end_ms) <= 100,
      `right: ${model} ms, cut at ${truncated.audio_end_ms}`,
    );
  });
});

describe('a call recording is finished however the call ends', () => {
  const endings: { readonly how: string; readonly end: (on: Rig) => Promise<void> }[] = [
    {
      how: 'the upstream lost',
      end: async (on) => {
        await on.engine.close();
        await eventually(() => on.gateway.registry.size === 0, 10_000, 'the call to end');
      },
    },
    { how: 'the gateway shut down', end: (on) => on.gateway.close() },
  ];
  for (const { how, end } of endings) {
    test(how, { timeout: 30_000 }, async () => {
      const own = await rig();
      const { caller, sessionId } = await call(own);
      caller.ask('hello');
      await caller.waitFor('output_audio_buffer.stopped', 15_000);
      await end(own);
      const { wav } = await finished(own, sessionId);
      assert.ok(soundMs(track(wav, 1)) >= 400);
    });
  }
});
