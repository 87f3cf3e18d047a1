/**
 * `transcription_session.update` through the gateway to the reference engine, on loopback: a
 * valid one reaches the engine and its `transcription_session.updated` comes back; a malformed
 * one is refused by the gateway's input checking (the engine never sees it) with a spec-shaped
 * `error` naming the field and the client's event id, and the session goes on. Every event the
 * engine sends passes the strict parser. Through a beta upstream, each update a GA client sends is
 * answered in the form it was sent in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { parseServerEvent } from '@realtime-gateway/protocol';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connect, type TestClient, testConfig } from './support/harness.js';

describe('transcription_session.update through the gateway', () => {
  let engine: RunningEngine;
  let gateway: Gateway;
  let url: string;
  const sent: string[] = [];
  const nonConforming: string[] = [];

  before(async () => {
    engine = await startEngine({
      onEvent: (event) => {
        sent.push(event.type);
        const result = parseServerEvent(event, { strict: true });
        if (!result.ok) nonConforming.push(`${event.type}: ${result.error.message}`);
      },
    });
    gateway = createGateway({
      config: testConfig({
        upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
      }),
    });
    url = (await gateway.listen()).realtimeUrl;
  });
  after(async () => {
    await gateway.close();
    await engine.close();
    assert.deepEqual(nonConforming, []);
  });

  const open = async (): Promise<TestClient> => {
    const client = await connect(`${url}?intent=transcription`);
    assert.equal((await client.next()).type, 'session.created');
    return client;
  };

  test('a valid update is applied upstream and answered in the flat shape', async () => {
    const client = await open();
    client.send({
      type: 'transcription_session.update',
      session: { input_audio_format: 'g711_alaw', turn_detection: null },
    });
    const updated = await client.waitFor('transcription_session.updated');
    assert.deepEqual(updated.session, {
      input_audio_format: 'g711_alaw',
      input_audio_transcription: { model: 'gpt-4o-transcribe', prompt: '' },
      modalities: ['text'],
      turn_detection: null,
    });
    client.socket.close();
  });

  test('a malformed update gets the gateway’s error, and the session goes on', async () => {
    const client = await open();
    const errorsBefore = sent.filter((type) => type === 'error').length;
    client.send({
      type: 'transcription_session.update',
      event_id: 'evt_bad',
      session: { turn_detection: { type: 'semantic_vad' } },
    });
    const error = await client.next();
    assert.equal(error.type, 'error');
    assert.ok(parseServerEvent(error, { strict: true }).ok, 'a spec-shaped error event');
    const details = error.error as Record<string, unknown>;
    assert.deepEqual(
      [details.type, details.code, details.param, details.event_id],
      ['invalid_request_error', 'invalid_value', 'session.turn_detection.type', 'evt_bad'],
    );
    client.send({ type: 'transcription_session.update', session: { input_audio_format: 'pcm16' } });
    const updated = await client.waitFor('transcription_session.updated');
    assert.equal((updated.session as Record<string, unknown>).input_audio_format, 'pcm16');
    assert.equal(sent.filter((type) => type === 'error').length, errorsBefore, 'the engine never saw it');
    client.socket.close();
  });
});

describe('transcription_session.update from a GA client through a beta upstream', () => {
  let engine: RunningEngine;
  let gateway: Gateway;
  let url: string;

  before(async () => {
    engine = await startEngine({ dialect: 'beta' });
    gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'beta', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic', dialect: 'beta' },
        ],
      }),
    });
    url = (await gateway.listen()).realtimeUrl;
  });
  after(async () => {
    await gateway.close();
    await engine.close();
  });

  test('each update is answered in the form it was sent in, a refused one included', async () => {
    const client = await connect(`${url}?intent=transcription`);
    assert.equal((await client.next()).type, 'session.created');
    client.send({
      type: 'transcription_session.update',
      session: { input_audio_format: 'g711_alaw', turn_detection: null },
    });
    client.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } },
    });
    client.send({ type: 'transcription_session.update', session: { input_audio_format: 'g711_ulaw' } });
    const answers = [await client.next(), await client.next(), await client.next()];
    assert.deepEqual(
      answers.map((event) => event.type),
      ['transcription_session.updated', 'session.updated', 'transcription_session.updated'],
    );
    assert.ok(answers.every((event) => parseServerEvent(event, { strict: true }).ok));
    assert.deepEqual(answers[0]!.session, {
      input_audio_format: 'g711_alaw',
      input_audio_transcription: { model: 'gpt-4o-transcribe', prompt: '' },
      modalities: ['text'],
      turn_detection: null,
    });
    assert.equal((answers[2]!.session as Record<string, unknown>).input_audio_format, 'g711_ulaw');
    client.socket.close();
  });

  test('an update the upstream refuses is answered by its error, and the next keeps its form', async () => {
    const client = await connect(`${url}?model=gpt-realtime`);
    assert.equal((await client.next()).type, 'session.created');
    // A realtime session takes no transcription_session.update: the upstream refuses it.
    client.send({
      type: 'transcription_session.update',
      event_id: 'evt_refused',
      session: { input_audio_format: 'pcm16' },
    });
    const refused = await client.next();
    assert.equal(refused.type, 'error');
    assert.equal((refused.error as Record<string, unknown>).event_id, 'evt_refused');
    client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    const updated = await client.next();
    assert.equal(updated.type, 'session.updated');
    assert.equal((updated.session as Record<string, unknown>).instructions, 'Be brief.');
    client.socket.close();
  });
});
