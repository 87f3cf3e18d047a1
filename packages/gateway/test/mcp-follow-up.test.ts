/**
 * Follow-up sequencing, and the bookkeeping it relies on: which responses' calls are finished,
 * the outputs injected in call order, one `response.create` per response (the client's own
 * when it sent one meanwhile), and the echoes of injected outputs kept from the client.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClientEvent, ResponseDoneEvent, ServerEvent } from '@realtime-gateway/protocol';
import { advance, CallBook, callArguments } from '../src/mcp/calls.js';
import { FollowUp } from '../src/mcp/follow-up.js';
import { RecentSet } from '../src/mcp/recent-set.js';
import { openCall } from './support/mcp-calls.js';

function responseDone(responseId: string): ResponseDoneEvent {
  return {
    type: 'response.done',
    event_id: 'event_done',
    response: { object: 'realtime.response', id: responseId, status: 'completed', output: [] },
  } as ResponseDoneEvent;
}

interface Setup {
  readonly followUp: FollowUp;
  readonly upstream: ClientEvent[];
  readonly client: ServerEvent[];
  readonly ownEvents: RecentSet<string>;
  /** What `pending` answers; the test sets it as the session's responses would. */
  pending: boolean;
}

function setup(): Setup {
  const upstream: ClientEvent[] = [];
  const client: ServerEvent[] = [];
  const ownEvents = new RecentSet<string>(64);
  const state: Setup = {
    upstream,
    client,
    ownEvents,
    pending: false,
    followUp: new FollowUp({
      sendUpstream: (event) => upstream.push(event),
      sendClient: (event) => client.push(event),
      ownEvents,
      pending: () => state.pending,
    }),
  };
  return state;
}

const create: ClientEvent = { type: 'response.create', event_id: 'event_client_create' };

describe('follow-up sequencing', () => {
  test("with nothing pending, the client's response.create goes on", () => {
    const s = setup();
    assert.equal(s.followUp.offer(create, 'event_client_create'), false);
    assert.equal(s.upstream.length, 0);
    assert.equal(s.client.length, 0);
  });

  test('outputs go upstream in the order given, then one response.create of the gateway', () => {
    const s = setup();
    s.followUp.deliver([
      { callId: 'call_a', output: 'A', error: null },
      {
        callId: 'call_b',
        output: null,
        error: { type: 'tool_execution_error', message: 'no such customer' },
      },
    ]);
    assert.deepEqual(
      s.upstream.map((event) =>
        event.type === 'conversation.item.create' && event.item.type === 'function_call_output'
          ? [event.type, event.item.call_id, event.item.output]
          : [event.type],
      ),
      [
        ['conversation.item.create', 'call_a', 'A'],
        [
          'conversation.item.create',
          'call_b',
          JSON.stringify({ error: { type: 'tool_execution_error', message: 'no such customer' } }),
        ],
        ['response.create'],
      ],
    );
    // Every event the gateway sent is its own: an error naming one is not the client's.
    for (const event of s.upstream) assert.ok(s.ownEvents.has(event.event_id as string), event.type);
    assert.equal(s.ownEvents.size, 3);
  });

  test("a client's response.create while a follow-up is pending is held and becomes the follow-up", () => {
    const s = setup();
    s.pending = true;
    assert.equal(s.followUp.offer(create, 'event_client_create'), true);
    assert.equal(s.upstream.length, 0);
    s.pending = false;
    s.followUp.deliver([{ callId: 'call_a', output: 'A', error: null }]);
    assert.deepEqual(
      s.upstream.map((event) => event.type),
      ['conversation.item.create', 'response.create'],
    );
    assert.equal(s.upstream[1], create);
    assert.equal(s.ownEvents.has('event_client_create'), false);
  });

  test('a second response.create while one is held is refused as a server refuses it', () => {
    const s = setup();
    s.pending = true;
    s.followUp.offer(create, 'event_client_create');
    assert.equal(s.followUp.offer({ type: 'response.create' }, 'event_second'), true);
    assert.equal(s.client.length, 1);
    const error = s.client[0] as Extract<ServerEvent, { type: 'error' }>;
    assert.equal(error.error.code, 'conversation_already_has_active_response');
    assert.equal(error.error.event_id, 'event_second');
    // The first one is still the follow-up.
    s.pending = false;
    s.followUp.deliver([]);
    assert.deepEqual(s.upstream, [create]);
  });

  test('while another response is pending, outputs go upstream but the response.create waits for it', () => {
    const s = setup();
    s.pending = true;
    s.followUp.deliver([{ callId: 'call_a', output: 'A', error: null }]);
    assert.deepEqual(
      s.upstream.map((event) => event.type),
      ['conversation.item.create'],
    );
    s.pending = false;
    s.followUp.deliver([{ callId: 'call_b', output: 'B', error: null }]);
    assert.deepEqual(
      s.upstream.map((event) => event.type),
      ['conversation.item.create', 'conversation.item.create', 'response.create'],
    );
  });

  test('a response finished without follow-up releases the held response.create, unless another is pending', () => {
    const s = setup();
    s.followUp.release();
    assert.equal(s.upstream.length, 0, 'nothing held');
    s.pending = true;
    s.followUp.offer(create, null);
    s.followUp.release();
    assert.equal(s.upstream.length, 0, 'another follow-up will take it');
    s.pending = false;
    s.followUp.release();
    assert.deepEqual(s.upstream, [create]);
    s.followUp.release();
    assert.deepEqual(s.upstream, [create], 'sent once');
  });

  test("the upstream's echoes of injected outputs are recognised until their last one", () => {
    const s = setup();
    s.followUp.deliver([{ callId: 'call_a', output: 'A', error: null }]);
    const output = { type: 'function_call_output', call_id: 'call_a', output: 'A' } as const;
    assert.equal(s.followUp.isEcho('conversation.item.added', output), true);
    assert.equal(s.followUp.isEcho('conversation.item.done', output), true);
    assert.equal(s.followUp.isEcho('conversation.item.done', output), false, 'forgotten after .done');
    assert.equal(
      s.followUp.isEcho('conversation.item.added', { ...output, call_id: 'call_client' }),
      false,
      "the client's own output",
    );
  });
});

