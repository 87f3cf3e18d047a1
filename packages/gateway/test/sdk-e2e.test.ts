/**
 * End to end with clients nobody on this project wrote: the official `openai` SDK's realtime
 * WebSocket client and `@openai/agents-realtime`'s RealtimeSession, through the gateway to the
 * reference engine. The SDK only speaks `wss:`, so that gateway serves TLS with a throwaway
 * certificate the client is told to trust.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import OpenAI from 'openai';
import { z } from 'zod';
import { type CheckedEngine, startCheckedEngine } from '../../engine/test/support/engine-client.js';
import { openSdkSession } from '../examples/sdk-session.js';
import { selfSignedCertificate, type TestCertificate } from '../examples/tls-certificate.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { spokenTurn, tone } from './support/audio.js';
import { delay, testConfig } from './support/harness.js';

let engine: CheckedEngine;
let tlsGateway: Gateway;
let plainGateway: Gateway;
let certificate: TestCertificate;
/** Shared by both gateways, as by two nodes of one deployment: a secret minted on one opens a session on the other. */
const store = new MemoryStore();

before(async () => {
  certificate = await selfSignedCertificate();
  // A little pacing so that interruption and cancel land while a response is still streaming.
  engine = await startCheckedEngine({ deltaDelayMs: 15 });
  const upstreams = [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }];
  tlsGateway = createGateway({
    config: testConfig(
      { upstreams, server: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } } },
      {},
    ),
    store,
  });
  plainGateway = createGateway({ config: testConfig({ upstreams }), store });
  await tlsGateway.listen();
  await plainGateway.listen();
});

after(async () => {
  await tlsGateway.close();
  await plainGateway.close();
  await store.close();
  await engine.close();
  // Conformance: every event the engine sent passes the strict parser and the shared spec schema.
  assert.ok(engine.checked() > 50);
  assert.deepEqual(engine.nonConforming, []);
});

describe('the openai SDK realtime client through the gateway', () => {
  const openSdk = () => openSdkSession(`${tlsGateway.address!.url}/v1`, certificate.cert);

  test('a text turn', async () => {
    const { rt, next, say } = await openSdk();
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    await next('session.updated');
    say('hello through the gateway');
    const text = await next('response.output_text.done');
    assert.equal(text.text, 'You said: hello through the gateway');
    const done = (await next('response.done')).response as { status: string };
    assert.equal(done.status, 'completed');
    rt.close();
  });

  test('an audio turn: speech detected by the server, answered with audio and a transcript', async () => {
    const { rt, next, events, appendAudio } = await openSdk();
    const audio = spokenTurn();
    appendAudio(audio);
    await next('input_audio_buffer.speech_started');
    await next('input_audio_buffer.speech_stopped');
    await next('input_audio_buffer.committed');
    const transcript = await next('response.output_audio_transcript.done');
    assert.equal(transcript.transcript, 'I heard you.');
    await next('response.done');
    assert.ok(events.filter((e) => e.type === 'response.output_audio.delta').length > 1);
    rt.close();
  });

  test('a tool call and its result', async () => {
    const { rt, next, say } = await openSdk();
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
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
    assert.equal(
      (await next('response.output_text.done')).text,
      'The get_weather tool returned: {"sky":"clear"}',
    );
    rt.close();
  });

  test('interruption: the client truncates what it played, its speech cancels the response', async () => {
    const { rt, next, say, appendAudio } = await openSdk();
    say('tell me everything about the history of the sea');
    const first = await next('response.output_audio.delta');
    await next('response.output_audio.delta');
    rt.send({
      type: 'conversation.item.truncate',
      item_id: first.item_id as string,
      content_index: 0,
      audio_end_ms: 150,
    });
    const truncated = await next('conversation.item.truncated');
    assert.deepEqual([truncated.item_id, truncated.audio_end_ms], [first.item_id, 150]);
    appendAudio(tone(300, 440, 0.25));
    await next('input_audio_buffer.speech_started');
    const done = (await next('response.done')).response as {
      status: string;
      status_details: { reason: string };
    };
    assert.deepEqual([done.status, done.status_details.reason], ['cancelled', 'turn_detected']);
    rt.close();
  });

  test('response.cancel', async () => {
    const { rt, next, say } = await openSdk();
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    say('one two three four five six seven eight nine ten');
    await next('response.output_text.delta');
    rt.send({ type: 'response.cancel' });
    const done = (await next('response.done')).response as {
      status: string;
      status_details: { reason: string };
    };
    assert.deepEqual([done.status, done.status_details.reason], ['cancelled', 'client_cancelled']);
    rt.close();
  });
});

describe("the openai SDK's client secrets through the gateway", () => {
  test('clientSecrets.create mints on one gateway; the secret opens a session with its configuration on another', async () => {
    const client = new OpenAI({ apiKey: 'sk-server-side', baseURL: `${plainGateway.address!.url}/v1` });
    const secret = await client.realtime.clientSecrets.create({
      expires_after: { anchor: 'created_at', seconds: 60 },
      session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Answer in one word.' },
    });
    assert.match(secret.value, /^ek_/);
    assert.equal(secret.session.type, 'realtime');
    const { rt, events } = await openSdkSession(
      `${tlsGateway.address!.url}/v1`,
      certificate.cert,
      'gpt-realtime',
      secret.value,
    );
    const created = events.find((event) => event.type === 'session.created')!;
    assert.equal((created.session as { instructions?: string }).instructions, 'Answer in one word.');
    rt.close();
  });
});

describe('@openai/agents-realtime through the gateway', () => {
  test('a RealtimeSession over the WebSocket transport runs a function tool and hears the answer', async () => {
    const calls: string[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return `sunny in ${city}`;
      },
    });
    const agent = new RealtimeAgent({
      name: 'Assistant',
      instructions: 'Help with the weather.',
      tools: [getWeather],
    });
    const session = new RealtimeSession(agent, {
      transport: new OpenAIRealtimeWebSocket({ useInsecureApiKey: true }),
      model: 'gpt-realtime',
      config: { outputModalities: ['text'] },
    });
    const toolEnded = new Promise<string>((resolve) =>
      session.on('agent_tool_end', (_ctx, _agent, _tool, result) => resolve(String(result))),
    );
    await session.connect({
      apiKey: 'sk-client-key',
      url: `${plainGateway.address!.realtimeUrl}?model=gpt-realtime`,
    });
    try {
      session.sendMessage('call get_weather {"city":"Oslo"}');
      assert.equal(await toolEnded, 'sunny in Oslo');
      assert.deepEqual(calls, ['Oslo']);
      const answer = async (): Promise<string | null> => {
        for (const item of session.history) {
          if (item.type !== 'message' || item.role !== 'assistant') continue;
          for (const part of item.content)
            if ('text' in part && part.text?.includes('tool returned')) return part.text;
        }
        return null;
      };
      let text: string | null = null;
      for (let k = 0; k < 200 && text === null; k++) {
        text = await answer();
        if (text === null) await delay(20);
      }
      assert.equal(text, 'The get_weather tool returned: sunny in Oslo');
    } finally {
      session.close();
    }
  });
});
