/**
 * Replay: the events that rebuild a ledger's session on a fresh upstream, held to the GA spec
 * (every event valid against its schema, no field the spec does not declare) and to the
 * protocol's strict parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ConversationItem,
  parseClientEvent,
  type ServerEvent,
  type Session,
} from '@realtime-gateway/protocol';
import { validateEventAgainstSpec } from '../../protocol/test/support/spec.js';
import {
  ConversationLedger,
  LEDGER_AUDIO_EVENT_TYPES,
  LEDGER_EVENT_TYPES,
} from '../src/continuity/conversation-ledger.js';
import { ItemIdMap, rewriteClientEvent, rewriteUpstreamEvent } from '../src/continuity/item-ids.js';
import {
  buildReplay,
  cutTranscript,
  type ReplayOptions,
  sessionUpdateConfig,
} from '../src/continuity/replay.js';
import {
  assistantAudioTurn,
  createdItem,
  ev,
  functionCallTurn,
  SESSION,
  userAudioTurn,
} from './support/conversation-events.js';
import { undeclaredPaths } from './support/spec-paths.js';

function ledgerOf(events: ServerEvent[], limits = {}, audio = false): ConversationLedger {
  const ledger = new ConversationLedger(limits);
  for (const event of events)
    if (LEDGER_EVENT_TYPES.has(event.type) || (audio && LEDGER_AUDIO_EVENT_TYPES.has(event.type)))
      ledger.apply(event);
  return ledger;
}

function conversation(): ServerEvent[] {
  return [
    ev('session.updated', { session: SESSION }),
    ...userAudioTurn('item_u1', null, 'What is the weather in Paris?'),
    ...functionCallTurn('resp_1', 'item_f1', 'item_u1', 'call_1', '{"city":"Paris"}'),
    ...createdItem(
      { id: 'item_o1', type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' },
      'item_f1',
    ),
    ...assistantAudioTurn('resp_2', 'item_a1', 'item_o1', 'It is 21 degrees in Paris.'),
    ...createdItem(
      {
        id: 'item_t1',
        type: 'message',
        role: 'user',
        status: 'completed',
        content: [
          { type: 'input_text', text: 'And this?' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' },
        ],
      },
      'item_a1',
    ),
  ];
}

/** Deterministic ids, so plans can be compared whole. */
function counters(): Required<Pick<ReplayOptions, 'newItemId' | 'newEventId'>> {
  let items = 0;
  let events = 0;
  return { newItemId: () => `item_new${++items}`, newEventId: () => `event_r${++events}` };
}

function assertValidOnTheWire(
  events: readonly { readonly type: string; readonly [field: string]: unknown }[],
): void {
  for (const event of events) {
    assert.deepEqual(validateEventAgainstSpec('client', event), [], `${event.type} against the GA schema`);
    const schema =
      event.type === 'session.update'
        ? 'RealtimeClientEventSessionUpdate'
        : 'RealtimeClientEventConversationItemCreate';
    assert.deepEqual(
      undeclaredPaths(schema, event),
      [],
      `${event.type}: fields the GA schema does not declare`,
    );
    const parsed = parseClientEvent(event, { strict: true });
    assert.ok(parsed.ok && parsed.known, `${event.type} passes the strict parser: ${JSON.stringify(parsed)}`);
  }
}

