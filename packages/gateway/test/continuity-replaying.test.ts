/**
 * Replaying onto a fresh upstream leg, with a scripted leg as the upstream: what is sent, what
 * confirms it, and each way it fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConversationLedger } from '../src/continuity/conversation-ledger.js';
import { buildReplay, type ReplayPlan } from '../src/continuity/replay.js';
import { replayOnto } from '../src/continuity/replaying.js';
import { ev, SESSION, userAudioTurn } from './support/conversation-events.js';
import { ScriptedLeg } from './support/scripted-leg.js';

/** A plan for a session with its configuration and two user turns. */
function plan(): ReplayPlan {
  const ledger = new ConversationLedger();
  for (const event of [
    ev('session.updated', { session: SESSION }),
    ...userAudioTurn('item_a', null, 'Hello there.'),
    ...userAudioTurn('item_b', 'item_a', 'What time is it?'),
  ])
    ledger.apply(event);
  let n = 0;
  return buildReplay(ledger.snapshot(), {
    newItemId: () => `item_new${++n}`,
    newEventId: () => `evt_${++n}`,
  });
}

/** The upstream's answers to what it was sent: `session.created`, then an answer per event. */
function answer(
  leg: ScriptedLeg,
  assign: (id: string) => string = (id) => id,
  /** Answer `done` after `added` for the items before this index (a GA server does for all). */
  doneBefore = 0,
): void {
  let items = 0;
  leg.receive({ type: 'session.created', event_id: 'e0', session: { id: 'sess_new' } });
  for (const text of leg.texts) {
    const event = JSON.parse(text);
    if (event.type === 'session.update')
      leg.receive({ type: 'session.updated', event_id: 'e1', session: event.session });
    else {
      const item = { ...event.item, id: assign(event.item.id) };
      leg.receive({ type: 'conversation.item.added', event_id: 'e2', item });
      if (items++ < doneBefore) leg.receive({ type: 'conversation.item.done', event_id: 'e3', item });
    }
  }
}

describe('replaying onto a fresh upstream', () => {
  it('sends the configuration and the items in order, and resolves once each is confirmed', async () => {
    const leg = new ScriptedLeg();
    const replay = plan();
    const outcome = replayOnto(leg, replay, 5000);
    assert.deepEqual(
      leg.texts.map((text) => JSON.parse(text).type),
      ['session.update', 'conversation.item.create', 'conversation.item.create'],
    );
    // The first item's `done` comes before the replay is confirmed, the second's would come after.
    answer(leg, undefined, 1);
    assert.deepEqual(await outcome, {
      ok: true,
      ids: replay.ids,
      upstreamSessionId: 'sess_new',
      pendingDone: new Set([replay.ids[1]![1]]),
    });
    leg.receive({ type: 'response.created', event_id: 'later' });
    // Detached: nothing more is read here (the session attaches next).
  });

  it('an upstream that assigns ids of its own is mapped by the order of its confirmations', async () => {
    const leg = new ScriptedLeg();
    const outcome = replayOnto(leg, plan(), 5000);
    answer(leg, (id) => `${id}_theirs`);
    const result = await outcome;
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.ok && result.ids.map(([client, upstream]) => [client, upstream.endsWith('_theirs')]),
      [
        ['item_a', true],
        ['item_b', true],
      ],
    );
  });

  it('fails when the upstream refuses a replayed event, closes, or does not answer in time', async () => {
    const refusing = new ScriptedLeg();
    const refused = replayOnto(refusing, plan(), 5000);
    const second = JSON.parse(refusing.texts[1]!);
    refusing.receive({
      type: 'error',
      event_id: 'e9',
      error: { type: 'invalid_request_error', message: 'bad item', event_id: second.event_id },
    });
    const outcome = await refused;
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error.message : '', /refused the replayed conversation: bad item/);

    const closing = new ScriptedLeg();
    const closed = replayOnto(closing, plan(), 5000);
    closing.peerClose(1011);
    assert.match(JSON.stringify(await closed), /closed \(1011\)/);

    const silent = new ScriptedLeg();
    assert.match(JSON.stringify(await replayOnto(silent, plan(), 20)), /within 20 ms/);
  });

  it('an error that names no replayed event does not fail the replay', async () => {
    const leg = new ScriptedLeg();
    const outcome = replayOnto(leg, plan(), 5000);
    leg.receive({ type: 'error', event_id: 'e9', error: { type: 'server_error', message: 'unrelated' } });
    answer(leg);
    assert.equal((await outcome).ok, true);
  });
});
