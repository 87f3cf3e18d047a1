/**
 * The official `openai` SDK's beta realtime client (`openai/beta/realtime/ws`, which sends
 * `OpenAI-Beta: realtime=v1` and speaks the retired beta protocol) through the gateway to the
 * GA reference engine, over TLS: the gateway translates every event both ways, and the engine
 * still only ever sees and sends GA events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CheckedEngine, startCheckedEngine } from '../../engine/test/support/engine-client.js';
import { openBetaSdkSession, openSdkSession } from '../examples/sdk-session.js';
import { selfSignedCertificate, type TestCertificate } from '../examples/tls-certificate.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { spokenTurn } from './support/audio.js';
import { testConfig } from './support/harness.js';

let engine: CheckedEngine;
/** The engine speaking beta, as a server from before 2026-05-12 would. */
let betaEngine: CheckedEngine;
let gateway: Gateway;
/** In front of the beta engine, configured `dialect: beta`. */
let betaGateway: Gateway;
let certificate: TestCertificate;

function tlsGateway(port: number, dialect: 'ga' | 'beta'): Gateway {
  return createGateway({
    config: testConfig(
      {
        upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${port}/v1`, dialect }],
        server: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } },
      },
      {},
    ),
  });
}

before(async () => {
  certificate = await selfSignedCertificate();
  engine = await startCheckedEngine({});
  betaEngine = await startCheckedEngine({ dialect: 'beta' });
  gateway = tlsGateway(engine.port, 'ga');
  betaGateway = tlsGateway(betaEngine.port, 'beta');
  await gateway.listen();
  await betaGateway.listen();
});

after(async () => {
  await gateway.close();
  await betaGateway.close();
  await engine.close();
  await betaEngine.close();
  // Both engines' sessions ran GA: every event passes the strict GA parser and the spec schema.
  for (const checked of [engine, betaEngine]) {
    assert.ok(checked.checked() > 20);
    assert.deepEqual(checked.nonConforming, []);
  }
});

const openBeta = () => openBetaSdkSession(`${gateway.address!.url}/v1`, certificate.cert);

describe('the openai SDK beta realtime client through the gateway to a GA engine', () => {
  test('a text turn, in beta shapes', async () => {
    const { rt, next, say } = await openBeta();
    rt.send({ type: 'session.update', session: { modalities: ['text'] } });
    const updated = (await next('session.updated')).session as Record<string, unknown>;
    assert.deepEqual(updated.modalities, ['text']);
    assert.equal(updated.output_modalities, undefined, 'a beta session, not a GA one');
    say('hello through the gateway');
    const item = (await next('conversation.item.created')).item as Record<string, unknown>;
    assert.equal(item.object, 'realtime.item');
    const text = await next('response.text.done');
    assert.equal(text.text, 'You said: hello through the gateway');
    const done = (await next('response.done')).response as {
      status: string;
      output: { content: { type: string }[] }[];
    };
    assert.equal(done.status, 'completed');
    assert.equal(done.output[0]!.content[0]!.type, 'text', 'beta content names');
    rt.close();
  });

  test('an audio turn: speech detected by the server, answered with beta audio and transcript events', async () => {
    const { rt, next, events, appendAudio } = await openBeta();
    const audio = spokenTurn();
    appendAudio(audio);
    await next('input_audio_buffer.speech_started');
    await next('input_audio_buffer.speech_stopped');
    await next('input_audio_buffer.committed');
    const transcript = await next('response.audio_transcript.done');
    assert.equal(transcript.transcript, 'I heard you.');
    await next('response.done');
    assert.ok(events.filter((e) => e.type === 'response.audio.delta').length > 1);
    assert.equal(
      events.filter((e) => /^response\.output_(audio|text)/.test(e.type)).length,
      0,
      'no GA event names reach a beta client',
    );
    rt.close();
  });

  test('a tool call and its result', async () => {
    const { rt, next, say } = await openBeta();
    rt.send({
      type: 'session.update',
      session: {
        modalities: ['text'],
        tools: [
          {
            type: 'function',
            name: 'get_weather',
            description: 'Weather by city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
    });
    await next('session.updated');
    say('call get_weather {"city":"Lisbon"}');
    const args = await next('response.function_call_arguments.done');
    assert.equal(args.arguments, '{"city":"Lisbon"}');
    await next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: args.call_id as string, output: '{"sky":"clear"}' },
    });
    rt.send({ type: 'response.create' });
    assert.equal((await next('response.text.done')).text, 'The get_weather tool returned: {"sky":"clear"}');
    rt.close();
  });

  test('a field GA has no equivalent for is named in an error event, and the session goes on', async () => {
    const { rt, next, say } = await openBeta();
    rt.send({ type: 'session.update', session: { modalities: ['text'], temperature: 0.6 } });
    const error = (await next('error')).error as { code: string; param: string };
    assert.deepEqual(
      { code: error.code, param: error.param },
      {
        code: 'unsupported_in_dialect',
        param: 'session.temperature',
      },
    );
    await next('session.updated');
    say('still here');
    assert.equal((await next('response.text.done')).text, 'You said: still here');
    rt.close();
  });
});

describe('the openai SDK GA realtime client through the gateway to an upstream that speaks beta', () => {
  const openGa = () => openSdkSession(`${betaGateway.address!.url}/v1`, certificate.cert);

  test('a text turn, in GA shapes', async () => {
    const { rt, next, say } = await openGa();
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    const updated = (await next('session.updated')).session as Record<string, unknown>;
    assert.deepEqual(updated.output_modalities, ['text']);
    say('hello, beta server');
    await next('conversation.item.added');
    await next('conversation.item.done');
    assert.equal((await next('response.output_text.done')).text, 'You said: hello, beta server');
    const done = (await next('response.done')).response as { output: { content: { type: string }[] }[] };
    assert.equal(done.output[0]!.content[0]!.type, 'output_text', 'GA content names');
    rt.close();
  });

  test('an audio turn, answered with GA audio and transcript events', async () => {
    const { rt, next, events, appendAudio } = await openGa();
    appendAudio(spokenTurn());
    await next('input_audio_buffer.committed');
    assert.equal((await next('response.output_audio_transcript.done')).transcript, 'I heard you.');
    await next('response.done');
    assert.ok(events.filter((e) => e.type === 'response.output_audio.delta').length > 1);
    rt.close();
  });

  test('a tool call and its result', async () => {
    const { rt, next, say } = await openGa();
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
      },
    });
    await next('session.updated');
    say('call get_weather {"city":"Porto"}');
    const args = await next('response.function_call_arguments.done');
    await next('response.done');
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: args.call_id as string, output: '{"sky":"grey"}' },
    });
    rt.send({ type: 'response.create' });
    assert.equal(
      (await next('response.output_text.done')).text,
      'The get_weather tool returned: {"sky":"grey"}',
    );
    rt.close();
  });
});