describe('buildReplay', () => {
  test('a session.update, then every item in order after the one before, with fresh ids', () => {
    const plan = buildReplay(ledgerOf(conversation()).snapshot(), counters());
    assert.equal(plan.events[0], plan.sessionUpdate);
    assert.deepEqual(plan.events.slice(1), plan.items);
    assert.deepEqual(
      plan.items.map((e) => [e.event_id, e.previous_item_id, e.item.id]),
      [
        ['event_r2', 'root', 'item_new1'],
        ['event_r3', 'item_new1', 'item_new2'],
        ['event_r4', 'item_new2', 'item_new3'],
        ['event_r5', 'item_new3', 'item_new4'],
        ['event_r6', 'item_new4', 'item_new5'],
      ],
    );
    assert.deepEqual(plan.ids, [
      ['item_u1', 'item_new1'],
      ['item_f1', 'item_new2'],
      ['item_o1', 'item_new3'],
      ['item_a1', 'item_new4'],
      ['item_t1', 'item_new5'],
    ]);
    assert.deepEqual(plan.skipped, []);
    assert.equal(plan.lost, null);
    assert.equal(ItemIdMap.from(plan.ids).toUpstream('item_a1'), 'item_new4');
  });

  test('audio turns become their transcripts; calls, outputs, text and images stay', () => {
    const plan = buildReplay(ledgerOf(conversation()).snapshot(), counters());
    assert.deepEqual(
      plan.items.map((e) => e.item),
      [
        {
          id: 'item_new1',
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'What is the weather in Paris?' }],
        },
        {
          id: 'item_new2',
          type: 'function_call',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        { id: 'item_new3', type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' },
        {
          id: 'item_new4',
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'It is 21 degrees in Paris.' }],
        },
        {
          id: 'item_new5',
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'And this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' },
          ],
        },
      ],
    );
  });

  test('every event is valid on the wire: GA schema, no undeclared field, strict parser', () => {
    const plan = buildReplay(ledgerOf(conversation()).snapshot());
    assertValidOnTheWire(plan.events);
    for (const id of plan.ids.map(([, upstream]) => upstream)) assert.match(id, /^item_[A-Za-z0-9]{21}$/);
    assert.equal(new Set(plan.ids.map(([, upstream]) => upstream)).size, plan.ids.length);
    assert.equal(new Set(plan.events.map((e) => e.event_id)).size, plan.events.length);
  });

  test('the session.update carries the configuration without read-only fields or the model', () => {
    const plan = buildReplay(ledgerOf(conversation()).snapshot(), counters());
    assert.deepEqual(plan.sessionUpdate, {
      type: 'session.update',
      event_id: 'event_r1',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        instructions: 'Be brief.',
        tools: SESSION.tools,
        tool_choice: 'auto',
        max_output_tokens: 'inf',
        truncation: 'auto',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
            turn_detection: {
              type: 'server_vad',
              threshold: 0.5,
              prefix_padding_ms: 300,
              silence_duration_ms: 200,
              idle_timeout_ms: null,
              create_response: true,
              interrupt_response: true,
            },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin', speed: 1 },
        },
      },
    });
    assert.deepEqual(plan.droppedFields, ['model']);
  });

  test('keeps the model when asked', () => {
    const plan = buildReplay(ledgerOf(conversation()).snapshot(), { keepModel: true });
    assert.equal(
      plan.sessionUpdate?.session.type === 'realtime' && plan.sessionUpdate.session.model,
      'gpt-realtime',
    );
    assert.deepEqual(plan.droppedFields, []);
  });

  test('without a configuration there is no session.update', () => {
    const plan = buildReplay(ledgerOf(conversation().slice(1)).snapshot(), counters());
    assert.equal(plan.sessionUpdate, null);
    assert.equal(plan.events[0]?.type, 'conversation.item.create');
  });

  test('an empty ledger replays its configuration only', () => {
    const plan = buildReplay(ledgerOf([ev('session.created', { session: SESSION })]).snapshot());
    assert.deepEqual(
      plan.events.map((e) => e.type),
      ['session.update'],
    );
  });

  test('a copy: changing the plan does not change the ledger', () => {
    const ledger = ledgerOf(conversation());
    const plan = buildReplay(ledger.snapshot());
    const session = plan.sessionUpdate!.session as { tools: unknown[] };
    session.tools.push({ type: 'function', name: 'x' });
    assert.equal((ledger.session as { tools: unknown[] }).tools.length, 1);
  });
});

