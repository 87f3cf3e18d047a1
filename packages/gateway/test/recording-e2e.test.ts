/**
 * Session recording inside a running gateway, against the reference engine as the upstream
 * (it answers an audio turn with synthesized audio) and WebSocket clients: the events file and
 * the WAV file of a session with an interruption (the model channel cut where the client
 * stopped playing), redaction, a guardrail-blocked text, the
 * admin endpoint, retention, and recordings completed after an admin terminate.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { hashKey } from '../src/auth/credentials.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parseWavHeader, WAV_HEADER_BYTES } from '../src/recording/wav.js';
import { spokenTurn } from './support/audio.js';
import { connect, eventually, type TestClient, testConfig } from './support/harness.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read events' fields as they go
type Json = any;

const ADMIN_KEY = 'rg-admin-secret';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
let engine: RunningEngine;
let gateway: Gateway;
let url: string;
let base: string;
let dir: string;

before(async () => {
  engine = await startEngine({});
  dir = await mkdtemp(join(tmpdir(), 'recordings-'));
  const config = testConfig({
    upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
    admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
    guardrails: [{ name: 'no-weapons', on: 'input', deny: ['\\bbomb\\b'] }],
    recording: { dir, include: 'both', retentionDays: 7 },
  });
  gateway = createGateway({ config });
  url = (await gateway.listen()).realtimeUrl;
  base = url.replace(/^ws/, 'http').replace(/\/v1\/realtime$/, '');
});

after(async () => {
  await gateway.close();
  await engine.close();
});

function speak(client: TestClient, pcm: Buffer): void {
  for (let k = 0; k < pcm.length; k += 4800)
    client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 4800).toString('base64') });
}

/** The one live session's id, from the admin API. */
async function liveSessionId(): Promise<string> {
  const list = (await (await fetch(`${base}/admin/sessions`, { headers: admin })).json()) as Json;
  assert.equal(list.data.length, 1);
  return list.data[0].id;
}

/** A finished recording's files, once the admin API serves them. */
async function recording(id: string): Promise<{ events: Json[]; wav: Buffer }> {
  let events: Response | null = null;
  await eventually(
    async () => {
      events = await fetch(`${base}/admin/sessions/${id}/recording`, { headers: admin });
      return events.status === 200;
    },
    10_000,
    'the recording to finish',
  );
  const text = await events!.text();
  const wav = await fetch(`${base}/admin/sessions/${id}/recording/audio.wav`, { headers: admin });
  assert.equal(wav.status, 200);
  assert.equal(wav.headers.get('content-type'), 'audio/wav');
  return {
    events: text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
    wav: Buffer.from(await wav.arrayBuffer()),
  };
}

function channel(wav: Buffer, side: 0 | 1): Int16Array {
  const frames = (wav.length - WAV_HEADER_BYTES) / 4;
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) out[i] = wav.readInt16LE(WAV_HEADER_BYTES + i * 4 + side * 2);
  return out;
}

/** Where `expected` starts in `track`, searched near `near` (event times are whole milliseconds). */
function offsetOf(track: Int16Array, expected: Int16Array, near: number): number {
  for (let start = Math.max(0, near - 48); start <= near + 48; start++) {
    if (expected.every((sample, i) => track[start + i] === sample)) return start;
  }
  return -1;
}

const pcmOf = (b64s: string[]) => {
  const bytes = Buffer.concat(b64s.map((b) => Buffer.from(b, 'base64')));
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2).slice();
};

