/**
 * A session with continuity over scripted legs: the upstream is lost mid-response, the client
 * stays, the response in flight ends failed, the conversation is replayed onto a new upstream
 * unseen, and the ids the client knows keep working; the replacement limit holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Redialled, SessionContinuity } from '../src/continuity/session-continuity.js';
import { Session } from '../src/session/session.js';
import { NO_LOG, type UpstreamReplacement } from '../src/vocabulary/session.js';
import { ev, SESSION, userAudioTurn } from './support/conversation-events.js';
import { testConfig } from './support/harness.js';
import { ScriptedLeg } from './support/scripted-leg.js';

const LIMITS = testConfig({}).limits;
const INFO = {
  sessionId: 'sess_gw',
  model: 'gpt-realtime',
  upstreamModel: 'gpt-realtime',
  upstreamName: 'first',
  keyId: null,
  intent: 'conversation' as const,
};

/** An upstream that confirms whatever is replayed onto it, under ids of its own. */
function answering(leg: ScriptedLeg): void {
  leg.receive({ type: 'session.created', event_id: 'n0', session: { ...SESSION, id: 'sess_second' } });
  for (const text of leg.texts) {
    const event = JSON.parse(text);
    if (event.type === 'session.update')
      leg.receive({ type: 'session.updated', event_id: 'n1', session: { ...SESSION, ...event.session } });
    else if (event.type === 'conversation.item.create')
      leg.receive({
        type: 'conversation.item.added',
        event_id: 'n2',
        previous_item_id: null,
        item: { ...event.item, id: `up_${event.item.id}` },
      });
  }
}

function rig(
  maxReplacements: number,
  rollover: { maxSessionMs: number; rolloverBeforeMs: number } | null = null,
) {
  const client = new ScriptedLeg();
  const first = new ScriptedLeg();
  const dialled: ScriptedLeg[] = [];
  const outcomes: string[] = [];
  const replacements: UpstreamReplacement[] = [];
  const continuity = new SessionContinuity({
    maxReplacements,
    replayTimeoutMs: rollover === null ? 5000 : 100,
    ...(rollover ?? {}),
    log: NO_LOG,
    dial: async (): Promise<Redialled> => {
      const leg = new ScriptedLeg();
      dialled.push(leg);
      // The new upstream answers on a later turn, as a socket would.
      setImmediate(() => answering(leg));
      return { ok: true, leg, upstream: 'second', maxSessionMs: null };
    },
    replaced: (_session, replacement) => {
      outcomes.push(replacement.outcome);
      replacements.push(replacement);
    },
  });
  const session = new Session({
    info: INFO,
    limits: LIMITS,
    middleware: [() => continuity.upstreamSide, () => continuity.clientSide],
    upstreamEnded: continuity.upstreamEnded,
  });
  continuity.serve(session);
  session.start(client, first);
  for (const event of [
    ev('session.updated', { session: SESSION }),
    ...userAudioTurn('item_a', null, 'Hello there.'),
  ])
    first.receive(event);
  return { client, first, dialled, outcomes, replacements, session, continuity };
}

/** Waits for `done`, for a few event-loop turns or, given `ms`, for up to that long. */
const until = async (done: () => boolean, ms = 0) => {
  const deadline = Date.now() + ms;
  for (let k = 0; !done() && (k < 200 || Date.now() < deadline); k++)
    await new Promise((resolve) => (k < 200 ? setImmediate(resolve) : setTimeout(resolve, 5)));
  assert.ok(done());
};

