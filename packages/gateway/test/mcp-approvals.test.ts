/**
 * Approvals of client-declared tools that require them: the request the client sees, its
 * answers (approve, reject, unknown, twice, too late), and expiry. Expiry runs on a clock the
 * test turns by hand, so nothing here waits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { McpApprovalResponseItem, ServerEvent } from '@realtime-gateway/protocol';
import { Approvals, type Schedule } from '../src/mcp/approvals.js';
import { advance, type Call, CallBook } from '../src/mcp/calls.js';
import type { McpFailure } from '../src/mcp/connection.js';
import { openCall } from './support/mcp-calls.js';

/** A clock turned by hand: `fire` runs what is due, as the timer would. */
class ManualClock {
  readonly tasks: { task: () => void; ms: number; cancelled: boolean }[] = [];
  readonly schedule: Schedule = (task, ms) => {
    const entry = { task, ms, cancelled: false };
    this.tasks.push(entry);
    return () => {
      entry.cancelled = true;
    };
  };

  get live(): number {
    return this.tasks.filter((entry) => !entry.cancelled).length;
  }

  fire(): void {
    for (const entry of this.tasks.splice(0)) if (!entry.cancelled) entry.task();
  }
}

interface Setup {
  readonly approvals: Approvals;
  readonly clock: ManualClock;
  readonly sent: ServerEvent[];
  readonly expired: { call: Call; failure: McpFailure }[];
  /** A call of a tool that requires approval, moved to `awaiting_approval` and requested. */
  readonly call: Call;
}

function setup(): Setup {
  const clock = new ManualClock();
  const sent: ServerEvent[] = [];
  const expired: { call: Call; failure: McpFailure }[] = [];
  const approvals = new Approvals({
    timeoutMs: 300_000,
    sendClient: (event) => sent.push(event),
    onExpired: (call, failure) => expired.push({ call, failure }),
    schedule: clock.schedule,
  });
  const call = openCall(new CallBook(), { responseId: 'resp_1', needsApproval: true });
  call.arguments = '{"id":7}';
  assert.ok(advance(call, { type: 'start', approval: true }));
  approvals.request(call);
  return { approvals, clock, sent, expired, call };
}

function answer(call: Call, approve: boolean, reason?: string): McpApprovalResponseItem {
  return {
    type: 'mcp_approval_response',
    id: 'item_answer',
    approval_request_id: call.approvalRequestId as string,
    approve,
    ...(reason === undefined ? {} : { reason }),
  };
}

function items(events: readonly ServerEvent[]): { type: string; item: Record<string, unknown> }[] {
  return events.map((event) => ({
    type: event.type,
    item: (event as unknown as { item: Record<string, unknown> }).item,
  }));
}

describe('approvals', () => {
  test('a request shows the client the approval request item and starts the expiry', () => {
    const { call, sent, clock } = setup();
    assert.match(call.approvalRequestId ?? '', /^item_/);
    assert.deepEqual(
      items(sent).map(({ type, item }) => [
        type,
        item.type,
        item.id,
        item.server_label,
        item.name,
        item.arguments,
      ]),
      [
        [
          'conversation.item.added',
          'mcp_approval_request',
          call.approvalRequestId,
          'crm',
          'lookup',
          '{"id":7}',
        ],
        [
          'conversation.item.done',
          'mcp_approval_request',
          call.approvalRequestId,
          'crm',
          'lookup',
          '{"id":7}',
        ],
      ],
    );
    assert.deepEqual(
      clock.tasks.map((entry) => entry.ms),
      [300_000],
    );
  });

  test('approving: the decision, the answer shown to the client, the expiry cancelled', () => {
    const { approvals, call, sent, clock } = setup();
    sent.length = 0;
    const decision = approvals.answer(answer(call, true), 'event_client');
    assert.deepEqual(decision, { call, approved: true });
    const shown = items(sent);
    assert.deepEqual(
      shown.map(({ type, item }) => [type, item.type, item.approval_request_id, item.approve]),
      [
        ['conversation.item.added', 'mcp_approval_response', call.approvalRequestId, true],
        ['conversation.item.done', 'mcp_approval_response', call.approvalRequestId, true],
      ],
    );
    assert.deepEqual(
      shown.map(({ item }) => item.id),
      ['item_answer', 'item_answer'],
    );
    assert.equal(clock.live, 0);
  });

  test("rejecting: the call fails with the user's reason", () => {
    const { approvals, call } = setup();
    const decision = approvals.answer(answer(call, false, 'not now'), null);
    assert.deepEqual(decision, {
      call,
      approved: false,
      failure: { type: 'tool_execution_error', message: 'The user rejected the call: not now.' },
    });
    const { approvals: other, call: second } = setup();
    assert.deepEqual(other.answer(answer(second, false), null), {
      call: second,
      approved: false,
      failure: { type: 'tool_execution_error', message: 'The user rejected the call.' },
    });
  });

  test('an answer to no pending request is an error naming the field and the event', () => {
    const { approvals, sent } = setup();
    sent.length = 0;
    const unknown: McpApprovalResponseItem = {
      type: 'mcp_approval_response',
      id: 'item_answer',
      approval_request_id: 'item_unknown',
      approve: true,
    };
    assert.equal(approvals.answer(unknown, 'event_9'), null);
    assert.equal(sent.length, 1);
    assert.deepEqual((sent[0] as Extract<ServerEvent, { type: 'error' }>).error, {
      type: 'invalid_request_error',
      code: 'invalid_value',
      message: "No MCP approval request 'item_unknown' is pending.",
      param: 'item.approval_request_id',
      event_id: 'event_9',
    });
  });

  test('a second answer to the same request is refused', () => {
    const { approvals, call, sent } = setup();
    assert.notEqual(approvals.answer(answer(call, true), null), null);
    advance(call, { type: 'approve' });
    sent.length = 0;
    assert.equal(approvals.answer(answer(call, false), 'event_again'), null);
    assert.deepEqual(
      sent.map((event) => event.type),
      ['error'],
    );
  });

  test('an answer for a call no longer awaiting approval is refused', () => {
    const { approvals, call, sent } = setup();
    // The call settled another way (its response was cancelled) and its request was not released yet.
    assert.ok(advance(call, { type: 'cancel' }));
    sent.length = 0;
    assert.equal(approvals.answer(answer(call, true), null), null);
    assert.equal(sent[0]?.type, 'error');
  });

  test('an unanswered request expires: the call is to fail, and a late answer is refused', () => {
    const { approvals, call, clock, expired, sent } = setup();
    clock.fire();
    assert.deepEqual(expired, [
      { call, failure: { type: 'tool_execution_error', message: 'The approval request expired.' } },
    ]);
    sent.length = 0;
    assert.equal(approvals.answer(answer(call, true), null), null);
    assert.equal(sent[0]?.type, 'error');
  });

  test('releasing a call cancels its expiry; closing cancels every expiry', () => {
    const { approvals, call, clock, expired } = setup();
    approvals.release(call);
    assert.equal(clock.live, 0);
    clock.fire();
    assert.deepEqual(expired, []);

    const second = setup();
    const other = openCall(new CallBook(), { responseId: 'resp_2', needsApproval: true });
    advance(other, { type: 'start', approval: true });
    second.approvals.request(other);
    assert.equal(second.clock.live, 2);
    second.approvals.close();
    assert.equal(second.clock.live, 0);
    second.clock.fire();
    assert.deepEqual(second.expired, []);
  });
});
