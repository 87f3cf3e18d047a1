/**
 * The session pipeline over scripted legs (no sockets): fast path, order under slow async
 * middleware, where injected events enter, the bound on held frames, and the legs' seams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientEvent } from '@realtime-gateway/protocol';
import { inputChecking } from '../src/session/input-checking.js';
import {
  DROP,
  FORWARD,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
  type Verdict,
} from '../src/session/middleware.js';
import { NO_OBSERVER } from '../src/session/observer.js';
import { Session, type UpstreamLoss } from '../src/session/session.js';
import { NO_LOG } from '../src/vocabulary/session.js';
import { ScriptedLeg } from './support/scripted-leg.js';
import { sessionRig, TEST_INFO, TEST_LIMITS } from './support/session-rig.js';

const LIMITS = TEST_LIMITS;
const INFO = TEST_INFO;
const rig = sessionRig;

/** A promise the test settles. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const append = (n: number) => ({ type: 'input_audio_buffer.append', event_id: `a${n}`, audio: 'AAAA' });

describe('the pipeline', () => {
  it('relays frames no middleware wants as the very Buffers received, and never calls the others', () => {
    const seen: string[] = [];
    const onlyDone: Middleware = {
      name: 'only-done',
      upstream: new Set(['response.done']),
      onUpstream(frame) {
        seen.push(frame.type ?? '');
        return FORWARD;
      },
    };
    const { client, upstream } = rig([() => onlyDone]);
    const sent = upstream.receive({ type: 'response.output_audio.delta', delta: 'AAAA' });
    const up = client.receive(append(1));
    assert.equal(client.sent[0]!.data, sent, 'the same Buffer object, untouched');
    assert.equal(upstream.sent[0]!.data, up);
    assert.deepEqual(seen, []);
    upstream.receive({
      type: 'response.done',
      response: { id: 'r', object: 'realtime.response', status: 'completed', output: [] },
    });
    assert.deepEqual(seen, ['response.done']);
  });

  it('an audio append input checking vouched for skips every handler unless another middleware wants appends', () => {
    const checking = inputChecking({
      mode: 'enforce',
      maxFrameBytes: 1 << 20,
      observer: NO_OBSERVER,
      log: NO_LOG,
    });
    const seen: { type: string | null; recognized: boolean }[] = [];
    const appends: Middleware = {
      name: 'appends',
      client: new Set(['input_audio_buffer.append']),
      onClient(frame) {
        seen.push({ type: frame.type, recognized: frame.recognized });
        return FORWARD;
      },
    };
    const alone = rig([checking]);
    const up = alone.client.receive(append(1));
    assert.equal(alone.upstream.sent[0]!.data, up, 'relayed as the very Buffer received');
    const bad = alone.client.receive({ type: 'input_audio_buffer.append', audio: 7 });
    assert.equal(alone.upstream.sent.length, 1, 'a frame the scan does not vouch for is still checked');
    assert.notEqual(alone.client.sent.at(-1)!.data, bad);
    const wanted = rig([() => appends, checking]);
    const again = wanted.client.receive(append(2));
    assert.equal(wanted.upstream.sent[0]!.data, again);
    assert.deepEqual(seen, [{ type: 'input_audio_buffer.append', recognized: true }]);
  });

  it('keeps each direction in order behind a slow asynchronous handler, pausing its source meanwhile', async () => {
    const gate = deferred<Verdict<ClientEvent>>();
    const slow: Middleware = {
      name: 'slow',
      client: new Set(['response.create']),
      onClient: () => gate.promise,
    };
    const { client, upstream } = rig([() => slow]);
    client.receive(append(1));
    client.receive({ type: 'response.create', event_id: 'c1' });
    client.receive(append(2));
    client.receive(append(3));
    // The other direction is not held.
    upstream.receive({ type: 'response.output_audio.delta', event_id: 'd1', delta: 'AAAA' });
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['a1'],
    );
    assert.equal(client.paused, true, 'the client is not read while its frames are held');
    assert.equal(client.sent.length, 1);
    gate.resolve(FORWARD);
    await tick();
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['a1', 'c1', 'a2', 'a3'],
    );
    assert.equal(client.paused, false);
  });

  it('passes a replaced event on serialized, and later middleware see the replacement', () => {
    const seen: unknown[] = [];
    const rewrite: Middleware = {
      name: 'rewrite',
      client: new Set(['session.update']),
      onClient: (frame) => {
        const event = frame.event;
        if (event?.type !== 'session.update') return FORWARD;
        return {
          action: 'replace',
          event: { ...event, session: { type: 'realtime', instructions: 'Be kind.' } },
        };
      },
    };
    const observe: Middleware = {
      name: 'observe',
      client: new Set(['session.update']),
      onClient: (frame) => {
        seen.push({ data: frame.data, event: frame.event });
        return FORWARD;
      },
    };
    const { client, upstream } = rig([() => rewrite, () => observe]);
    client.receive({
      type: 'session.update',
      event_id: 'u1',
      session: { type: 'realtime', instructions: 'Hi.' },
    });
    const expected = {
      type: 'session.update',
      event_id: 'u1',
      session: { type: 'realtime', instructions: 'Be kind.' },
    };
    assert.deepEqual(seen, [{ data: null, event: expected }]);
    assert.deepEqual(JSON.parse(upstream.texts[0]!), expected);
  });

  it('sends an injected event through the middleware after the injecting one only, input checking included', () => {
    const seenBy: Record<string, string[]> = { first: [], second: [], third: [] };
    const recorder =
      (name: string, inject?: (ctx: MiddlewareContext) => void): MiddlewareFactory =>
      () => ({
        name,
        client: 'all',
        onClient(frame, ctx) {
          seenBy[name]!.push(frame.eventId ?? '?');
          if (frame.eventId === 'trigger') inject?.(ctx);
          return FORWARD;
        },
      });
    const { client, upstream } = rig([
      recorder('first'),
      recorder('second', (ctx) => {
        ctx.sendUpstream({ type: 'input_audio_buffer.clear', event_id: 'injected' });
        // A malformed injection is refused by input checking, which runs after every middleware.
        ctx.sendUpstream({ type: 'conversation.item.create', event_id: 'bad' } as unknown as ClientEvent);
      }),
      recorder('third'),
      inputChecking({ mode: 'enforce', maxFrameBytes: 1024, observer: NO_OBSERVER, log: NO_LOG }),
    ]);
    client.receive({ type: 'response.create', event_id: 'trigger' });
    assert.deepEqual(seenBy, {
      first: ['trigger'],
      second: ['trigger'],
      third: ['injected', 'bad', 'trigger'],
    });
    // Injected while `trigger` was being handled: they go out before it.
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['injected', 'trigger'],
    );
    const refused = JSON.parse(client.texts[0]!);
    assert.equal(refused.type, 'error');
    assert.equal(refused.error.event_id, 'bad');
    assert.equal(refused.error.param, 'item');
  });

  it('orders an event injected from a timer behind frames already held', async () => {
    const gate = deferred<Verdict<ClientEvent>>();
    let context: MiddlewareContext | null = null;
    const slow: Middleware = {
      name: 'slow',
      client: new Set(['response.create']),
      open: (ctx) => {
        context = ctx;
      },
      onClient: () => gate.promise,
    };
    const { client, upstream } = rig([() => slow]);
    client.receive({ type: 'response.create', event_id: 'c1' });
    context!.sendUpstream({ type: 'input_audio_buffer.clear', event_id: 'later' });
    assert.equal(upstream.sent.length, 0);
    gate.resolve(FORWARD);
    await tick();
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['c1', 'later'],
    );
  });

  it('closes the session 1013 when more frames wait than limits.maxHeldFrames', async () => {
    const gate = deferred<Verdict<ClientEvent>>();
    const slow: Middleware = {
      name: 'slow',
      client: new Set(['response.create']),
      onClient: () => gate.promise,
    };
    const { client, upstream, session } = rig([() => slow], { maxHeldFrames: 3 });
    client.receive({ type: 'response.create', event_id: 'c1' });
    for (let n = 1; n <= 3; n++) client.receive(append(n));
    assert.equal(session.state, 'open', 'three frames may wait');
    client.receive(append(4));
    assert.equal(session.state, 'closing');
    assert.deepEqual(client.closedWith, { code: 1013, reason: 'too many frames held by middleware' });
    gate.resolve(FORWARD);
    await tick();
    assert.equal(upstream.sent.length, 0, 'nothing held is relayed after the end');
    await tick();
    assert.equal(session.state, 'closed');
  });

  it('fails only the frame whose handler rejected, and goes on with the next', async () => {
    const gates = [deferred<Verdict<ClientEvent>>(), deferred<Verdict<ClientEvent>>()];
    let calls = 0;
    const slow: Middleware = {
      name: 'slow',
      client: new Set(['response.create']),
      onClient: () => gates[calls++]!.promise,
    };
    const { client, upstream } = rig([() => slow]);
    client.receive({ type: 'response.create', event_id: 'bad' });
    client.receive({ type: 'response.create', event_id: 'good' });
    gates[0]!.reject(new Error('guardrail service down'));
    await tick();
    gates[1]!.resolve(FORWARD);
    await tick();
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['good'],
    );
    const failure = JSON.parse(client.texts[0]!);
    assert.deepEqual([failure.error.code, failure.error.event_id], ['internal_error', 'bad']);
  });

  it('drops what a middleware drops, and what it sends the client on open comes first', () => {
    const greeter: Middleware = {
      name: 'greeter',
      upstream: new Set(['response.output_text.delta']),
      open: (ctx) => ctx.sendClient({ type: 'input_audio_buffer.cleared', event_id: 'hello' }),
      onUpstream: () => DROP,
    };
    const client = new ScriptedLeg();
    const upstream = new ScriptedLeg();
    upstream.receive({
      type: 'session.created',
      event_id: 'greeting',
      session: { type: 'realtime', object: 'realtime.session', id: 'sess_up' },
    });
    const session = new Session({ info: INFO, limits: LIMITS, middleware: [() => greeter] });
    session.start(client, upstream);
    upstream.receive({ type: 'response.output_text.delta', event_id: 'gone', delta: 'x' });
    assert.deepEqual(
      client.texts.map((text) => JSON.parse(text).event_id),
      ['hello', 'greeting'],
    );
    assert.equal(session.snapshot().upstreamSessionId, 'sess_up');
  });
});

describe('legs', () => {
  it('an upstream leg can be replaced while the client stays; the new one is heard from, the old one closed', () => {
    const { client, upstream, session } = rig([]);
    const next = new ScriptedLeg();
    next.receive({
      type: 'session.created',
      event_id: 'again',
      session: { type: 'realtime', object: 'realtime.session', id: 'sess_2' },
    });
    assert.equal(session.replaceUpstream(next), true);
    assert.deepEqual(upstream.closedWith, { code: 1000, reason: 'upstream replaced' });
    upstream.receive({ type: 'response.done', event_id: 'stale' });
    client.receive({ type: 'response.create', event_id: 'c1' });
    assert.deepEqual(
      next.texts.map((text) => JSON.parse(text).event_id),
      ['c1'],
    );
    assert.deepEqual(
      client.texts.map((text) => JSON.parse(text).event_id),
      ['again'],
    );
    assert.equal(session.snapshot().upstreamSessionId, 'sess_2');
    assert.equal(session.state, 'open');
  });

  it('a lost upstream taken over by its handler: the client stays, waits, and is heard by the new upstream in order', () => {
    const client = new ScriptedLeg();
    const upstream = new ScriptedLeg();
    const losses: UpstreamLoss[] = [];
    const session = new Session({
      info: INFO,
      limits: LIMITS,
      upstreamEnded: (_session, loss) => {
        losses.push(loss);
        return true;
      },
    });
    session.start(client, upstream);
    upstream.peerClose(1006);
    assert.deepEqual(losses, [{ code: 1006, reason: '', lost: true }]);
    assert.equal(session.state, 'replacing');
    assert.equal(client.paused, true, 'the client is not read while the upstream is replaced');
    assert.equal(client.closedWith, null);
    // Frames already read still arrive; they wait for the new upstream.
    client.receive({ type: 'response.create', event_id: 'waits' });
    const next = new ScriptedLeg();
    next.receive({ type: 'session.updated', event_id: 'held-by-next' });
    assert.equal(session.replaceUpstream(next, { upstream: 'backup', upstreamSessionId: 'sess_2' }), true);
    assert.equal(session.state, 'open');
    assert.equal(client.paused, false);
    client.receive({ type: 'response.create', event_id: 'after' });
    assert.deepEqual(
      next.texts.map((text) => JSON.parse(text).event_id),
      ['waits', 'after'],
    );
    assert.deepEqual(
      client.texts.map((text) => JSON.parse(text).event_id),
      ['held-by-next'],
    );
    const history = session.snapshot().upstreams;
    assert.deepEqual(
      history.map(({ upstream: name, upstreamSessionId, ended }) => ({ name, upstreamSessionId, ended })),
      [
        { name: 'test', upstreamSessionId: null, ended: 'lost' },
        { name: 'backup', upstreamSessionId: 'sess_2', ended: null },
      ],
    );
    assert.equal(session.snapshot().upstreamSessionId, 'sess_2');
  });

  it('a replacement that fails ends the session with error and 1011; a declined one ends it as before', () => {
    for (const takeOver of [true, false]) {
      const client = new ScriptedLeg();
      const upstream = new ScriptedLeg();
      const ended: string[] = [];
      const session = new Session({
        info: INFO,
        limits: LIMITS,
        upstreamEnded: () => takeOver,
        onEnd: (_s, cause) => ended.push(cause),
      });
      session.start(client, upstream);
      upstream.peerClose(1011, 'restarting');
      if (takeOver) {
        assert.equal(session.state, 'replacing');
        assert.equal(
          session.failReplacement({ type: 'server_error', code: 'upstream_lost', message: 'No upstream.' }),
          true,
        );
        assert.deepEqual(client.closedWith, { code: 1011, reason: 'upstream connection lost' });
        assert.equal(JSON.parse(client.texts.at(-1)!).error.code, 'upstream_lost');
      } else {
        assert.deepEqual(client.closedWith, { code: 1011, reason: 'restarting' });
      }
      client.peerClose(1000);
      assert.deepEqual(ended, [takeOver ? 'upstream_lost' : 'upstream_closed']);
      assert.equal(session.replaceUpstream(new ScriptedLeg()), false, 'an ended session takes no upstream');
      assert.equal(session.failReplacement({ code: 'x', message: 'x' }), false);
    }
  });

  it('what waits for a new upstream is bounded: past maxBufferedBytes the session ends with 1013', () => {
    const client = new ScriptedLeg();
    const upstream = new ScriptedLeg();
    const session = new Session({
      info: INFO,
      limits: { ...LIMITS, maxBufferedBytes: 200 },
      upstreamEnded: () => true,
    });
    session.start(client, upstream);
    upstream.peerClose(1006);
    client.receive({ type: 'input_audio_buffer.append', audio: 'A'.repeat(300) });
    assert.deepEqual(client.closedWith, { code: 1013, reason: 'upstream send buffer overflow' });
    assert.equal(session.state, 'closing');
  });

  it("a rewrite verdict sends other bytes in the frame's place, which later middleware read by their new type", () => {
    const seen: unknown[] = [];
    const renaming: Middleware = {
      name: 'renaming',
      upstream: new Set(['response.audio.delta']),
      onUpstream: () => ({
        action: 'rewrite',
        data: Buffer.from(
          '{"type":"response.done","event_id":"d1","response":{"id":"r1","object":"realtime.response","status":"completed","output":[]}}',
        ),
        type: 'response.done',
      }),
    };
    const reading: Middleware = {
      name: 'reading',
      upstream: new Set(['response.done']),
      onUpstream(frame) {
        seen.push(
          frame.type,
          frame.eventId,
          (frame.event as { response?: { id: string } } | null)?.response?.id,
        );
        return FORWARD;
      },
    };
    const { client, upstream } = rig([() => renaming, () => reading]);
    upstream.receive({ type: 'response.audio.delta', event_id: 'x' });
    assert.deepEqual(seen, ['response.done', 'd1', 'r1']);
    assert.deepEqual(client.types, ['response.done']);
  });

  it('a further client attachment hears the upstream and speaks to it; its leaving does not end the session', () => {
    const { client, upstream, session } = rig([]);
    const sideband = new ScriptedLeg();
    assert.equal(session.attach(sideband), true);
    upstream.receive({ type: 'response.created', event_id: 'r1' });
    sideband.receive({ type: 'response.cancel', event_id: 'cancel' });
    assert.deepEqual(
      client.texts.map((text) => JSON.parse(text).event_id),
      ['r1'],
    );
    assert.deepEqual(
      sideband.texts.map((text) => JSON.parse(text).event_id),
      ['r1'],
    );
    assert.deepEqual(
      upstream.texts.map((text) => JSON.parse(text).event_id),
      ['cancel'],
    );
    sideband.peerClose(1000);
    assert.equal(session.state, 'open');
    upstream.receive({ type: 'response.done', event_id: 'r2' });
    assert.equal(sideband.sent.length, 1);
  });

  it('the session ending closes every leg and runs close hooks once', async () => {
    let closes = 0;
    const counting: Middleware = {
      name: 'count',
      close() {
        closes++;
        return undefined;
      },
    };
    const { client, upstream, session } = rig([() => counting]);
    const sideband = new ScriptedLeg();
    session.attach(sideband);
    client.peerClose(4001, 'bye');
    assert.deepEqual(upstream.closedWith, { code: 4001, reason: 'bye' });
    assert.deepEqual(
      sideband.closedWith,
      { code: 4001, reason: 'bye' },
      'an attachment ends with the client',
    );
    await tick();
    assert.equal(session.state, 'closed');
    assert.equal(closes, 1);
  });
});
