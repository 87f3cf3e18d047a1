/**
 * The conversation ledger: the effective configuration and the confirmed conversation (order,
 * content, transcripts, function calls, deletions, truncations, insert positions), its bounds,
 * and that audio is never kept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConversationItem, ServerEvent } from '@realtime-gateway/protocol';
import {
  ConversationLedger,
  DEFAULT_LEDGER_LIMITS,
  LEDGER_AUDIO_EVENT_TYPES,
  LEDGER_EVENT_TYPES,
  mergeItem,
  outputBytesPerMs,
  setContentField,
  stripAudio,
  textBytesOf,
} from '../src/continuity/conversation-ledger.js';
import {
  AUDIO_100MS,
  assistantAudioTurn,
  createdItem,
  ev,
  functionCallTurn,
  SESSION,
  userAudioTurn,
} from './support/conversation-events.js';

/** Feeds events the way a middleware would: only the types the ledger asks for. */
function feed(ledger: ConversationLedger, events: ServerEvent[], audio = false): void {
  for (const event of events)
    if (LEDGER_EVENT_TYPES.has(event.type) || (audio && LEDGER_AUDIO_EVENT_TYPES.has(event.type)))
      ledger.apply(event);
}

const userText = (id: string, text: string): ConversationItem => ({
  id,
  type: 'message',
  role: 'user',
  status: 'completed',
  content: [{ type: 'input_text', text }],
});

