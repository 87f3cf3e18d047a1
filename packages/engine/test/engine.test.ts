import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fromSamples, toSamples } from '../src/audio/codec.js';
import { MS_PER_CHARACTER, synthesize } from '../src/audio/synth.js';
import {
  type CheckedEngine,
  EngineClient,
  type Event,
  startCheckedEngine,
  userText,
} from './support/engine-client.js';

const PCM = { type: 'audio/pcm', rate: 24000 } as const;

/** `ms` of 24 kHz PCM16 silence or tone, as base64. */
function pcm(ms: number, tone: boolean): string {
  const bytes = tone
    ? synthesize('x'.repeat(Math.ceil(ms / MS_PER_CHARACTER)), PCM)
    : new Uint8Array(ms * 48);
  return Buffer.from(bytes.subarray(0, ms * 48)).toString('base64');
}

/** Appends audio in 20 ms frames, as clients stream it. */
function stream(client: EngineClient, base64: string): void {
  const bytes = Buffer.from(base64, 'base64');
  const frame = 960;
  for (let k = 0; k < bytes.length; k += frame) {
    client.send({
      type: 'input_audio_buffer.append',
      audio: bytes.subarray(k, k + frame).toString('base64'),
    });
  }
}

const types = (events: readonly Event[]) => events.map((e) => e.type);
const textOnly = { type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } };

let engine: CheckedEngine;
let slow: CheckedEngine;
before(async () => {
  engine = await startCheckedEngine();
  slow = await startCheckedEngine({ deltaDelayMs: 25 });
});
after(async () => {
  await engine.close();
  await slow.close();
  assert.ok(engine.checked() + slow.checked() > 100);
  assert.deepEqual(
    [...engine.nonConforming, ...slow.nonConforming],
    [],
    'every event passes the strict parser',
  );
});

async function open(
  on: CheckedEngine = engine,
  query = 'model=gpt-realtime',
): Promise<{ client: EngineClient; session: Event }> {
  const client = await EngineClient.open(`${on.url}?${query}`);
  const created = await client.next();
  assert.equal(created.type, 'session.created');
  return { client, session: created.session as Event };
}

describe('session', () => {
  test("session.created carries a complete session with OpenAI's defaults", async () => {
    const { client, session } = await open();
    assert.match(session.id as string, /^sess_/);
    assert.equal(session.model, 'gpt-realtime');
    assert.deepEqual(session.output_modalities, ['audio']);
    assert.equal(session.tool_choice, 'auto');
    assert.equal(session.max_output_tokens, 'inf');
    const audio = session.audio as { input: Event; output: Event };
    assert.deepEqual(audio.input.format, PCM);
    assert.deepEqual(audio.output.format, PCM);
    assert.equal(audio.output.voice, 'alloy');
    assert.equal((audio.input.turn_detection as Event).type, 'server_vad');
    client.close();
  });

  test('session.update merges and answers session.updated', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: { type: 'realtime', instructions: 'Be brief.', audio: { output: { voice: 'marin' } } },
    });
    const updated = (await client.waitFor('session.updated')).session as Event;
    assert.equal(updated.instructions, 'Be brief.');
    const audio = updated.audio as { input: Event; output: Event };
    assert.equal(audio.output.voice, 'marin');
    assert.deepEqual(audio.output.format, PCM, 'untouched fields keep their values');
    assert.equal((audio.input.turn_detection as Event).type, 'server_vad');
    client.close();
  });

  test('an invalid update is an error and changes nothing; the voice is fixed once audio was produced', async () => {
    const { client } = await open();
    client.send({ type: 'session.update', event_id: 'e1', session: { type: 'transcription' } });
    const error = (await client.waitFor('error')).error as Event;
    assert.equal(error.param, 'session.type');
    assert.equal(error.event_id, 'e1');
    client.send(userText('hi'));
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.send({
      type: 'session.update',
      event_id: 'e2',
      session: { type: 'realtime', audio: { output: { voice: 'cedar' } } },
    });
    const voice = (await client.waitFor('error')).error as Event;
    assert.equal(voice.code, 'cannot_update_voice');
    client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'x' } });
    const updated = (await client.waitFor('session.updated')).session as { audio: { output: Event } };
    assert.equal(updated.audio.output.voice, 'alloy');
    client.close();
  });

  test('a transcription session', async () => {
    const { client, session } = await open(engine, 'intent=transcription');
    assert.equal(session.type, 'transcription');
    client.send({ type: 'response.create', event_id: 'r' });
    assert.equal(((await client.waitFor('error')).error as Event).event_id, 'r');
    client.close();
  });

  test('malformed and unknown events get errors and the session goes on', async () => {
    const { client } = await open();
    client.socket.send('{not json');
    assert.equal(((await client.waitFor('error')).error as Event).code, 'invalid_json');
    client.send({ type: 'no.such.event', event_id: 'u' });
    const unknown = (await client.waitFor('error')).error as Event;
    assert.deepEqual([unknown.param, unknown.event_id], ['type', 'u']);
    client.send({ type: 'conversation.item.delete', event_id: 'd', item_id: 5 });
    assert.equal(((await client.waitFor('error')).error as Event).param, 'item_id');
    client.send(userText('still here'));
    await client.waitFor('conversation.item.done');
    client.close();
  });
});

