/**
 * A session with client resume, over scripted legs: a client lost without a close frame leaves
 * the session `detached`; what the upstream sends meanwhile is kept and given to the client that
 * resumes; past the grace period, or past what is kept, the session ends; and the window of
 * recent frames itself keeps the newest ones within its bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResumeWindow } from '../src/session/resume-window.js';
import { Session } from '../src/session/session.js';
import { testConfig } from './support/harness.js';
import { ScriptedLeg } from './support/scripted-leg.js';

const LIMITS = testConfig({}).limits;
const INFO = {
  sessionId: 'sess_r',
  model: 'gpt-realtime',
  upstreamModel: 'gpt-realtime',
  upstreamName: 'up',
  keyId: null,
  intent: 'conversation' as const,
};
const delta = (n: number, pad = 0) => ({
  type: 'response.output_text.delta',
  event_id: `event_${n}`,
  response_id: 'resp_1',
  item_id: 'item_1',
  output_index: 0,
  content_index: 0,
  delta: `${n}${'x'.repeat(pad)}`,
});

function rig(windowBytes = 100_000, graceMs = 1000) {
  let now = 1_000;
  const client = new ScriptedLeg();
  const upstream = new ScriptedLeg();
  const ends: string[] = [];
  const session = new Session({
    info: INFO,
    limits: LIMITS,
    resume: { graceMs, windowBytes },
    now: () => now,
    onEnd: (_s, cause) => ends.push(cause),
  });
  session.start(client, upstream);
  return { client, upstream, session, ends, advance: (ms: number) => (now += ms), at: () => now };
}

describe('a session a client may resume', () => {
  it('is detached when its client is lost, keeps what the upstream sends, and gives it to the client that resumes', () => {
    const { client, upstream, session } = rig();
    upstream.receive(delta(1));
    client.peerClose(1006);
    assert.equal(session.state, 'detached');
    assert.equal(upstream.closedWith, null, 'the upstream goes on');
    upstream.receive(delta(2));
    upstream.receive(delta(3));
    const back = new ScriptedLeg();
    assert.equal(session.resume(back, null), null);
    assert.equal(session.state, 'open');
    assert.deepEqual(
      back.texts.map((text) => JSON.parse(text).event_id),
      ['event_2', 'event_3'],
    );
    upstream.receive(delta(4));
    assert.equal(JSON.parse(back.texts.at(-1)!).event_id, 'event_4');
    back.receive({ type: 'response.cancel' });
    assert.equal(JSON.parse(upstream.texts.at(-1)!).type, 'response.cancel', 'what it sends goes upstream');
  });

  it('a connection naming the last event it got takes over from one still open, and gets the rest', () => {
    const { client, upstream, session } = rig();
    for (const n of [1, 2, 3]) upstream.receive(delta(n));
    const other = new ScriptedLeg();
    assert.equal(session.resume(other, 'event_1'), null);
    assert.deepEqual(client.closedWith, { code: 4001, reason: 'resumed on another connection' });
    assert.deepEqual(
      other.texts.map((text) => JSON.parse(text).event_id),
      ['event_2', 'event_3'],
    );
    assert.equal(session.resume(new ScriptedLeg(), 'event_unknown'), 'gap');
  });

  it('ends past the grace period, as a lost client ends a session', () => {
    const { client, upstream, session, ends, advance } = rig(100_000, 1000);
    client.peerClose(1006);
    advance(999);
    session.tick(1000 + 999);
    assert.equal(session.state, 'detached');
    session.tick(1000 + 1000);
    assert.equal(session.state, 'closing');
    assert.deepEqual(upstream.closedWith, { code: 1001, reason: 'client connection lost' });
    upstream.peerClose(1000);
    assert.deepEqual(ends, ['client_lost']);
    assert.equal(session.resume(new ScriptedLeg(), null), 'not_resumable');
  });

  it('ends when more is sent meanwhile than is kept for the client', () => {
    const { client, upstream, session } = rig(2048);
    client.peerClose(1006);
    for (let n = 0; n < 20; n++) upstream.receive(delta(n, 200));
    assert.equal(session.state, 'closing');
  });

  it('an upstream held back for a slow client reads again once that client is lost, and after a resume', () => {
    const { client, upstream, session } = rig();
    client.bufferedAmount = LIMITS.highWaterBytes + 1;
    upstream.receive(delta(1));
    assert.equal(upstream.paused, true, 'held back for the slow client');
    client.peerClose(1006);
    assert.equal(upstream.paused, false, 'what it sends now goes into the bounded window');
    upstream.receive(delta(2));
    const back = new ScriptedLeg();
    assert.equal(session.resume(back, 'event_1'), null);
    assert.deepEqual(
      back.texts.map((text) => JSON.parse(text).event_id),
      ['event_2'],
    );
    assert.equal(upstream.paused, false);
  });

  it('a client that closes with a close frame ends the session: it left', () => {
    const { client, session } = rig();
    client.peerClose(1000);
    assert.equal(session.state, 'closing');
  });
});

describe('the resume window', () => {
  it('keeps the newest frames within its bytes, numbered, findable by event id', () => {
    const window = new ResumeWindow(300);
    for (let n = 0; n < 10; n++) window.push(JSON.stringify(delta(n, 20)), false);
    assert.equal(window.next, 10);
    assert.ok(window.oldest > 0, 'the oldest went');
    const kept = window.from(window.oldest).map((frame) => JSON.parse(String(frame.data)).event_id);
    assert.equal(kept.at(-1), 'event_9');
    assert.equal(window.after('event_9'), 10);
    assert.equal(window.after('event_0'), null, 'an event no longer kept');
    assert.deepEqual(window.from(window.oldest - 1), []);
    window.push(Buffer.from([1, 2, 3]), true);
    assert.equal(window.next, 11);
  });

  it('stays bounded over many frames', () => {
    const window = new ResumeWindow(10_000);
    for (let n = 0; n < 50_000; n++) window.push(JSON.stringify(delta(n)), false);
    const kept = window.from(window.oldest);
    assert.ok(kept.length < 200);
    assert.equal(window.next - window.oldest, kept.length);
  });
});
