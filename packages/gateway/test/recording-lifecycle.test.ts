/**
 * A session's recording across the events that end or replace its parts, over real sockets: the
 * reference engines as upstreams, WebSocket clients, files in a temporary folder. A session
 * whose upstream is lost and replaced (continuity) keeps one recording, with what both
 * upstreams said; a gateway closed with a live recorded session leaves a finished WAV file (its
 * header's sizes those of its data) and a whole events file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { createGateway, type Gateway } from '../src/gateway.js';
import { AUDIO_FILE, EVENTS_FILE } from '../src/recording/recorder.js';
import { parseWavHeader, WAV_HEADER_BYTES } from '../src/recording/wav.js';
import { spokenTurn } from './support/audio.js';
import { connect, eventually, type TestClient, testConfig } from './support/harness.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read events' fields as they go
type Json = any;

interface Rig {
  readonly gateway: Gateway;
  readonly engines: Map<string, RunningEngine>;
  readonly url: string;
  readonly dir: string;
  closed: boolean;
}

const rigs: Rig[] = [];

async function startRig(): Promise<Rig> {
  const engines = new Map<string, RunningEngine>();
  for (const name of ['alpha', 'beta']) engines.set(name, await startEngine({}));
  const dir = await mkdtemp(join(tmpdir(), 'recordings-'));
  const gateway = createGateway({
    config: testConfig({
      upstreams: [...engines].map(([name, engine]) => ({
        name,
        baseUrl: `http://127.0.0.1:${engine.port}/v1`,
      })),
      recording: { dir, include: 'both' },
    }),
  });
  const address = await gateway.listen();
  const rig = { gateway, engines, dir, url: `${address.realtimeUrl}?model=gpt-realtime`, closed: false };
  rigs.push(rig);
  return rig;
}

afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    if (!rig.closed) await rig.gateway.close();
    for (const engine of rig.engines.values()) await engine.close();
  }
});

function speak(client: TestClient, pcm: Buffer): void {
  for (let k = 0; k < pcm.length; k += 4800)
    client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 4800).toString('base64') });
}

/** A spoken turn and the model's answer (server VAD commits it, the engine answers with audio). */
async function spokenExchange(client: TestClient): Promise<Json[]> {
  speak(client, spokenTurn());
  const events = await client.until<Json>('response.done');
  assert.equal(events.at(-1).response.status, 'completed');
  return events;
}

/** A finished recording's files, read from the folder. */
async function filesOf(dir: string, sessionId: string): Promise<{ events: Json[]; wav: Buffer }> {
  const text = await readFile(join(dir, sessionId, EVENTS_FILE), 'utf8');
  return {
    events: text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
    wav: await readFile(join(dir, sessionId, AUDIO_FILE)),
  };
}

/** Samples of one channel of a stereo PCM16 WAV file. */
function channel(wav: Buffer, side: 0 | 1): Int16Array {
  const frames = (wav.length - WAV_HEADER_BYTES) / 4;
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) out[i] = wav.readInt16LE(WAV_HEADER_BYTES + i * 4 + side * 2);
  return out;
}

const audible = (track: Int16Array) => track.filter((sample) => sample !== 0).length;

/** Samples of the model audio the client received in `events`. */
function modelSamples(events: Json[]): number {
  return events
    .filter((e) => e.type === 'response.output_audio.delta')
    .reduce((sum, e) => sum + Buffer.from(e.delta, 'base64').length / 2, 0);
}

describe('recording', () => {
  test('a session whose upstream is lost and replaced keeps one recording, with both upstreams in it', async () => {
    const rig = await startRig();
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    const [session] = rig.gateway.registry.list();
    const sessionId = session!.id;
    const first = await spokenExchange(client);

    const serving = session!.upstream;
    await rig.engines.get(serving)!.close();
    await eventually(
      () => {
        const [now] = rig.gateway.registry.list();
        return now?.upstreams.length === 2 && now.state === 'open';
      },
      10_000,
      'the replacement upstream',
    );
    const replacement = rig.gateway.registry.list()[0]!.upstream;
    assert.notEqual(replacement, serving);
    const second = await spokenExchange(client);
    client.socket.close();
    await client.closed;
    await eventually(
      async () => (await rig.gateway.recordings!.lookup(sessionId)).status === 'ready',
      10_000,
      'the recording to finish',
    );

    assert.deepEqual(await readdir(rig.dir), [sessionId], 'one recording for the session');
    const { events, wav } = await filesOf(rig.dir, sessionId);
    // Everything the client received, from both upstreams, in order.
    const received = client.frames.map((f) => JSON.parse(f.data.toString()).type);
    assert.deepEqual(
      events.filter((l) => l.from === 'upstream').map((l) => l.event.type),
      received,
    );
    const answers = events.filter((l) => l.event?.type === 'response.done').map((l) => l.event.response.id);
    assert.deepEqual(answers, [first.at(-1).response.id, second.at(-1).response.id]);
    assert.equal(events.at(-1).end, true);

    // Both turns on the left, both answers on the right, whole.
    assert.equal(parseWavHeader(wav)?.dataBytes, wav.length - WAV_HEADER_BYTES);
    const turn = spokenTurn();
    const spoken = audible(new Int16Array(turn.buffer, turn.byteOffset, turn.length / 2));
    assert.equal(audible(channel(wav, 0)), 2 * spoken, 'the user audio of both turns');
    const model = modelSamples(first) + modelSamples(second);
    const right = audible(channel(wav, 1));
    assert.ok(right > 0 && right <= model, `${right} audible model samples of ${model}`);
    assert.ok(modelSamples(second) > 0 && right > modelSamples(first), 'the second answer is there too');
  });

  test('a gateway closed with a live recorded session leaves a finished WAV file and a whole events file', async () => {
    const rig = await startRig();
    const client = await connect(rig.url);
    await client.waitFor('session.created');
    const sessionId = rig.gateway.registry.list()[0]!.id;
    await spokenExchange(client);
    // Still talking when the gateway goes.
    speak(client, spokenTurn());
    await client.waitFor('input_audio_buffer.speech_started');
    rig.closed = true;
    await rig.gateway.close();
    await client.closed;

    const { events, wav } = await filesOf(rig.dir, sessionId);
    const header = parseWavHeader(wav);
    assert.deepEqual(header, {
      channels: 2,
      sampleRate: 24_000,
      bitsPerSample: 16,
      dataBytes: wav.length - WAV_HEADER_BYTES,
    });
    assert.equal(wav.readUInt32LE(4), wav.length - 8, 'the RIFF size');
    assert.ok(audible(channel(wav, 0)) > 0 && audible(channel(wav, 1)) > 0);
    assert.ok('recording' in events[0], 'the first line says what is recorded');
    assert.equal(events.at(-1).end, true, 'the last line ends it');
    assert.ok(events.some((l) => l.event?.type === 'input_audio_buffer.speech_started'));
  });
});