describe('conversation', () => {
  test('create honours previous_item_id; retrieve, delete and their errors', async () => {
    const { client } = await open();
    client.send(userText('first', { event_id: 'c1' }));
    const first = ((await client.waitFor('conversation.item.added')).item as Event).id as string;
    await client.waitFor('conversation.item.done');
    client.send(userText('second'));
    const second = await client.waitFor('conversation.item.added');
    assert.equal(second.previous_item_id, first);
    client.send({ ...userText('at the start'), previous_item_id: 'root' });
    assert.equal((await client.waitFor('conversation.item.added')).previous_item_id, null);
    client.send({ ...userText('between'), previous_item_id: first });
    assert.equal((await client.waitFor('conversation.item.added')).previous_item_id, first);
    client.send({ ...userText('nowhere'), event_id: 'bad', previous_item_id: 'item_missing' });
    const missing = (await client.waitFor('error')).error as Event;
    assert.deepEqual([missing.code, missing.event_id], ['item_not_found', 'bad']);
    client.send({ type: 'conversation.item.retrieve', item_id: first });
    assert.equal(((await client.waitFor('conversation.item.retrieved')).item as Event).id, first);
    client.send({ type: 'conversation.item.delete', item_id: first });
    assert.equal((await client.waitFor('conversation.item.deleted')).item_id, first);
    client.send({ type: 'conversation.item.retrieve', item_id: first });
    assert.equal(((await client.waitFor('error')).error as Event).code, 'item_not_found');
    client.close();
  });

  test('truncate: only assistant audio, not beyond its length', async () => {
    const { client } = await open();
    client.send(userText('truncate me please'));
    const user = ((await client.waitFor('conversation.item.added')).item as Event).id as string;
    client.send({ type: 'response.create' });
    const done = (await client.waitFor('response.done')).response as { output: Event[] };
    const assistant = done.output[0]!.id as string;
    const transcript = 'You said: truncate me please';
    const audioMs = transcript.length * MS_PER_CHARACTER;
    client.send({ type: 'conversation.item.truncate', item_id: user, content_index: 0, audio_end_ms: 10 });
    assert.equal(((await client.waitFor('error')).error as Event).param, 'item_id');
    client.send({
      type: 'conversation.item.truncate',
      item_id: assistant,
      content_index: 0,
      audio_end_ms: audioMs + 1,
    });
    assert.equal(((await client.waitFor('error')).error as Event).param, 'audio_end_ms');
    client.send({
      type: 'conversation.item.truncate',
      item_id: assistant,
      content_index: 0,
      audio_end_ms: 300,
    });
    const truncated = await client.waitFor('conversation.item.truncated');
    assert.deepEqual([truncated.item_id, truncated.audio_end_ms], [assistant, 300]);
    client.close();
  });
});