/** A conversation: user audio, assistant audio, function call, output, assistant audio, user text. */
function conversation(): ServerEvent[] {
  return [
    ev('session.created', { session: SESSION }),
    ev('session.updated', { session: { ...SESSION, instructions: 'Be very brief.' } }),
    ...userAudioTurn('item_u1', null, 'What is the weather in Paris?'),
    ...functionCallTurn('resp_1', 'item_f1', 'item_u1', 'call_1', '{"city":"Paris"}'),
    ...createdItem(
      { id: 'item_o1', type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' },
      'item_f1',
    ),
    ...assistantAudioTurn('resp_2', 'item_a1', 'item_o1', 'It is 21 degrees in Paris.'),
    ...createdItem(userText('item_t1', 'Thanks!'), 'item_a1'),
  ];
}

const summary = (ledger: ConversationLedger) =>
  ledger.entries().map((e) => {
    const item = e.item;
    if (item.type === 'message')
      return `${item.role}:${(item.content as { type?: string | null; text?: string | null; transcript?: string | null }[]).map((p) => `${p.type}=${p.text ?? p.transcript ?? ''}`).join('|')}`;
    if (item.type === 'function_call') return `call:${item.call_id}:${item.name}(${item.arguments})`;
    if (item.type === 'function_call_output') return `output:${item.call_id}=${item.output}`;
    return item.type;
  });

describe('ConversationLedger: what it records', () => {
  test('a whole conversation, in order, with transcripts for audio', () => {
    const ledger = new ConversationLedger();
    feed(ledger, conversation());
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_u1', 'item_f1', 'item_o1', 'item_a1', 'item_t1'],
    );
    assert.deepEqual(summary(ledger), [
      'user:input_audio=What is the weather in Paris?',
      'call:call_1:get_weather({"city":"Paris"})',
      'output:call_1={"temp_c":21}',
      'assistant:output_audio=It is 21 degrees in Paris.',
      'user:input_text=Thanks!',
    ]);
    assert.ok(ledger.entries().every((e) => e.settled));
    assert.equal(ledger.complete, true);
    assert.deepEqual(ledger.lost, { items: 0, textBytes: 0 });
  });

  test('the effective configuration is the last session.updated (session.created before any)', () => {
    const ledger = new ConversationLedger();
    assert.equal(ledger.session, null);
    ledger.apply(ev('session.created', { session: SESSION }));
    assert.equal(ledger.session, SESSION);
    const updated = { ...SESSION, instructions: 'Speak French.' };
    ledger.apply(ev('session.updated', { session: updated }));
    assert.equal(ledger.session, updated);
  });

  test('never keeps audio, whatever carries it', () => {
    const ledger = new ConversationLedger();
    const withAudio: ConversationItem = {
      id: 'item_x',
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', audio: AUDIO_100MS, transcript: 'hello' }],
    };
    feed(ledger, [...conversation(), ...createdItem(withAudio, 'item_t1')], true);
    ledger.apply(
      ev('response.output_item.done', {
        response_id: 'r',
        output_index: 0,
        item: {
          id: 'item_y',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_audio', audio: AUDIO_100MS, transcript: 'bye' }],
        },
      }),
    );
    const kept = JSON.stringify(ledger.snapshot().entries);
    assert.equal(kept.includes(AUDIO_100MS.slice(0, 64)), false);
    assert.equal(kept.includes('"audio":'), false);
    assert.deepEqual(ledger.get('item_x')?.item, {
      id: 'item_x',
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', transcript: 'hello' }],
    });
  });

  test('a deletion removes the item; its text no longer counts', () => {
    const ledger = new ConversationLedger();
    feed(ledger, conversation());
    const before = ledger.textBytes;
    const removed = ledger.get('item_o1')!.textBytes;
    ledger.apply(ev('conversation.item.deleted', { item_id: 'item_o1' }));
    assert.equal(ledger.get('item_o1'), undefined);
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_u1', 'item_f1', 'item_a1', 'item_t1'],
    );
    assert.equal(ledger.textBytes, before - removed);
    // Deleting twice, or an item never seen, changes nothing.
    ledger.apply(ev('conversation.item.deleted', { item_id: 'item_o1' }));
    ledger.apply(ev('conversation.item.deleted', { item_id: 'item_nope' }));
    assert.equal(ledger.size, 4);
    assert.equal(ledger.complete, true);
  });

  test('a response summary does not bring back an item deleted meanwhile', () => {
    const ledger = new ConversationLedger();
    const events = assistantAudioTurn('resp_1', 'item_a1', null, 'Hello.');
    const summaryEvent = events.pop()!;
    feed(ledger, events);
    ledger.apply(ev('conversation.item.deleted', { item_id: 'item_a1' }));
    ledger.apply(summaryEvent);
    assert.equal(ledger.size, 0);
  });

  test('a truncation records where the audio was cut and keeps the transcript for the replay to cut', () => {
    const ledger = new ConversationLedger();
    feed(ledger, conversation());
    ledger.apply(
      ev('conversation.item.truncated', { item_id: 'item_a1', content_index: 0, audio_end_ms: 1200 }),
    );
    const entry = ledger.get('item_a1')!;
    assert.deepEqual(entry.truncation, { contentIndex: 0, audioEndMs: 1200 });
    assert.equal(
      entry.item.type === 'message' && entry.item.role === 'assistant' && entry.item.content[0]?.transcript,
      'It is 21 degrees in Paris.',
    );
    // A truncation of an unknown item is ignored.
    ledger.apply(
      ev('conversation.item.truncated', { item_id: 'item_zz', content_index: 0, audio_end_ms: 1 }),
    );
    assert.equal(ledger.get('item_zz'), undefined);
  });

  test('measures assistant audio when fed its deltas, in the session output format', () => {
    const ledger = new ConversationLedger();
    ledger.apply(ev('session.updated', { session: SESSION }));
    feed(ledger, assistantAudioTurn('resp_1', 'item_a1', null, 'Hi.', 4), true);
    assert.deepEqual(ledger.get('item_a1')!.audioMs, { 0: 400 });
    const g711 = new ConversationLedger();
    g711.apply(
      ev('session.updated', {
        session: { ...SESSION, audio: { output: { format: { type: 'audio/pcmu' } } } },
      }),
    );
    feed(g711, assistantAudioTurn('resp_1', 'item_a1', null, 'Hi.', 1), true);
    assert.deepEqual(g711.get('item_a1')!.audioMs, { 0: 600 });
    // Without a configuration the audio cannot be measured.
    const unknown = new ConversationLedger();
    feed(unknown, assistantAudioTurn('resp_1', 'item_a1', null, 'Hi.', 1), true);
    assert.deepEqual(unknown.get('item_a1')!.audioMs, {});
  });

  test('an in-flight answer is recorded but not settled', () => {
    const ledger = new ConversationLedger();
    const events = assistantAudioTurn('resp_1', 'item_a1', null, 'Half an');
    feed(ledger, events.slice(0, 4));
    const entry = ledger.get('item_a1')!;
    assert.equal(entry.settled, false);
    assert.equal(entry.item.type === 'message' && entry.item.status, 'in_progress');
  });

  test('a cancelled answer is settled as incomplete with what was said', () => {
    const ledger = new ConversationLedger();
    const events = assistantAudioTurn('resp_1', 'item_a1', null, 'Well, I');
    feed(ledger, events.slice(0, 8));
    ledger.apply(
      ev('response.done', {
        response: {
          id: 'resp_1',
          status: 'cancelled',
          output: [
            {
              id: 'item_a1',
              type: 'message',
              role: 'assistant',
              status: 'incomplete',
              content: [{ type: 'output_audio', transcript: 'Well, I' }],
            },
          ],
        },
      }),
    );
    const entry = ledger.get('item_a1')!;
    assert.equal(entry.settled, true);
    assert.equal(entry.item.type === 'message' && entry.item.status, 'incomplete');
  });

  test('text answers keep their text from output_text.done', () => {
    const ledger = new ConversationLedger();
    const item: ConversationItem = { id: 'item_a', type: 'message', role: 'assistant', content: [] };
    ledger.apply(ev('conversation.item.added', { previous_item_id: null, item }));
    ledger.apply(
      ev('response.output_text.done', {
        response_id: 'r',
        item_id: 'item_a',
        output_index: 0,
        content_index: 0,
        text: 'Bonjour',
      }),
    );
    assert.deepEqual(summary(ledger), ['assistant:output_text=Bonjour']);
  });

  test('a transcript that arrives before the item is done survives the done without it', () => {
    const ledger = new ConversationLedger();
    const [committed, added, done, transcribed] = userAudioTurn('item_u1', null, 'Hello there');
    for (const event of [committed!, added!, transcribed!, done!]) ledger.apply(event);
    assert.deepEqual(summary(ledger), ['user:input_audio=Hello there']);
  });

  test('ignores events it has no use for, and items without an id', () => {
    const ledger = new ConversationLedger();
    ledger.apply(ev('input_audio_buffer.speech_started', { audio_start_ms: 0, item_id: 'item_1' }));
    ledger.apply(ev('rate_limits.updated', { rate_limits: [] }));
    ledger.apply(
      ev('conversation.item.added', {
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'no id' }] },
      }),
    );
    assert.equal(ledger.size, 0);
  });
});

