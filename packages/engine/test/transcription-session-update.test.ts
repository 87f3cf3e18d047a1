/**
 * `transcription_session.update` over a real WebSocket: applied to a transcription session and
 * answered with `transcription_session.updated`, refused on a conversation session and when
 * malformed, with the session going on; every event the engine sends passes the strict parser
 * and the spec's shapes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CheckedEngine,
  EngineClient,
  type Event,
  startCheckedEngine,
  userText,
} from './support/engine-client.js';

let engine: CheckedEngine;
before(async () => {
  engine = await startCheckedEngine();
});
after(async () => {
  await engine.close();
  assert.ok(engine.checked() > 10);
  assert.deepEqual(engine.nonConforming, [], 'every event passes the strict parser');
});

async function open(query: string): Promise<EngineClient> {
  const client = await EngineClient.open(`${engine.url}?${query}`);
  assert.equal((await client.next()).type, 'session.created');
  return client;
}

describe('transcription_session.update', () => {
  test('updates a transcription session and shows the effective settings in the flat shape', async () => {
    const client = await open('intent=transcription');
    client.send({
      type: 'transcription_session.update',
      event_id: 'evt_t1',
      session: {
        input_audio_format: 'g711_ulaw',
        input_audio_transcription: { model: 'gpt-4o-mini-transcribe', language: 'fr' },
        turn_detection: { silence_duration_ms: 300 },
        input_audio_noise_reduction: { type: 'near_field' },
      },
    });
    const updated = await client.next();
    assert.equal(updated.type, 'transcription_session.updated');
    assert.deepEqual(updated.session, {
      input_audio_format: 'g711_ulaw',
      input_audio_transcription: { model: 'gpt-4o-mini-transcribe', language: 'fr' },
      modalities: ['text'],
      turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
    });
    // The same session, asked in GA terms, has the settings under audio.input.
    client.send({ type: 'session.update', session: { type: 'transcription' } });
    const input = ((await client.waitFor('session.updated')).session as { audio: { input: Event } }).audio
      .input;
    assert.deepEqual(input.format, { type: 'audio/pcmu' });
    assert.deepEqual(input.noise_reduction, { type: 'near_field' });
    client.close();
  });

  test('turns turn detection off with null, and the client commits', async () => {
    const client = await open('intent=transcription');
    client.send({ type: 'transcription_session.update', session: { turn_detection: null } });
    const updated = await client.waitFor('transcription_session.updated');
    assert.equal((updated.session as Event).turn_detection, null);
    client.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(9600).toString('base64') });
    client.send({ type: 'input_audio_buffer.commit' });
    await client.waitFor('input_audio_buffer.committed');
    client.close();
  });

  test('a malformed one is refused by path and changes nothing', async () => {
    const client = await open('intent=transcription');
    client.send({
      type: 'transcription_session.update',
      event_id: 'bad',
      session: { input_audio_format: 'pcm24' },
    });
    const error = (await client.waitFor('error')).error as Event;
    assert.deepEqual(
      [error.code, error.param, error.event_id],
      ['invalid_value', 'session.input_audio_format', 'bad'],
    );
    client.send({ type: 'transcription_session.update', session: {} });
    const updated = (await client.waitFor('transcription_session.updated')).session as Event;
    assert.equal(updated.input_audio_format, 'pcm16');
    client.close();
  });

  test('sent to a conversation session, it is an error naming the problem, and the session goes on', async () => {
    const client = await open('model=gpt-realtime');
    client.send({
      type: 'transcription_session.update',
      event_id: 'evt_c',
      session: { input_audio_format: 'pcm16' },
    });
    const error = (await client.waitFor('error')).error as Event;
    assert.deepEqual(
      [error.type, error.code, error.param, error.event_id],
      ['invalid_request_error', 'invalid_value', 'type', 'evt_c'],
    );
    assert.match(error.message as string, /transcription sessions only/);
    client.send(userText('still here'));
    await client.waitFor('conversation.item.done');
    client.close();
  });
});
