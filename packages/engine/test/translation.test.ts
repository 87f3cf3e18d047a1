/**
 * Translation sessions on the engine over a real WebSocket: audio in 200 ms frames gives one
 * translated audio frame each, with `elapsed_ms` advancing; a phrase gives its source
 * transcript (with transcription on) and its translation; `session.update`, `session.close`
 * and refusals. Every event the engine sends passes the protocol package's strict translation
 * parser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  parseTranslationServerEvent,
  type TranslationServerEvent,
  translationClient,
} from '@realtime-gateway/protocol';
import { silence, spokenTurn, tone } from '../../gateway/test/support/audio.js';
import { type RunningEngine, startEngine } from '../src/index.js';
import { FRAME_BYTES } from '../src/translation/translation-session.js';
import { EngineClient, type Event } from './support/engine-client.js';

const base64 = (pcm: Buffer): string => pcm.toString('base64');
const joined = (events: readonly Event[], type: string): string =>
  events
    .filter((event) => event.type === type)
    .map((event) => event.delta as string)
    .join('');

describe('translation sessions', () => {
  let engine: RunningEngine;
  const nonConforming: string[] = [];
  let checked = 0;

  before(async () => {
    engine = await startEngine({
      onTranslationEvent: (event: TranslationServerEvent) => {
        checked++;
        const result = parseTranslationServerEvent(event, { strict: true });
        if (!result.ok) nonConforming.push(`${event.type}: ${result.error.message}`);
      },
    });
  });
  after(async () => {
    await engine.close();
    assert.deepEqual(nonConforming, []);
    assert.ok(checked > 20, `only ${checked} events were checked`);
  });

  const open = () => EngineClient.open(`${engine.translationsUrl}?model=gpt-realtime-translate`);

  test('starts with the session: its model, English, no transcription', async () => {
    const client = await open();
    const created = await client.next();
    assert.equal(created.type, 'session.created');
    const session = created.session as Record<string, unknown>;
    assert.equal(session.type, 'translation');
    assert.equal(session.model, 'gpt-realtime-translate');
    assert.match(session.id as string, /^sess_/);
    assert.deepEqual(session.audio, {
      input: { noise_reduction: null, transcription: null },
      output: { language: 'en' },
    });
    client.close();
  });

  test('a spoken phrase is transcribed and translated while audio is appended, in 200 ms frames', async () => {
    const client = await open();
    await client.waitFor('session.created');
    client.send(
      translationClient.sessionUpdate({
        audio: {
          input: {
            transcription: { model: 'gpt-realtime-whisper' },
            noise_reduction: { type: 'near_field' },
          },
          output: { language: 'es' },
        },
      }),
    );
    const updated = await client.waitFor('session.updated');
    assert.deepEqual((updated.session as { audio: unknown }).audio, {
      input: { transcription: { model: 'gpt-realtime-whisper' }, noise_reduction: { type: 'near_field' } },
      output: { language: 'es' },
    });
    // 400 ms of silence, 800 ms of speech, 600 ms of silence: 1.8 s, nine frames. Sent in
    // 300 ms chunks, so frames are cut across appends.
    const audio = spokenTurn();
    for (let offset = 0; offset < audio.length; offset += 14_400)
      client.send(translationClient.inputAudioBufferAppend(base64(audio.subarray(offset, offset + 14_400))));
    const events: Event[] = [];
    while (events.filter((event) => event.type === 'session.output_audio.delta').length < 9)
      events.push(await client.next());
    assert.equal(joined(events, 'session.input_transcript.delta'), 'audio of 0.8 seconds');
    assert.equal(joined(events, 'session.output_transcript.delta'), '[es] audio of 0.8 seconds');
    const frames = events.filter((event) => event.type === 'session.output_audio.delta');
    assert.deepEqual(
      frames.map((frame) => frame.elapsed_ms),
      [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800],
    );
    for (const frame of frames) {
      assert.equal(Buffer.from(frame.delta as string, 'base64').length, FRAME_BYTES);
      assert.equal(frame.sample_rate, 24000);
      assert.equal(frame.channels, 1);
      assert.equal(frame.format, 'pcm16');
    }
    // The phrase ends in the frame after its speech, and is told with that frame's time.
    const transcript = events.find((event) => event.type === 'session.output_transcript.delta');
    assert.equal(transcript?.elapsed_ms, 1400);
    // Silence until the translation is known, then its speech.
    const energy = (frame: Event) => Buffer.from(frame.delta as string, 'base64').some((byte) => byte !== 0);
    assert.deepEqual(frames.map(energy), [false, false, false, false, false, false, true, true, true]);
    client.close();
  });

  test('session.close plays out the rest of the translation, then session.closed and the close', async () => {
    const client = await open();
    await client.waitFor('session.created');
    // A phrase still open at the close, and 100 ms of a partial frame.
    client.send(translationClient.inputAudioBufferAppend(base64(Buffer.concat([silence(200), tone(500)]))));
    client.send(translationClient.sessionClose());
    const closedSocket = new Promise<number>((resolve) => client.socket.once('close', resolve));
    const events = await client.until('session.closed');
    assert.equal(await closedSocket, 1000);
    assert.equal(joined(events, 'session.input_transcript.delta'), '');
    assert.equal(joined(events, 'session.output_transcript.delta'), '[en] audio of 0.6 seconds');
    const frames = events.filter((event) => event.type === 'session.output_audio.delta');
    // [en] audio of 0.6 seconds: 25 characters, 1 s of speech; after the four input frames,
    // five frames play it out.
    assert.deepEqual(
      frames.map((frame) => frame.elapsed_ms),
      [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800],
    );
  });

  test('a malformed or unknown frame gets an error and the session goes on', async () => {
    const client = await open();
    await client.waitFor('session.created');
    client.send({
      type: 'session.update',
      event_id: 'bad_update',
      session: { audio: { output: { language: 7 } } },
    });
    const invalid = await client.waitFor('error');
    assert.deepEqual(invalid.error, {
      type: 'invalid_request_error',
      code: 'invalid_type',
      message:
        "Invalid type for 'session.audio.output.language': expected a string, but got an integer (7) instead.",
      param: 'session.audio.output.language',
      event_id: 'bad_update',
    });
    client.send({ type: 'response.create', event_id: 'conversation' });
    const unknown = await client.waitFor('error');
    assert.equal((unknown.error as { param: string }).param, 'type');
    client.send(translationClient.inputAudioBufferAppend('not base64!', { eventId: 'bad_audio' }));
    const audio = await client.waitFor('error');
    assert.equal((audio.error as { event_id: string }).event_id, 'bad_audio');
    client.send(translationClient.inputAudioBufferAppend(base64(silence(200))));
    const frame = await client.waitFor('session.output_audio.delta');
    assert.equal(frame.elapsed_ms, 200);
    client.close();
  });

  test('the conversation endpoint is unchanged beside it', async () => {
    const client = await EngineClient.open(`${engine.url}?model=gpt-realtime`);
    const created = await client.next();
    assert.equal((created.session as { type: string }).type, 'realtime');
    client.close();
  });
});
