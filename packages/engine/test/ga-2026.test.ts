/**
 * The engine and the 2026 GA session fields: what it echoes in session.created/updated, and what
 * it honours — reasoning defaults, parallel_tool_calls, logprobs, retention-ratio truncation —
 * and the MCP tunnels it refuses. Every event it sends is held to the strict parser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MS_PER_CHARACTER, synthesize } from '../src/audio/synth.js';
import { logprobsOf, transcriptOf } from '../src/session/transcription.js';
import {
  type CheckedEngine,
  EngineClient,
  type Event,
  startCheckedEngine,
  userText,
} from './support/engine-client.js';

const TUNNEL = `tunnel_${'0f'.repeat(16)}`;
const PCM = { type: 'audio/pcm', rate: 24000 } as const;

let engine: CheckedEngine;
before(async () => {
  engine = await startCheckedEngine();
});
after(async () => {
  await engine.close();
  assert.deepEqual(engine.nonConforming, [], 'every event passes the strict parser');
});

async function open(query = 'model=gpt-realtime-2'): Promise<{ client: EngineClient; session: Event }> {
  const client = await EngineClient.open(`${engine.url}?${query}`);
  const created = await client.next();
  assert.equal(created.type, 'session.created');
  return { client, session: created.session as Event };
}

async function update(client: EngineClient, session: object): Promise<Event> {
  client.send({ type: 'session.update', session: { type: 'realtime', ...session } });
  const answer = await client.next();
  assert.equal(answer.type, 'session.updated', JSON.stringify(answer));
  return answer.session as Event;
}

function tone(ms: number): string {
  const bytes = synthesize('x'.repeat(Math.ceil(ms / MS_PER_CHARACTER)), PCM);
  return Buffer.from(bytes.subarray(0, ms * 48)).toString('base64');
}

describe('session.created', () => {
  test('a reasoning model reports the default effort; an older model has no reasoning', async () => {
    for (const model of ['gpt-realtime-2', 'gpt-realtime-2.1', 'gpt-realtime-2.1-mini']) {
      const { client, session } = await open(`model=${model}`);
      assert.deepEqual(session.reasoning, { effort: 'low' }, model);
      client.close();
    }
    const { client, session } = await open('model=gpt-realtime');
    assert.equal('reasoning' in session, false);
    client.close();
  });
});

describe('session.updated echoes the 2026 fields', () => {
  test('reasoning, parallel tool calls, include, truncation, MCP callers, transcription hints and a custom voice', async () => {
    const { client } = await open();
    const sent = {
      reasoning: { effort: 'xhigh' },
      parallel_tool_calls: false,
      include: ['item.input_audio_transcription.logprobs'],
      truncation: {
        type: 'retention_ratio',
        retention_ratio: 0.8,
        token_limits: { post_instructions: 4096 },
      },
      tools: [
        {
          type: 'mcp',
          server_label: 'crm',
          server_url: 'https://crm.example/mcp',
          allowed_callers: ['direct', 'programmatic'],
        },
      ],
      audio: {
        input: {
          transcription: { model: 'gpt-live-transcribe', languages: ['en', 'fr'], keywords: ['Acme'] },
        },
        output: { voice: { id: 'voice_1234' } },
      },
    };
    const session = await update(client, sent);
    for (const key of ['reasoning', 'parallel_tool_calls', 'include', 'truncation', 'tools'] as const)
      assert.deepEqual(session[key], sent[key], key);
    const audio = session.audio as { input: Event; output: Event };
    assert.deepEqual(audio.input.transcription, sent.audio.input.transcription);
    assert.deepEqual(audio.output.voice, { id: 'voice_1234' });
    assert.deepEqual(audio.output.format, PCM, 'the rest of audio.output is kept');
    client.close();
  });

  test('a transcription session echoes delay and keywords', async () => {
    const client = await EngineClient.open(`${engine.url}?intent=transcription`);
    await client.next();
    const transcription = { model: 'gpt-realtime-whisper', delay: 'minimal', keywords: ['GA'] };
    client.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { transcription } } },
    });
    const updated = await client.next();
    assert.equal(updated.type, 'session.updated');
    const session = updated.session as { audio: { input: Event } };
    assert.deepEqual(session.audio.input.transcription, transcription);
    client.close();
  });
});

describe('parallel_tool_calls', () => {
  const tools = [
    { type: 'function', name: 'weather', parameters: { type: 'object' } },
    { type: 'function', name: 'time', parameters: { type: 'object' } },
  ];

  async function callsMade(parallel: boolean | undefined): Promise<string[]> {
    const { client } = await open();
    await update(client, {
      output_modalities: ['text'],
      tools,
      ...(parallel === undefined ? {} : { parallel_tool_calls: parallel }),
    });
    client.send(userText('call weather {"city":"Oslo"} and call time {}'));
    client.send({ type: 'response.create' });
    const done = (await client.waitFor('response.done')).response as { output: Event[] };
    client.close();
    return done.output.map((item) => `${item.type}:${item.name}`);
  }

  test('false: at most one function call in a response, the first', async () => {
    assert.deepEqual(await callsMade(false), ['function_call:weather']);
  });

  test('true or unset: every call the model makes', async () => {
    assert.deepEqual(await callsMade(true), ['function_call:weather', 'function_call:time']);
    assert.deepEqual(await callsMade(undefined), ['function_call:weather', 'function_call:time']);
  });
});

describe('include: item.input_audio_transcription.logprobs', () => {
  async function transcriptionEvents(include: string[] | undefined): Promise<Event[]> {
    const { client } = await open();
    await update(client, {
      ...(include === undefined ? {} : { include }),
      audio: { input: { turn_detection: null, transcription: { model: 'gpt-transcribe' } } },
    });
    client.send({ type: 'input_audio_buffer.append', audio: tone(1200) });
    client.send({ type: 'input_audio_buffer.commit' });
    const events = await client.until('conversation.item.input_audio_transcription.completed');
    client.close();
    return events.filter((e) => e.type.startsWith('conversation.item.input_audio_transcription.'));
  }

  test('adds logprobs to every delta and to the completed event', async () => {
    const events = await transcriptionEvents(['item.input_audio_transcription.logprobs']);
    const completed = events.at(-1)!;
    assert.equal(completed.transcript, transcriptOf(1200));
    assert.deepEqual(completed.logprobs, logprobsOf(transcriptOf(1200)));
    for (const delta of events.slice(0, -1))
      assert.deepEqual(delta.logprobs, logprobsOf(delta.delta as string));
    const tokens = (completed.logprobs as { token: string; bytes: number[] }[]).map((entry) => entry.token);
    assert.equal(tokens.join(''), completed.transcript);
  });

  test('without it, no logprobs', async () => {
    for (const event of await transcriptionEvents(undefined)) assert.equal('logprobs' in event, false);
  });
});

describe('truncation: retention_ratio', () => {
  // Each message is 40 characters, 10 tokens by the engine's estimate.
  const messages = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(40));

  async function inputTokens(truncation: object | undefined): Promise<number> {
    const { client } = await open();
    await update(client, { output_modalities: ['text'], ...(truncation ? { truncation } : {}) });
    for (const text of messages) client.send(userText(text));
    client.send({ type: 'response.create' });
    const done = (await client.waitFor('response.done')).response as { usage: { input_tokens: number } };
    client.send({ type: 'conversation.item.retrieve', item_id: 'missing' });
    client.close();
    return done.usage.input_tokens;
  }

  test('past its post-instructions limit the oldest items are dropped until the ratio of it remains', async () => {
    // 40 tokens against a limit of 30: keep at most 15, so only the newest message is read.
    const truncation = {
      type: 'retention_ratio',
      retention_ratio: 0.5,
      token_limits: { post_instructions: 30 },
    };
    assert.equal(await inputTokens(truncation), 10);
  });

  test('within the limit, or with no limit, or auto, everything is read', async () => {
    const generous = {
      type: 'retention_ratio',
      retention_ratio: 0.5,
      token_limits: { post_instructions: 100 },
    };
    assert.equal(await inputTokens(generous), 40);
    assert.equal(await inputTokens({ type: 'retention_ratio', retention_ratio: 0.5 }), 40);
    assert.equal(await inputTokens(undefined), 40);
  });

  test('the conversation keeps the dropped items', async () => {
    const { client } = await open();
    await update(client, {
      output_modalities: ['text'],
      truncation: { type: 'retention_ratio', retention_ratio: 0.1, token_limits: { post_instructions: 5 } },
    });
    client.send(userText(messages[0]!, { event_id: 'event_first' }));
    const added = await client.waitFor('conversation.item.added');
    client.send(userText(messages[1]!));
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.send({ type: 'conversation.item.retrieve', item_id: (added.item as Event).id });
    const retrieved = await client.waitFor('conversation.item.retrieved');
    assert.equal((retrieved.item as Event).id, (added.item as Event).id);
    client.close();
  });
});

describe('MCP tunnels', () => {
  const tunnelled = { type: 'mcp', server_label: 'intranet', tunnel_id: TUNNEL };

  test('session.update with a tunnel is refused at the tool, and changes nothing', async () => {
    const { client } = await open();
    client.send({
      type: 'session.update',
      event_id: 'event_tunnel',
      session: {
        type: 'realtime',
        instructions: 'Be brief.',
        tools: [{ type: 'function', name: 'f' }, tunnelled],
      },
    });
    const error = (await client.next()) as Event & { error: Event };
    assert.equal(error.type, 'error');
    assert.equal(error.error.type, 'invalid_request_error');
    assert.equal(error.error.param, 'session.tools[1].tunnel_id');
    assert.equal(error.error.event_id, 'event_tunnel');
    assert.match(error.error.message as string, /tunnel/i);
    const session = await update(client, {});
    assert.notEqual(session.instructions, 'Be brief.');
    assert.deepEqual(session.tools, []);
    client.close();
  });

  test('response.create with a tunnel is refused at the tool, and no response starts', async () => {
    const { client } = await open();
    client.send({ type: 'response.create', event_id: 'event_r', response: { tools: [tunnelled] } });
    const error = (await client.next()) as Event & { error: Event };
    assert.equal(error.type, 'error');
    assert.equal(error.error.param, 'response.tools[0].tunnel_id');
    client.send({ type: 'input_audio_buffer.clear' });
    assert.equal((await client.next()).type, 'input_audio_buffer.cleared', 'no response.created came first');
    client.close();
  });

  test('an MCP server by URL is kept', async () => {
    const { client } = await open();
    const tool = { type: 'mcp', server_label: 'crm', server_url: 'https://crm.example/mcp' };
    const session = await update(client, { tools: [tool] });
    assert.deepEqual(session.tools, [tool]);
    client.close();
  });
});

describe('custom voices', () => {
  test('a response speaks with a custom voice and reports its id', async () => {
    const { client } = await open();
    await update(client, { audio: { output: { voice: { id: 'voice_1234' } } } });
    client.send(userText('hello'));
    client.send({ type: 'response.create' });
    const done = (await client.waitFor('response.done')).response as { audio: { output: Event } };
    assert.equal(done.audio.output.voice, 'voice_1234');
    client.close();
  });
});