describe('a session with continuity', () => {
  it('outlives its upstream: the response in flight ends failed, the replay is unseen, old ids still work', async () => {
    const { client, first, dialled, outcomes, replacements, session } = rig(3);
    first.receive(
      ev('response.created', {
        response: { object: 'realtime.response', id: 'resp_1', status: 'in_progress', output: [] },
      }),
    );
    const seenBefore = client.texts.length;
    first.peerClose(1006);
    assert.equal(session.state, 'replacing');
    client.receive({ type: 'conversation.item.retrieve', event_id: 'ask', item_id: 'item_a' });
    await until(() => session.state === 'open');
    const told = client.texts.slice(seenBefore).map((text) => JSON.parse(text));
    assert.deepEqual(
      told.map((event) => [event.type, event.response?.status, event.response?.status_details?.error?.code]),
      [['response.done', 'failed', 'upstream_replaced']],
      'the client hears the response end, and nothing of the replay',
    );
    const next = dialled[0]!;
    const sent = next.texts.map((text) => JSON.parse(text));
    assert.deepEqual(
      sent.map((event) => event.type),
      ['session.update', 'conversation.item.create', 'conversation.item.retrieve'],
    );
    const upstreamId = sent[1].item.id;
    assert.equal(sent[2].item_id, `up_${upstreamId}`, 'the retrieve names the new upstream’s id');
    // The replayed item's `done`, coming after the replay was confirmed, is the replay's too.
    const heard = client.texts.length;
    next.receive({
      type: 'conversation.item.done',
      event_id: 'late',
      previous_item_id: null,
      item: { ...sent[1].item, id: `up_${upstreamId}`, status: 'completed' },
    });
    assert.equal(client.texts.length, heard, 'the client does not hear it');
    next.receive({
      type: 'conversation.item.retrieved',
      event_id: 'r',
      item: {
        id: `up_${upstreamId}`,
        type: 'message',
        role: 'user',
        status: 'completed',
        content: [{ type: 'input_text', text: 'Hello there.' }],
      },
    });
    assert.equal(JSON.parse(client.texts.at(-1)!).item.id, 'item_a', 'the client sees the id it knows');
    assert.deepEqual(outcomes, ['replaced']);
    assert.deepEqual(
      replacements.map((r) => [r.reason, r.from, r.to]),
      [['lost', 'first', 'second']],
    );
    assert.equal(session.info.upstreamName, 'second', 'the session names the upstream it is on');
    assert.deepEqual(
      session.snapshot().upstreams.map((u) => [u.upstream, u.upstreamSessionId, u.ended]),
      [
        ['first', null, 'lost'],
        ['second', 'sess_second', null],
      ],
    );
  });

  it('past maxReplacements, or after a normal close, the session ends as the upstream did', async () => {
    const { client, first, dialled, session } = rig(1);
    first.peerClose(1011);
    await until(() => session.state === 'open');
    dialled[0]!.peerClose(1011);
    assert.equal(session.state, 'closing');
    assert.deepEqual(client.closedWith, { code: 1011, reason: '' });

    const normal = rig(3);
    normal.first.peerClose(1000, 'done');
    assert.deepEqual(normal.client.closedWith, { code: 1000, reason: 'done' });
    assert.equal(normal.dialled.length, 0);
  });

  it('rolls over at a quiet moment before the upstream’s cap, closing the old connection itself', async () => {
    // Cap 400 ms, window from 100 ms before it: the session moves at about 300 ms.
    const { client, first, dialled, replacements, session } = rig(3, {
      maxSessionMs: 400,
      rolloverBeforeMs: 100,
    });
    await until(() => dialled.length === 1, 1000);
    assert.deepEqual(first.closedWith, { code: 1000, reason: 'rollover' });
    await until(() => session.state === 'open');
    assert.deepEqual(
      replacements.map((r) => [r.outcome, r.reason, r.from, r.to]),
      [['replaced', 'rollover', 'first', 'second']],
    );
    assert.equal(
      client.texts.filter((text) => JSON.parse(text).type === 'response.done').length,
      0,
      'nothing was in flight, so nothing ended',
    );
    assert.deepEqual(
      session.snapshot().upstreams.map((u) => u.ended),
      ['rollover', null],
    );
    session.terminate('test over');
  });

  it('waits while the user speaks, and rolls over once they stop', async () => {
    const { first, dialled, session } = rig(3, { maxSessionMs: 1200, rolloverBeforeMs: 1100 });
    first.receive(ev('input_audio_buffer.speech_started', { audio_start_ms: 0, item_id: 'item_s' }));
    // The window opens at 100 ms; the deadline (cap less the replay time) is 1100 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(dialled.length, 0, 'no rollover while the user speaks');
    first.receive(ev('input_audio_buffer.speech_stopped', { audio_end_ms: 900, item_id: 'item_s' }));
    await until(() => dialled.length === 1, 1000);
    assert.ok(first.closedWith !== null);
    session.terminate('test over');
  });

  it('rolls over no more than maxReplacements allow', async () => {
    const { first, dialled, session } = rig(0, { maxSessionMs: 200, rolloverBeforeMs: 150 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(dialled.length, 0);
    assert.equal(first.closedWith, null);
    session.terminate('test over');
  });
});