describe('the calls of a session', () => {
  test('a response finishes once its upstream part is done and every call settled, calls in output order', () => {
    const book = new CallBook();
    const second = openCall(book, { responseId: 'resp_1', outputIndex: 1 });
    const first = openCall(book, { responseId: 'resp_1', outputIndex: 0 });
    const work = book.response('resp_1')!;
    assert.equal(book.followUpPending(), true);
    for (const call of [first, second]) advance(call, { type: 'start', approval: false });
    advance(first, { type: 'finish' });
    work.upstreamDone = responseDone('resp_1');
    assert.equal(book.finish(work), null, 'a call is still running');
    advance(second, { type: 'finish' });
    assert.deepEqual(book.finish(work), [first, second]);
    assert.equal(book.finish(work), null, 'finished once');
    assert.equal(book.response('resp_1'), null);
    assert.equal(book.byItemId(first.itemId), null);
    assert.equal(book.followUpPending(), false);
  });

  test('a response whose calls are settled waits for the upstream response.done', () => {
    const book = new CallBook();
    const call = openCall(book, { responseId: 'resp_1' });
    advance(call, { type: 'cancel' });
    const work = book.response('resp_1')!;
    assert.equal(book.finish(work), null);
    work.upstreamDone = responseDone('resp_1');
    assert.deepEqual(book.finish(work), [call]);
  });

  test('a cancelled response has no follow-up pending; calls are found by item and by upstream item', () => {
    const book = new CallBook();
    const call = openCall(book, { responseId: 'resp_1' });
    assert.equal(book.byItemId(call.itemId), call);
    assert.equal(
      book.forItem({
        type: 'function_call',
        id: call.itemId,
        call_id: call.callId,
        name: 'x',
        arguments: '',
      }),
      call,
    );
    assert.equal(book.forItem({ type: 'function_call_output', call_id: call.callId, output: '' }), null);
    book.response('resp_1')!.cancelled = true;
    assert.equal(book.followUpPending(), false);
    assert.deepEqual(book.unfinished(), [book.response('resp_1')]);
  });

  test('call arguments: a JSON object, or none for an empty string; anything else is refused', () => {
    assert.deepEqual(callArguments('{"id":7}'), { id: 7 });
    assert.deepEqual(callArguments('  '), {});
    assert.equal(callArguments('[1]'), null);
    assert.equal(callArguments('null'), null);
    assert.equal(callArguments('"text"'), null);
    assert.equal(callArguments('{"id":'), null);
  });
});
