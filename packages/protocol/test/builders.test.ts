import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLIENT_EVENT_TYPES,
  type ConversationItem,
  client,
  parseClientEvent,
  parseServerEvent,
  SERVER_EVENT_TYPES,
  server,
} from '@realtime-gateway/protocol';
import { AUDIO_20MS, SERVER_EVENT_FIXTURES } from './fixtures/events.js';
import { validateEventAgainstSpec } from './support/spec.js';

const EVENT_ID = /^event_[A-Za-z0-9]{21}$/;

/** The builder name for an event type: `response.output_audio.delta` → `responseOutputAudioDelta`. */
function builderName(type: string): string {
  const [first, ...rest] = type.split(/[._]/);
  return first + rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

/**
 * A fixture as the spec allows it: the fixtures carry the explicit nulls real servers send,
 * which the lenient parser accepts and the spec's schemas leave out.
 */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  ) as T;
}

/** Checks an event against the shared spec and the package's strict parser. */
function conforms(side: 'client' | 'server', event: { type: string }): void {
  assert.deepEqual(validateEventAgainstSpec(side, event), [], `${event.type} against the spec`);
  const parsed =
    side === 'client' ? parseClientEvent(event, { strict: true }) : parseServerEvent(event, { strict: true });
  assert.ok(parsed.ok, `${event.type}: ${parsed.ok ? '' : parsed.error.message}`);
  assert.ok(parsed.known);
  assert.deepEqual(JSON.parse(JSON.stringify(parsed.event)), JSON.parse(JSON.stringify(event)));
}

type AnyBuilder = (...args: unknown[]) => { type: string; event_id?: string };
const serverBuilders = server as unknown as Record<string, AnyBuilder>;

describe('server event builders', () => {
  test('there is one for every server event type', () => {
    assert.equal(SERVER_EVENT_TYPES.length, 47);
    for (const type of SERVER_EVENT_TYPES)
      assert.equal(typeof serverBuilders[builderName(type)], 'function', type);
  });

  for (const type of SERVER_EVENT_TYPES) {
    test(type, () => {
      const sample = withoutNulls(
        SERVER_EVENT_FIXTURES[type as keyof typeof SERVER_EVENT_FIXTURES],
      ) as Record<string, unknown>;
      const { type: _type, event_id: sampleId, ...fields } = sample;
      const build = serverBuilders[builderName(type)]!;
      const built = type === 'input_audio_buffer.cleared' ? build() : build(fields);
      assert.equal(built.type, type);
      if (type === 'input_audio_buffer.dtmf_event_received') assert.equal('event_id' in built, false);
      else assert.match(built.event_id!, EVENT_ID);
      assert.deepEqual({ ...built, ...(sampleId === undefined ? {} : { event_id: sampleId }) }, sample);
      conforms('server', built);
      if (type !== 'input_audio_buffer.dtmf_event_received') {
        const given =
          type === 'input_audio_buffer.cleared'
            ? build({ eventId: 'event_given' })
            : build(fields, { eventId: 'event_given' });
        assert.equal(given.event_id, 'event_given');
      }
    });
  }

  test('fresh event ids are unique', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => server.inputAudioBufferCleared().event_id));
    assert.equal(ids.size, 2000);
  });
});

