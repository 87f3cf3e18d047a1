/**
 * The client's view of the gateway's calls: `mcp_call` items and GA MCP events with
 * `callEvents: mcp`, nothing of the calls with `hidden`, and the upstream's `response.done` as
 * the client is to see it once the calls have finished.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConversationItem, ResponseDoneEvent, ServerEvent } from '@realtime-gateway/protocol';
import { conversationItem } from '../src/mcp/call-events.js';
import { advance, type Call, CallBook } from '../src/mcp/calls.js';
import { ClientView } from '../src/mcp/client-view.js';
import { openCall } from './support/mcp-calls.js';

function view(callEvents: 'mcp' | 'hidden'): { view: ClientView; sent: ServerEvent[] } {
  const sent: ServerEvent[] = [];
  return { view: new ClientView({ callEvents, sendClient: (event) => sent.push(event) }), sent };
}

/** A settled call with its output, and the upstream's `response.done` listing it after a message. */
function finishedCall(): { call: Call; done: ResponseDoneEvent; message: ConversationItem } {
  const call = openCall(new CallBook(), { responseId: 'resp_1', outputIndex: 1 });
  call.arguments = '{"id":7}';
  advance(call, { type: 'start', approval: false });
  advance(call, { type: 'finish' });
  call.output = 'Ada Lovelace';
  const message: ConversationItem = {
    type: 'message',
    id: 'item_msg',
    role: 'assistant',
    content: [{ type: 'output_text', text: 'Looking.' }],
  };
  const functionCall: ConversationItem = {
    type: 'function_call',
    id: call.itemId,
    call_id: call.callId,
    name: 'crm__lookup',
    arguments: '{"id":7}',
  };
  const done = {
    type: 'response.done',
    event_id: 'event_done',
    response: {
      object: 'realtime.response',
      id: 'resp_1',
      status: 'completed',
      output: [message, functionCall],
    },
  } as ResponseDoneEvent;
  return { call, done, message };
}

describe("the client's view of calls", () => {
  test('mcp: the upstream function-call events become mcp_call events', () => {
    const { view: shown } = view('mcp');
    const call = openCall(new CallBook(), { responseId: 'resp_1', outputIndex: 2 });
    const added = shown.added(call);
    assert.equal(added.action, 'replace');
    const item = (added as { event: Extract<ServerEvent, { type: 'response.output_item.added' }> }).event;
    assert.equal(item.output_index, 2);
    assert.deepEqual(item.item, {
      type: 'mcp_call',
      id: call.itemId,
      server_label: 'crm',
      name: 'lookup',
      arguments: '',
    });
    const delta = shown.argumentsDelta(call, '{"i');
    assert.equal(delta.action === 'replace' && delta.event.type, 'response.mcp_call_arguments.delta');
    call.arguments = '{"id":7}';
    const argsDone = shown.argumentsDone(call);
    assert.equal(argsDone.action === 'replace' && argsDone.event.type, 'response.mcp_call_arguments.done');
  });

  test("mcp: a call's conversation items show as mcp_call items; its .done waits for the call to finish", () => {
    const { view: shown } = view('mcp');
    const call = openCall(new CallBook(), { responseId: 'resp_1' });
    const upstreamItem: ConversationItem = {
      type: 'function_call',
      id: call.itemId,
      call_id: call.callId,
      name: 'crm__lookup',
      arguments: '',
    };
    const added = shown.item(conversationItem('conversation.item.added', upstreamItem), call);
    assert.equal(
      added.action === 'replace' && (added.event as { item: ConversationItem }).item.type,
      'mcp_call',
    );
    const done = shown.item(conversationItem('conversation.item.done', upstreamItem), call);
    assert.deepEqual(done, { action: 'drop' });
  });

  test('mcp: progress events say running, completed or failed', () => {
    const { view: shown, sent } = view('mcp');
    const call = openCall(new CallBook(), { responseId: 'resp_1' });
    shown.progress(call, 'running');
    shown.progress(call, 'settled');
    call.error = { type: 'tool_execution_error', message: 'no' };
    shown.progress(call, 'settled');
    assert.deepEqual(
      sent.map((event) => event.type),
      ['response.mcp_call.in_progress', 'response.mcp_call.completed', 'response.mcp_call.failed'],
    );
  });

  test("mcp: finishing sends the call's final item, then response.done with the mcp_call in its place", () => {
    const { view: shown, sent } = view('mcp');
    const { call, done, message } = finishedCall();
    shown.finish({ done, calls: [call], cancelled: false });
    assert.deepEqual(
      sent.map((event) => event.type),
      ['response.output_item.done', 'conversation.item.done', 'response.done'],
    );
    const final = sent[2] as ResponseDoneEvent;
    assert.equal(final.response.status, 'completed');
    assert.deepEqual(final.response.output, [
      message,
      {
        type: 'mcp_call',
        id: call.itemId,
        server_label: 'crm',
        name: 'lookup',
        arguments: '{"id":7}',
        output: 'Ada Lovelace',
      },
    ]);
  });

  test('hidden: none of the call reaches the client, and response.done lists only the other items', () => {
    const { view: shown, sent } = view('hidden');
    const { call, done, message } = finishedCall();
    assert.deepEqual(shown.added(call), { action: 'drop' });
    assert.deepEqual(shown.argumentsDelta(call, '{'), { action: 'drop' });
    assert.deepEqual(shown.argumentsDone(call), { action: 'drop' });
    shown.progress(call, 'running');
    shown.progress(call, 'settled');
    assert.equal(sent.length, 0);
    shown.finish({ done, calls: [call], cancelled: false });
    assert.deepEqual(
      sent.map((event) => event.type),
      ['response.done'],
    );
    assert.deepEqual((sent[0] as ResponseDoneEvent).response.output, [message]);
  });

  test('a response the gateway cancelled ends cancelled for the client, though the upstream completed it', () => {
    const { view: shown, sent } = view('hidden');
    const { call, done } = finishedCall();
    shown.finish({ done, calls: [call], cancelled: true });
    const final = sent[0] as ResponseDoneEvent;
    assert.equal(final.response.status, 'cancelled');
    assert.deepEqual(final.response.status_details, { type: 'cancelled', reason: 'client_cancelled' });
  });
});