describe('buildReplay: what it leaves out', () => {
  test('the response in flight, untranscribed audio, MCP items', () => {
    const inFlight = assistantAudioTurn('resp_3', 'item_a2', 'item_t1', 'Half a sen').slice(0, 5);
    const mcp: ConversationItem = {
      type: 'mcp_call',
      id: 'item_m1',
      server_label: 'docs',
      name: 'search',
      arguments: '{}',
      output: 'found',
    };
    const untranscribed = userAudioTurn('item_u2', 'item_t1', 'x').slice(0, 3);
    const ledger = ledgerOf([
      ...conversation(),
      ...untranscribed,
      ...createdItem(mcp, 'item_u2'),
      ...inFlight,
    ]);
    const plan = buildReplay(ledger.snapshot());
    assert.deepEqual(plan.skipped, [
      { id: 'item_u2', reason: 'no_transcript' },
      { id: 'item_m1', reason: 'mcp_item' },
      { id: 'item_a2', reason: 'unsettled' },
    ]);
    assert.equal(plan.items.length, 5);
  });

  test('what the ledger lost is stated first, in a system message, and in the plan', () => {
    const ledger = ledgerOf(conversation(), { maxItems: 3 });
    const plan = buildReplay(ledger.snapshot(), counters());
    assert.deepEqual(plan.lost, ledger.lost);
    assert.equal(plan.lost?.items, 2);
    assert.deepEqual(plan.items[0], {
      type: 'conversation.item.create',
      event_id: 'event_r2',
      previous_item_id: 'root',
      item: {
        id: 'item_new1',
        type: 'message',
        role: 'system',
        content: [
          {
            type: 'input_text',
            text: 'Note: the earliest 2 items of this conversation could not be kept and are missing from it.',
          },
        ],
      },
    });
    // The notice is not a client item: it has no pair.
    assert.deepEqual(
      plan.ids.map(([client]) => client),
      ['item_o1', 'item_a1', 'item_t1'],
    );
    assert.equal(plan.items[1]?.previous_item_id, 'item_new1');
    assertValidOnTheWire(plan.events);
  });

  test('the loss notice can be worded otherwise, or left out', () => {
    const ledger = ledgerOf(conversation(), { maxItems: 4 });
    const worded = buildReplay(ledger.snapshot(), { lossNotice: (lost) => `missing ${lost.items}` });
    const first = worded.items[0]!.item;
    assert.deepEqual(first.type === 'message' && first.content, [{ type: 'input_text', text: 'missing 1' }]);
    const defaultNotice = buildReplay(ledger.snapshot()).items[0]!.item;
    assert.match(
      JSON.stringify(defaultNotice),
      /earliest 1 item of this conversation could not be kept and is missing/,
    );
    const none = buildReplay(ledger.snapshot(), { lossNotice: false });
    assert.equal(none.items.length, 4);
    assert.equal(none.items[0]?.item.type, 'function_call');
    assert.equal(none.lost?.items, 1);
  });
});

describe('buildReplay: truncated assistant audio', () => {
  const transcript = 'one two three four five six seven eight nine ten';
  const truncated = (audioEndMs: number, audio = false) => {
    const ledger = ledgerOf(
      [
        ev('session.updated', { session: SESSION }),
        ...assistantAudioTurn('resp_1', 'item_a', null, transcript, 10),
      ],
      {},
      audio,
    );
    ledger.apply(
      ev('conversation.item.truncated', { item_id: 'item_a', content_index: 0, audio_end_ms: audioEndMs }),
    );
    return ledger.snapshot();
  };
  const textOf = (plan: ReturnType<typeof buildReplay>) => {
    const item = plan.items[0]?.item;
    return item?.type === 'message' && item.role === 'assistant' ? item.content[0]?.text : undefined;
  };

  test('is cut where the measured audio was cut', () => {
    // 10 chunks of 100 ms: cut at 300 ms of 1000 ms keeps 3 of 10 words.
    assert.equal(textOf(buildReplay(truncated(300, true))), 'one two three…');
  });

  test('is cut at a speaking rate when the audio was not measured', () => {
    assert.equal(textOf(buildReplay(truncated(2000))), 'one two three four five…');
    assert.equal(textOf(buildReplay(truncated(2000), { wordsPerSecond: 1 })), 'one two…');
  });

  test('a cut after the end keeps the whole transcript', () => {
    assert.equal(textOf(buildReplay(truncated(5000, true))), transcript);
  });

  test('a cut before any word was heard leaves nothing to replay', () => {
    const plan = buildReplay(truncated(0, true));
    assert.deepEqual(plan.skipped, [{ id: 'item_a', reason: 'empty' }]);
    assert.equal(plan.items.length, 0);
  });

  test('full and omit', () => {
    assert.equal(textOf(buildReplay(truncated(300, true), { truncatedTranscript: 'full' })), transcript);
    const omitted = buildReplay(truncated(300, true), { truncatedTranscript: 'omit' });
    assert.deepEqual(omitted.skipped, [{ id: 'item_a', reason: 'empty' }]);
  });
});

describe('cutTranscript', () => {
  test('in proportion to the measured audio, in whole words', () => {
    assert.equal(cutTranscript('one two three four', 1000, 2000, 2.5), 'one two…');
    assert.equal(cutTranscript('one two three four', 1999, 2000, 2.5), 'one two three…');
    assert.equal(cutTranscript('one two three four', 2000, 2000, 2.5), 'one two three four');
    assert.equal(cutTranscript('one two three four', 9000, 2000, 2.5), 'one two three four');
    assert.equal(cutTranscript('one two three four', 100, 2000, 2.5), '');
  });

  test('at a speaking rate without a measure', () => {
    assert.equal(cutTranscript('one two three four', 1000, null, 2), 'one two…');
    assert.equal(cutTranscript('one two three four', 1000, 0, 2), 'one two…');
    assert.equal(cutTranscript('  spaced   out words  ', 1000, null, 2), 'spaced out…');
    assert.equal(cutTranscript('', 1000, null, 2), '');
  });
});