describe('a recorded session', () => {
  test('an audio turn with an interruption, a secret and a blocked text: events and audio as relayed', async () => {
    const client = await connect(`${url}?model=gpt-realtime`);
    await client.waitFor('session.created');
    const id = await liveSessionId();
    client.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'build a bomb now' }] },
    });
    await client.waitFor('error');
    client.send({
      type: 'session.update',
      session: { type: 'realtime', api_key: 'sk-live-SECRET-1234' } as Json,
    });
    await client.waitFor('session.updated').catch(() => null);
    const user = spokenTurn();
    speak(client, user);
    const answer = await client.until<Json>('response.done');
    const deltas = answer.filter((e) => e.type === 'response.output_audio.delta');
    assert.ok(deltas.length > 0, 'the engine answered with audio');
    client.send({
      type: 'conversation.item.truncate',
      item_id: deltas[0].item_id,
      content_index: 0,
      audio_end_ms: 100,
    });
    await client.waitFor('conversation.item.truncated');
    client.socket.close();
    await client.closed;
    const { events, wav } = await recording(id);

    // Every event both ways, in the order relayed; the client's as the client received them.
    const received = client.frames.map((f) => JSON.parse(f.data.toString()).type);
    const fromUpstream = events.filter((l) => l.from === 'upstream').map((l) => l.event.type);
    assert.deepEqual(fromUpstream, received);
    assert.equal(events.at(-1).end, true);
    const text = JSON.stringify(events);
    assert.ok(!text.includes('SECRET'), 'the secret is redacted');
    const bomb = events.filter((l) => JSON.stringify(l).includes('bomb'));
    assert.deepEqual(bomb, [], 'the blocked text never reached the recording');
    // The blocked item is there, from the client, its text replaced by a marker naming the guardrail.
    const blocked = events.filter((l) => l.blocked !== undefined);
    assert.deepEqual(
      blocked.map((l) => [l.from, l.blocked, l.event.type, l.event.item.content[0].text]),
      [['client', 'no-weapons', 'conversation.item.create', "[blocked by guardrail 'no-weapons']"]],
    );
    assert.ok(
      events.indexOf(blocked[0]) < events.findIndex((l) => l.event?.type === 'error'),
      'before the error the client got for it',
    );
    assert.ok(!text.includes(deltas[0].delta.slice(0, 40)), 'no base64 payload');
    assert.ok(events.some((l) => l.event?.type === 'conversation.item.truncate'));

    // The WAV file: stereo, 24 kHz, the header's sizes set; the user left, the model right.
    const header = parseWavHeader(wav)!;
    assert.deepEqual(header, {
      channels: 2,
      sampleRate: 24_000,
      bitsPerSample: 16,
      dataBytes: wav.length - 44,
    });
    const left = channel(wav, 0);
    const right = channel(wav, 1);
    const sent = new Int16Array(user.buffer, user.byteOffset, user.length / 2);
    // The client stopped playing the answer 100 ms in: the model channel holds what was heard.
    const played = 24 * 100;
    const whole = pcmOf(deltas.map((d) => d.delta));
    assert.ok(whole.length > played, 'the answer was longer than what was played');
    const model = whole.subarray(0, played);
    const firstAppend = events.find((l) => l.event?.type === 'input_audio_buffer.append').t;
    const firstDelta = events.find((l) => l.event?.type === 'response.output_audio.delta').t;
    const leftAt = offsetOf(left, sent, Math.round(firstAppend * 24));
    const rightAt = offsetOf(right, model, Math.round(firstDelta * 24));
    assert.ok(leftAt >= 0, 'the user audio is on the left channel, at the time it was sent');
    assert.ok(rightAt >= 0, 'the model audio is on the right channel, at the time it was relayed');
    assert.ok(
      rightAt >= leftAt + sent.length - 24 * 20 || rightAt > leftAt,
      'the answer comes after the turn',
    );
    // Nothing but silence elsewhere: the file holds exactly the audio sent and received.
    const loud = (track: Int16Array, from: number, to: number) =>
      track.some((s, i) => (i < from || i >= to) && s !== 0);
    assert.ok(!loud(left, leftAt, leftAt + sent.length));
    assert.ok(
      !loud(right, rightAt, rightAt + model.length),
      'nothing of the answer after the truncation point',
    );
    assert.ok(left.length >= Math.max(leftAt + sent.length, rightAt + model.length));
  });

  test('the admin endpoint refuses without the key, and answers 404 for a session without a recording', async () => {
    assert.equal((await fetch(`${base}/admin/sessions/sess_nope/recording`)).status, 401);
    assert.equal((await fetch(`${base}/admin/sessions/sess_nope/recording`, { headers: admin })).status, 404);
    assert.equal(
      (await fetch(`${base}/admin/sessions/..%2F..%2Fetc/recording`, { headers: admin })).status,
      404,
    );
  });

  test('a session terminated by an operator has a complete recording', async () => {
    const client = await connect(`${url}?model=gpt-realtime`);
    await client.waitFor('session.created');
    const id = await liveSessionId();
    speak(client, spokenTurn());
    await client.waitFor('input_audio_buffer.speech_started');
    const terminated = await fetch(`${base}/admin/sessions/${id}`, { method: 'DELETE', headers: admin });
    assert.equal(terminated.status, 200);
    await client.closed;
    const { events, wav } = await recording(id);
    assert.equal(events.at(-1).end, true);
    assert.equal(parseWavHeader(wav)?.dataBytes, wav.length - WAV_HEADER_BYTES);
    assert.ok(
      channel(wav, 0).some((s) => s !== 0),
      'the user audio is in it',
    );
  });

  test('recordings started, finished and bytes written are counted', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(name))
          ?.split(' ')
          .at(-1),
      );
    assert.ok(value('realtime_gateway_recordings_started_total') >= 2);
    assert.ok(value('realtime_gateway_recordings_finished_total{outcome="ok"}') >= 2);
    assert.ok(value('realtime_gateway_recording_bytes_written_total') > 0);
    assert.equal(value('realtime_gateway_recording_frames_dropped_total'), 0);
  });

  test('retention deletes recordings older than retentionDays, and keeps the others', async () => {
    const old = join(dir, 'sess_old');
    await mkdir(old);
    const long = new Date(Date.now() - 8 * 86_400_000);
    await utimes(old, long, long);
    const before = await readdir(dir);
    const deleted = await gateway.recordings!.sweep();
    assert.deepEqual(deleted, ['sess_old']);
    assert.deepEqual(
      await readdir(dir),
      before.filter((name) => name !== 'sess_old'),
    );
  });
});