describe('ConversationLedger: insert positions', () => {
  const ids = (ledger: ConversationLedger) => ledger.entries().map((e) => e.id);
  const add = (ledger: ConversationLedger, id: string, previous: string | null | undefined) =>
    ledger.apply(
      ev('conversation.item.added', {
        ...(previous === undefined ? {} : { previous_item_id: previous }),
        item: userText(id, id),
      }),
    );

  test('after previous_item_id, first for null or root, last when absent or unknown', () => {
    const ledger = new ConversationLedger();
    add(ledger, 'a', null);
    add(ledger, 'b', 'a');
    add(ledger, 'c', 'a');
    assert.deepEqual(ids(ledger), ['a', 'c', 'b']);
    add(ledger, 'd', null);
    add(ledger, 'e', 'root');
    assert.deepEqual(ids(ledger), ['e', 'd', 'a', 'c', 'b']);
    add(ledger, 'f', undefined);
    add(ledger, 'g', 'not_kept');
    assert.deepEqual(ids(ledger), ['e', 'd', 'a', 'c', 'b', 'f', 'g']);
  });

  test('a known item keeps its place when reported again', () => {
    const ledger = new ConversationLedger();
    add(ledger, 'a', null);
    add(ledger, 'b', 'a');
    add(ledger, 'a', 'b');
    assert.deepEqual(ids(ledger), ['a', 'b']);
  });

  test('a response item with no position goes last', () => {
    const ledger = new ConversationLedger();
    add(ledger, 'a', null);
    add(ledger, 'b', 'a');
    ledger.apply(
      ev('response.output_item.added', {
        response_id: 'r',
        output_index: 0,
        item: { id: 'c', type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      }),
    );
    // The conversation event that follows, with its position, does not move it.
    ledger.apply(
      ev('conversation.item.added', {
        previous_item_id: 'b',
        item: { id: 'c', type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      }),
    );
    assert.deepEqual(ids(ledger), ['a', 'b', 'c']);
  });
});

describe('ConversationLedger: bounds', () => {
  test('defaults', () => {
    assert.deepEqual(new ConversationLedger().limits, DEFAULT_LEDGER_LIMITS);
  });

  test('past maxItems the oldest items go, and the ledger says what was lost', () => {
    const ledger = new ConversationLedger({ maxItems: 3 });
    for (let i = 0; i < 5; i++)
      ledger.apply(
        ev('conversation.item.added', {
          previous_item_id: i === 0 ? null : `item_${i - 1}`,
          item: userText(`item_${i}`, `text ${i}`),
        }),
      );
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_2', 'item_3', 'item_4'],
    );
    assert.equal(ledger.complete, false);
    assert.deepEqual(ledger.lost, { items: 2, textBytes: 12 });
    assert.deepEqual(ledger.snapshot().lost, { items: 2, textBytes: 12 });
    assert.equal(ledger.snapshot().complete, false);
  });

  test('past maxTextBytes the oldest items go until the text fits', () => {
    const ledger = new ConversationLedger({ maxTextBytes: 25 });
    for (let i = 0; i < 4; i++)
      ledger.apply(ev('conversation.item.added', { item: userText(`item_${i}`, 'x'.repeat(10)) }));
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_2', 'item_3'],
    );
    assert.equal(ledger.textBytes, 20);
    assert.deepEqual(ledger.lost, { items: 2, textBytes: 20 });
  });

  test('a transcript that grows an item past the bound drops older items', () => {
    const ledger = new ConversationLedger({ maxTextBytes: 30 });
    feed(ledger, createdItem(userText('item_t', 'x'.repeat(20)), null));
    feed(ledger, userAudioTurn('item_u', 'item_t', 'y'.repeat(20)));
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_u'],
    );
    assert.equal(ledger.complete, false);
  });

  test('an item larger than the whole bound is not kept either', () => {
    const ledger = new ConversationLedger({ maxTextBytes: 10 });
    feed(ledger, createdItem(userText('item_big', 'x'.repeat(11)), null));
    assert.equal(ledger.size, 0);
    assert.deepEqual(ledger.lost, { items: 1, textBytes: 11 });
  });

  test('a late report of a dropped item does not bring it back', () => {
    const ledger = new ConversationLedger({ maxItems: 1 });
    feed(ledger, createdItem(userText('item_1', 'one'), null));
    feed(ledger, createdItem(userText('item_2', 'two'), 'item_1'));
    ledger.apply(ev('conversation.item.done', { previous_item_id: null, item: userText('item_1', 'one') }));
    assert.deepEqual(
      ledger.entries().map((e) => e.id),
      ['item_2'],
    );
    assert.deepEqual(ledger.lost, { items: 1, textBytes: 3 });
  });

  test('counts bytes, not characters', () => {
    const ledger = new ConversationLedger();
    feed(ledger, createdItem(userText('item_1', 'héllo ✓'), null));
    assert.equal(ledger.textBytes, Buffer.byteLength('héllo ✓'));
  });

  test('refuses limits that are not whole numbers', () => {
    assert.throws(() => new ConversationLedger({ maxItems: -1 }), RangeError);
    assert.throws(() => new ConversationLedger({ maxTextBytes: 1.5 }), RangeError);
  });

  test('a snapshot does not change with later events', () => {
    const ledger = new ConversationLedger();
    feed(ledger, conversation());
    const snapshot = ledger.snapshot();
    ledger.apply(ev('conversation.item.deleted', { item_id: 'item_u1' }));
    ledger.apply(
      ev('conversation.item.truncated', { item_id: 'item_a1', content_index: 0, audio_end_ms: 5 }),
    );
    assert.equal(snapshot.entries.length, 5);
    assert.equal(snapshot.entries[3]!.truncation, null);
  });
});