describe('responses', () => {
  test("a text response in OpenAI's event order", async () => {
    const { client } = await open();
    client.send(textOnly);
    client.send(userText('hello there'));
    client.send({ type: 'response.create' });
    await client.waitFor('conversation.item.done');
    const events = await client.until('response.done');
    assert.deepEqual(
      types(events).filter((t) => t !== 'response.output_text.delta'),
      [
        'response.created',
        'response.output_item.added',
        'conversation.item.added',
        'response.content_part.added',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'conversation.item.done',
        'response.done',
      ],
    );
    const deltas = events
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta)
      .join('');
    assert.equal(deltas, 'You said: hello there');
    const response = events.at(-1)!.response as { status: string; usage: { output_token_details: Event } };
    assert.equal(response.status, 'completed');
    assert.ok((response.usage.output_token_details.text_tokens as number) > 0);
    await client.waitFor('rate_limits.updated');
    client.close();
  });

  test('an audio response: deltas add up to the synthesized length, with the transcript', async () => {
    const { client } = await open();
    client.send(userText('sing'));
    client.send({ type: 'response.create' });
    const events = await client.until('response.done');
    const bytes = events
      .filter((e) => e.type === 'response.output_audio.delta')
      .reduce((n, e) => n + Buffer.from(e.delta as string, 'base64').length, 0);
    const transcript = events.find((e) => e.type === 'response.output_audio_transcript.done')!
      .transcript as string;
    assert.equal(transcript, 'You said: sing');
    assert.equal(bytes, transcript.length * MS_PER_CHARACTER * 48);
    assert.ok(
      types(events).indexOf('response.output_audio.done') <
        types(events).indexOf('response.content_part.done'),
    );
    client.close();
  });

  test('one in-conversation response at a time; response.cancel ends it as cancelled', async () => {
    const { client } = await open(slow);
    client.send(textOnly);
    client.send(userText('a long enough sentence to still be streaming'));
    client.send({ type: 'response.create' });
    await client.waitFor('response.output_text.delta');
    client.send({ type: 'response.create', event_id: 'second' });
    const busy = (await client.waitFor('error')).error as Event;
    assert.deepEqual([busy.code, busy.event_id], ['conversation_already_has_active_response', 'second']);
    client.send({ type: 'response.cancel' });
    const done = (await client.waitFor('response.done')).response as {
      status: string;
      status_details: Event;
    };
    assert.equal(done.status, 'cancelled');
    assert.equal(done.status_details.reason, 'client_cancelled');
    client.send({ type: 'response.cancel', event_id: 'nothing' });
    assert.equal(((await client.waitFor('error')).error as Event).code, 'response_cancel_not_active');
    client.close();
  });

  test('out-of-band responses: own input and instructions, metadata, nothing added to the conversation', async () => {
    const { client } = await open();
    client.send(userText('remember this'));
    const kept = ((await client.waitFor('conversation.item.done')).item as Event).id;
    client.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        output_modalities: ['text'],
        metadata: { purpose: 'classify' },
        input: [
          { type: 'item_reference', id: kept },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'classify' }] },
        ],
      },
    });
    const events = await client.until('response.done');
    assert.ok(!types(events).includes('conversation.item.added'));
    const response = events.at(-1)!.response as {
      metadata: Event;
      conversation_id?: string;
      output: Event[];
    };
    assert.deepEqual(response.metadata, { purpose: 'classify' });
    assert.equal(response.conversation_id, undefined);
    assert.equal(events.find((e) => e.type === 'response.output_text.done')!.text, 'You said: classify');
    client.close();
  });

  test('max_output_tokens cuts the response short as incomplete', async () => {
    const { client } = await open();
    client.send(textOnly);
    client.send(userText('one two three four five six seven eight nine ten eleven twelve'));
    client.send({ type: 'response.create', response: { max_output_tokens: 3 } });
    const done = (await client.waitFor('response.done')).response as {
      status: string;
      status_details: Event;
      output: Event[];
    };
    assert.equal(done.status, 'incomplete');
    assert.equal(done.status_details.reason, 'max_output_tokens');
    assert.equal(done.output[0]!.status, 'incomplete');
    client.close();
  });

  test('function calls: streamed arguments, then the output is used by the next response', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      },
    });
    client.send(userText('call get_weather {"city":"Paris"}'));
    client.send({ type: 'response.create' });
    const events = await client.until('response.done');
    const args = events
      .filter((e) => e.type === 'response.function_call_arguments.delta')
      .map((e) => e.delta)
      .join('');
    assert.equal(args, '{"city":"Paris"}');
    const call = (events.at(-1)!.response as { output: Event[] }).output[0]!;
    assert.deepEqual(
      [call.type, call.name, call.arguments],
      ['function_call', 'get_weather', '{"city":"Paris"}'],
    );
    client.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
    });
    client.send({ type: 'response.create' });
    const text = await client.waitFor('response.output_text.done');
    assert.equal(text.text, 'The get_weather tool returned: {"temp":21}');
    client.send(userText('call missing_tool {}'));
    client.send({ type: 'response.create' });
    assert.equal(
      (await client.waitFor('response.output_text.done')).text,
      'There is no tool named missing_tool.',
    );
    client.close();
  });
});

