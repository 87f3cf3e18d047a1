/**
 * Truncating an item replayed as text: the ledger records the cut, the upstream's item is
 * deleted and created again with what was heard, after the nearest item the upstream holds, and
 * the client is answered as the upstream would have; items with no audio are refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConversationLedger } from '../src/continuity/conversation-ledger.js';
import { ItemIdMap } from '../src/continuity/item-ids.js';
import { planTruncation } from '../src/continuity/truncating.js';
import { assistantAudioTurn, ev, SESSION, userAudioTurn } from './support/conversation-events.js';

function ledgerOf(): ConversationLedger {
  const ledger = new ConversationLedger();
  for (const event of [
    ev('session.updated', { session: SESSION }),
    ...userAudioTurn('item_u1', null, 'Hello there.'),
    ...userAudioTurn('item_u2', 'item_u1', ''),
    ...assistantAudioTurn('resp_1', 'item_a1', 'item_u2', 'one two three four five six seven eight nine ten'),
  ])
    ledger.apply(event);
  return ledger;
}

const truncate = (item_id: string, content_index: number, audio_end_ms: number) =>
  ({ type: 'conversation.item.truncate', event_id: 'evt_t', item_id, content_index, audio_end_ms }) as const;

describe('truncating an item replayed as text', () => {
  it('deletes and re-creates the upstream item with the transcript heard, after the nearest item held', () => {
    const ledger = ledgerOf();
    // item_u2 had no transcript: the replay left it out, so the upstream does not hold it.
    const ids = ItemIdMap.from([
      ['item_u1', 'up_u1'],
      ['item_a1', 'up_a1'],
    ]);
    const plan = planTruncation(
      ledger,
      ids,
      new Set(['item_u2']),
      truncate('item_a1', 0, 200),
      () => 'up_a1b',
    );
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.upstream.map((event) => event.type),
      ['conversation.item.delete', 'conversation.item.create'],
    );
    const [deletion, creation] = plan.upstream as unknown as [
      { item_id: string },
      { previous_item_id: string; item: { id: string; content: { type: string; text: string }[] } },
    ];
    assert.equal(deletion.item_id, 'up_a1');
    assert.equal(creation.previous_item_id, 'up_u1');
    assert.equal(creation.item.id, 'up_a1b');
    // 200 ms of the 300 ms of audio the ledger measured: six words of ten heard.
    assert.deepEqual(creation.item.content, [{ type: 'output_text', text: 'one two three four five six…' }]);
    assert.deepEqual(plan.hide, ['up_a1', 'up_a1b']);
    assert.equal(plan.upstreamId, 'up_a1b');
    assert.deepEqual(
      [plan.client.type, plan.client.item_id, plan.client.content_index, plan.client.audio_end_ms],
      ['conversation.item.truncated', 'item_a1', 0, 200],
    );
    assert.deepEqual(ledger.get('item_a1')?.truncation, { contentIndex: 0, audioEndMs: 200 });
  });

  it('a cut before anything was heard deletes the item upstream and creates nothing', () => {
    const ledger = ledgerOf();
    const ids = ItemIdMap.from([['item_a1', 'up_a1']]);
    const plan = planTruncation(ledger, ids, new Set(), truncate('item_a1', 0, 0));
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.upstream.map((event) => event.type),
      ['conversation.item.delete'],
    );
    assert.equal(plan.upstreamId, null);
  });

  it('refuses an item or content part with no audio, or a cut past the audio, naming the field', () => {
    const ledger = ledgerOf();
    const ids = ItemIdMap.from([['item_a1', 'up_a1']]);
    for (const [event, param] of [
      [truncate('item_u1', 0, 100), 'content_index'],
      [truncate('item_a1', 3, 100), 'content_index'],
      [truncate('item_none', 0, 100), 'content_index'],
      [truncate('item_a1', 0, 1200), 'audio_end_ms'],
    ] as const) {
      const plan = planTruncation(ledger, ids, new Set(), event);
      assert.ok(!plan.ok);
      assert.equal(plan.error.code, 'invalid_value');
      assert.equal(plan.error.param, param);
      assert.equal(plan.error.eventId, 'evt_t');
    }
    assert.equal(ledger.get('item_a1')?.truncation, null, 'nothing recorded');
  });
});