describe('client event builders', () => {
  const item: ConversationItem = {
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: 'Hi' }],
  };
  const built = [
    client.sessionUpdate({ type: 'realtime', instructions: 'Be brief.', output_modalities: ['text'] }),
    client.inputAudioBufferAppend(AUDIO_20MS),
    client.inputAudioBufferCommit(),
    client.inputAudioBufferClear(),
    client.outputAudioBufferClear(),
    client.conversationItemCreate(item),
    client.conversationItemCreate(item, { previousItemId: 'item_prev', eventId: 'event_mine' }),
    client.conversationItemRetrieve('item_1'),
    client.conversationItemTruncate('item_1', 0, 1500),
    client.conversationItemDelete('item_1'),
    client.responseCreate(),
    client.responseCreate({ conversation: 'none', output_modalities: ['text'], metadata: { topic: 'x' } }),
    client.responseCancel(),
    client.responseCancel({ responseId: 'resp_1' }),
    client.transcriptionSessionUpdate({
      input_audio_format: 'pcm16',
      input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'en' },
      turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
    }),
  ];

  test('cover all 12 client event types', () => {
    assert.deepEqual(new Set(built.map((e) => e.type)), new Set(CLIENT_EVENT_TYPES));
  });

  for (const event of built) {
    test(`${event.type}${'previous_item_id' in event ? ' after an item' : ''}${'response_id' in event || 'response' in event ? ' with options' : ''}`, () => {
      conforms('client', event);
    });
  }

  test('options become fields; event ids are fresh unless given', () => {
    const create = client.conversationItemCreate(item, {
      previousItemId: 'item_prev',
      eventId: 'event_mine',
    });
    assert.deepEqual(create, {
      type: 'conversation.item.create',
      event_id: 'event_mine',
      previous_item_id: 'item_prev',
      item,
    });
    assert.equal('previous_item_id' in client.conversationItemCreate(item), false);
    assert.deepEqual(client.responseCancel({ responseId: 'resp_1', eventId: 'e' }), {
      type: 'response.cancel',
      event_id: 'e',
      response_id: 'resp_1',
    });
    assert.deepEqual(client.conversationItemTruncate('item_1', 0, 1500, { eventId: 't' }), {
      type: 'conversation.item.truncate',
      event_id: 't',
      item_id: 'item_1',
      content_index: 0,
      audio_end_ms: 1500,
    });
    assert.match(client.responseCreate().event_id as string, EVENT_ID);
  });
});

describe('streaming contexts', () => {
  test('a text response: every event carries the same ids and indexes and conforms', () => {
    const r = server.response(server.responseObject({ output_modalities: ['text'] }));
    assert.match(r.responseId, /^resp_[A-Za-z0-9]{21}$/);
    const message = server.messageItem('assistant', [], { status: 'in_progress' });
    assert.match(message.id as string, /^item_[A-Za-z0-9]{21}$/);
    const item = r.item(message, 0);
    const part = item.contentPart({ type: 'text', text: '' }, 0);
    const events = [
      r.created(),
      item.added(),
      part.added(),
      part.outputTextDelta('Hel'),
      part.outputTextDelta('lo'),
      part.outputTextDone('Hello'),
      part.done({ type: 'text', text: 'Hello' }),
      item.done({ ...message, status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] }),
      r.done({
        status: 'completed',
        output: [{ ...message, status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] }],
      }),
    ];
    for (const event of events) conforms('server', event);
    const deltas = events.filter((e) => e.type === 'response.output_text.delta') as {
      response_id: string;
      item_id: string;
      output_index: number;
      content_index: number;
    }[];
    for (const delta of deltas)
      assert.deepEqual(
        [delta.response_id, delta.item_id, delta.output_index, delta.content_index],
        [r.responseId, message.id, 0, 0],
      );
    assert.equal(new Set(events.map((e) => e.event_id)).size, events.length);
    assert.equal((events.at(-1) as { response: { status: string } }).response.status, 'completed');
  });

  test('an audio part and a function call at later indexes', () => {
    const r = server.response(server.responseObject());
    const speech = r
      .item(server.messageItem('assistant', [], { status: 'in_progress' }), 0)
      .contentPart({ type: 'audio', transcript: '' }, 1);
    const call = r.item(
      server.functionCallItem('get_weather', '', { status: 'in_progress', callId: 'call_1' }),
      1,
    );
    const events = [
      speech.outputAudioDelta(AUDIO_20MS),
      speech.outputAudioDone(),
      speech.outputAudioTranscriptDelta('Hi'),
      speech.outputAudioTranscriptDone('Hi'),
      call.added(),
      call.functionCallArgumentsDelta('{"city":'),
      call.functionCallArgumentsDone('{"city":"Rome"}'),
      call.done(),
    ];
    for (const event of events) conforms('server', event);
    assert.equal((events[0] as { content_index: number }).content_index, 1);
    const done = events[6] as { call_id: string; name: string; output_index: number };
    assert.deepEqual([done.call_id, done.name, done.output_index], ['call_1', 'get_weather', 1]);
  });

  test('items and objects', () => {
    const output = server.functionCallOutputItem('call_1', '{"ok":true}');
    assert.match(output.id as string, /^item_/);
    assert.match(server.functionCallItem('f', '{}').call_id as string, /^call_/);
    conforms('client', client.conversationItemCreate(output));
    assert.throws(() => server.response({ status: 'in_progress' }), /needs an id/);
  });
});