describe('input audio', () => {
  test('append checks base64; commit needs 100 ms; clear empties the buffer', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
    await client.waitFor('session.updated');
    client.send({ type: 'input_audio_buffer.append', event_id: 'b64', audio: 'not base64!' });
    assert.deepEqual(Object.values((await client.waitFor('error')).error as Event).slice(3, 4), ['audio']);
    client.send({ type: 'input_audio_buffer.append', audio: pcm(50, false) });
    client.send({ type: 'input_audio_buffer.commit', event_id: 'small' });
    const small = (await client.waitFor('error')).error as Event;
    assert.equal(small.code, 'input_audio_buffer_commit_empty');
    client.send({ type: 'input_audio_buffer.clear' });
    await client.waitFor('input_audio_buffer.cleared');
    client.send({ type: 'input_audio_buffer.append', audio: pcm(200, true) });
    client.send({ type: 'input_audio_buffer.commit' });
    const committed = await client.waitFor('input_audio_buffer.committed');
    const item = (await client.waitFor('conversation.item.added')).item as { id: string; role: string };
    assert.deepEqual([item.id, item.role], [committed.item_id, 'user']);
    client.close();
  });

  test('the input buffer is bounded: an append beyond the limit is an error and the buffer is kept', async () => {
    const small = await startCheckedEngine({ maxInputAudioBytes: 9600 });
    try {
      const { client } = await open(small);
      client.send({
        type: 'session.update',
        session: { type: 'realtime', audio: { input: { turn_detection: null } } },
      });
      await client.waitFor('session.updated');
      client.send({ type: 'input_audio_buffer.append', audio: pcm(150, false) });
      client.send({ type: 'input_audio_buffer.append', event_id: 'over', audio: pcm(100, false) });
      const error = (await client.waitFor('error')).error as Event;
      assert.deepEqual([error.code, error.event_id], ['input_audio_buffer_full', 'over']);
      client.send({ type: 'input_audio_buffer.commit' });
      await client.waitFor('input_audio_buffer.committed');
      client.close();
      assert.deepEqual(small.nonConforming, []);
    } finally {
      await small.close();
    }
  });

  test('server VAD: speech started and stopped, the turn committed and answered', async () => {
    const { client } = await open();
    stream(client, pcm(600, false) + pcm(600, true) + pcm(600, false));
    const started = await client.waitFor('input_audio_buffer.speech_started');
    assert.equal(started.audio_start_ms, 300, 'speech at 600 ms, with 300 ms of prefix padding');
    const stopped = await client.waitFor('input_audio_buffer.speech_stopped');
    assert.equal(stopped.audio_end_ms, 1200);
    assert.equal(stopped.item_id, started.item_id);
    assert.equal((await client.waitFor('input_audio_buffer.committed')).item_id, started.item_id);
    await client.waitFor('response.created');
    assert.equal((await client.waitFor('response.output_audio_transcript.done')).transcript, 'I heard you.');
    client.close();
  });

  test('semantic_vad is accepted and turns are detected', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' } } },
      },
    });
    const updated = (await client.waitFor('session.updated')).session as {
      audio: { input: { turn_detection: Event } };
    };
    assert.equal(updated.audio.input.turn_detection.type, 'semantic_vad');
    stream(client, pcm(300, false) + pcm(600, true) + pcm(800, false));
    await client.waitFor('input_audio_buffer.speech_started');
    await client.waitFor('input_audio_buffer.speech_stopped');
    await client.waitFor('response.created');
    client.close();
  });

  test('speech during a response interrupts it (turn_detected)', async () => {
    const { client } = await open(slow);
    client.send(userText('tell me a long story about the sea'));
    client.send({ type: 'response.create' });
    await client.waitFor('response.output_audio.delta');
    stream(client, pcm(200, true));
    await client.waitFor('input_audio_buffer.speech_started');
    const done = (await client.waitFor('response.done')).response as {
      status: string;
      status_details: Event;
    };
    assert.deepEqual([done.status, done.status_details.reason], ['cancelled', 'turn_detected']);
    client.close();
  });

  test('idle_timeout_ms: silence after a response triggers the timeout event and a new response', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        audio: { input: { turn_detection: { type: 'server_vad', idle_timeout_ms: 5000 } } },
      },
    });
    client.send(userText('are you there'));
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    const started = Date.now();
    const timeout = await client.waitFor('input_audio_buffer.timeout_triggered', 8000);
    assert.ok(Date.now() - started >= 4500, 'not before the idle time');
    assert.match(timeout.item_id as string, /^item_/);
    await client.waitFor('response.created');
    client.close();
  });

  test('G.711 μ-law input is detected the same way', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } } } },
    });
    await client.waitFor('session.updated');
    const tone = toSamples(PCM, Buffer.from(pcm(600, true), 'base64'));
    // 24 kHz to 8 kHz by taking every third sample: the tone's level is what matters.
    const narrow = Int16Array.from({ length: Math.floor(tone.length / 3) }, (_, k) => tone[k * 3]!);
    const silence = new Uint8Array(8 * 600).fill(0xff);
    const mulaw = Buffer.concat([silence, fromSamples({ type: 'audio/pcmu' }, narrow), silence]);
    for (let k = 0; k < mulaw.length; k += 160)
      client.send({
        type: 'input_audio_buffer.append',
        audio: mulaw.subarray(k, k + 160).toString('base64'),
      });
    await client.waitFor('input_audio_buffer.speech_started');
    await client.waitFor('input_audio_buffer.committed');
    client.close();
  });

  test('input transcription when configured: deltas and completed with usage', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { turn_detection: null, transcription: { model: 'gpt-4o-transcribe' } } },
      },
    });
    await client.waitFor('session.updated');
    client.send({ type: 'input_audio_buffer.append', audio: pcm(1500, true) });
    client.send({ type: 'input_audio_buffer.commit' });
    const deltas = await client.until('conversation.item.input_audio_transcription.completed');
    const completed = deltas.at(-1)!;
    assert.equal(completed.transcript, 'audio of 1.5 seconds');
    assert.deepEqual(completed.usage, { type: 'duration', seconds: 1.5 });
    assert.equal(
      deltas
        .filter((e) => e.type === 'conversation.item.input_audio_transcription.delta')
        .map((e) => e.delta)
        .join(''),
      'audio of 1.5 seconds',
    );
    client.close();
  });
});