describe('ledger helpers', () => {
  test('stripAudio returns the same item when there is no audio', () => {
    const item = userText('a', 'hi');
    assert.equal(stripAudio(item), item);
    const call: ConversationItem = { type: 'function_call', name: 'f', arguments: '{}' };
    assert.equal(stripAudio(call), call);
  });

  test('mergeItem keeps what the update lacks and takes what it has', () => {
    const known: ConversationItem = {
      id: 'a',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'output_audio', transcript: 'old' },
        { type: 'output_text', text: 'kept' },
      ],
    };
    const update: ConversationItem = {
      id: 'a',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_audio', transcript: null as unknown as string }],
    };
    assert.deepEqual(mergeItem(known, update), {
      id: 'a',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [
        { type: 'output_audio', transcript: 'old' },
        { type: 'output_text', text: 'kept' },
      ],
    });
    const newer: ConversationItem = { ...update, content: [{ type: 'output_audio', transcript: 'new' }] };
    assert.equal(
      (mergeItem(known, newer) as { content: { transcript?: string }[] }).content[0]!.transcript,
      'new',
    );
    const call: ConversationItem = { type: 'function_call', name: 'f', arguments: '{"a":1}' };
    assert.equal(mergeItem(known, call), call);
  });

  test('setContentField fills a part, or adds the part a transcript belongs to', () => {
    const empty: ConversationItem = { type: 'message', role: 'assistant', content: [] };
    assert.deepEqual(setContentField(empty, 0, 'transcript', 'hi'), {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_audio', transcript: 'hi' }],
    });
    assert.deepEqual(setContentField(empty, 0, 'text', 'hi'), {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'hi' }],
    });
    const user: ConversationItem = { type: 'message', role: 'user', content: [] };
    assert.deepEqual(setContentField(user, 0, 'transcript', 'yo'), {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', transcript: 'yo' }],
    });
    assert.equal(setContentField(empty, 2, 'text', 'gap'), empty);
    assert.equal(setContentField(user, 0, 'text', 'x'), user);
    const call: ConversationItem = { type: 'function_call', name: 'f', arguments: '' };
    assert.equal(setContentField(call, 0, 'text', 'x'), call);
  });

  test('textBytesOf counts every kind of kept text', () => {
    assert.equal(textBytesOf({ type: 'function_call', name: 'ab', arguments: 'cde' }), 5);
    assert.equal(textBytesOf({ type: 'function_call_output', call_id: 'c', output: 'héllo' }), 6);
    assert.equal(
      textBytesOf({
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_image', image_url: 'data:x' },
          { type: 'input_audio', transcript: 'ab' },
        ],
      }),
      8,
    );
    const mcp: ConversationItem = {
      type: 'mcp_approval_request',
      id: 'm',
      server_label: 's',
      name: 'n',
      arguments: '',
    };
    assert.equal(textBytesOf(mcp), JSON.stringify(mcp).length);
  });

  test('outputBytesPerMs follows the output format', () => {
    assert.equal(outputBytesPerMs(null), null);
    assert.equal(outputBytesPerMs(SESSION), 48);
    assert.equal(outputBytesPerMs({ ...SESSION, audio: {} }), 48);
    assert.equal(outputBytesPerMs({ ...SESSION, audio: { output: { format: { type: 'audio/pcma' } } } }), 8);
    assert.equal(
      outputBytesPerMs({ type: 'transcription', id: 's', object: 'realtime.transcription_session' }),
      null,
    );
  });
});