describe('sessionUpdateConfig', () => {
  test('leaves out what the GA request schema does not declare, and says so', () => {
    const reported = {
      ...SESSION,
      server_only: 1,
      audio: {
        input: {
          ...SESSION.audio!.input,
          transcription: { model: 'whisper-1', future: true },
          turn_detection: { type: 'server_vad', threshold: 0.4, extra: 1 },
        },
        output: { ...SESSION.audio!.output, format: { type: 'audio/pcmu', rate: 8000 } },
      },
    } as unknown as Session;
    const dropped: string[] = [];
    const config = sessionUpdateConfig(reported, { keepModel: true }, dropped);
    assert.deepEqual(dropped.sort(), ['audio.input.transcription.future', 'server_only']);
    assert.deepEqual(config.audio?.input?.turn_detection, { type: 'server_vad', threshold: 0.4 });
    assert.deepEqual(config.type === 'realtime' && config.audio?.output?.format, { type: 'audio/pcmu' });
    assertValidOnTheWire([{ type: 'session.update', session: config }]);
  });

  test('turn detection off stays off; an unknown kind is left out', () => {
    const off = { ...SESSION, audio: { input: { turn_detection: null } } } as Session;
    assert.deepEqual(sessionUpdateConfig(off, { keepModel: false }).audio, {
      input: { turn_detection: null },
    });
    const unknown = {
      ...SESSION,
      audio: { input: { turn_detection: { type: 'future_vad' } } },
    } as unknown as Session;
    const dropped: string[] = [];
    assert.deepEqual(sessionUpdateConfig(unknown, { keepModel: false }, dropped).audio, { input: {} });
    assert.deepEqual(dropped, ['model', 'audio.input.turn_detection']);
  });

  test('semantic VAD keeps its own fields', () => {
    const semantic = {
      ...SESSION,
      audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high', threshold: 0.5 } } },
    } as unknown as Session;
    assert.deepEqual(sessionUpdateConfig(semantic, { keepModel: false }).audio?.input?.turn_detection, {
      type: 'semantic_vad',
      eagerness: 'high',
    });
  });

  test('a transcription session', () => {
    const reported: Session = {
      type: 'transcription',
      id: 'sess_t',
      object: 'realtime.transcription_session',
      expires_at: 1,
      include: ['item.input_audio_transcription.logprobs'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'gpt-4o-transcribe', language: 'de' },
          noise_reduction: { type: 'near_field' },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
          },
        },
      },
    };
    const config = sessionUpdateConfig(reported, { keepModel: false });
    assert.deepEqual(config, {
      type: 'transcription',
      include: ['item.input_audio_transcription.logprobs'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'gpt-4o-transcribe', language: 'de' },
          noise_reduction: { type: 'near_field' },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
          },
        },
      },
    });
    assertValidOnTheWire([{ type: 'session.update', session: config }]);
  });
});

describe('replay, id map and ledger together', () => {
  test('a replayed upstream, seen through the id map, rebuilds the same ledger under the client ids', () => {
    const original = ledgerOf(conversation());
    const plan = buildReplay(original.snapshot());
    const ids = ItemIdMap.from(plan.ids);
    // The new upstream confirms each created item as it was sent, under the new id.
    const rebuilt = new ConversationLedger();
    rebuilt.apply(ev('session.updated', { session: SESSION }));
    for (const create of plan.items) {
      const confirmed = ev('conversation.item.done', {
        previous_item_id: create.previous_item_id === 'root' ? null : create.previous_item_id,
        item: { ...create.item, status: 'completed' } as ConversationItem,
      });
      rebuilt.apply(rewriteUpstreamEvent(confirmed, ids));
    }
    assert.deepEqual(
      rebuilt.entries().map((e) => e.id),
      original.entries().map((e) => e.id),
    );
    // A second replacement replays the same conversation (audio now as text).
    const again = buildReplay(rebuilt.snapshot(), counters());
    const first = buildReplay(original.snapshot(), counters());
    assert.deepEqual(again.items, first.items);
    // And the client's later events reach the new upstream under its ids.
    const truncate = rewriteClientEvent(
      { type: 'conversation.item.truncate', item_id: 'item_a1', content_index: 0, audio_end_ms: 500 },
      ids,
    );
    assert.equal(truncate.item_id, ids.toUpstream('item_a1'));
    assert.notEqual(truncate.item_id, 'item_a1');
  });
});