describe('codecs', () => {
  test('G.711 μ-law and A-law round trips stay within the codec error', () => {
    const samples = Int16Array.from([0, 100, -100, 1000, -1000, 12000, -12000, 32000, -32000]);
    for (const type of ['audio/pcmu', 'audio/pcma'] as const) {
      const back = toSamples({ type }, fromSamples({ type }, samples));
      for (const [k, s] of samples.entries()) {
        assert.ok(Math.abs(back[k]! - s) <= Math.max(16, Math.abs(s) / 16), `${type} ${s} → ${back[k]}`);
      }
    }
  });
});

describe('chat brain', () => {
  test('streams text and tool calls from a Chat Completions endpoint, with the conversation as history', async () => {
    const bodies: Event[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const request = JSON.parse(body) as Event & { messages: Event[]; tools?: unknown[] };
        bodies.push(request);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const last = request.messages.at(-1)!;
        const chunks =
          last.role === 'user' && String(last.content).includes('weather')
            ? [
                { tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"city":' } }] },
                { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
              ]
            : [{ content: 'Hello' }, { content: ' from chat' }];
        for (const delta of chunks) res.write(`data: ${JSON.stringify({ choices: [{ delta }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const chat = await startCheckedEngine({
      brain: {
        type: 'chat',
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        model: 'local',
        apiKey: 'k',
      },
    });
    try {
      const { client } = await open(chat);
      client.send({
        type: 'session.update',
        session: {
          type: 'realtime',
          output_modalities: ['text'],
          instructions: 'Be nice.',
          tools: [{ type: 'function', name: 'get_weather' }],
        },
      });
      client.send(userText('hi'));
      client.send({ type: 'response.create' });
      assert.equal((await client.waitFor('response.output_text.done')).text, 'Hello from chat');
      client.send(userText("what's the weather"));
      client.send({ type: 'response.create' });
      assert.equal(
        (await client.waitFor('response.function_call_arguments.done')).arguments,
        '{"city":"Oslo"}',
      );
      const second = bodies[1]!;
      assert.deepEqual(
        (second.messages as Event[]).map((m) => m.role),
        ['system', 'user', 'assistant', 'user'],
      );
      assert.equal(second.model, 'local');
      assert.equal((second.tools as { function: Event }[])[0]!.function.name, 'get_weather');
      client.close();
      assert.deepEqual(chat.nonConforming, []);
    } finally {
      await chat.close();
      server.close();
    }
  });
});
