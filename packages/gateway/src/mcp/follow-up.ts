/**
 * What the gateway sends upstream once a response's calls have finished: each call's output as
 * a `function_call_output` item, then one `response.create`, so the model answers without the
 * client doing anything. A conversation has one response at a time, so a `response.create` the
 * client sends while a follow-up is pending is held and sent as the follow-up itself.
 */
import {
  type ClientEvent,
  type ConversationItem,
  newEventId,
  newItemId,
  type ServerEvent,
} from '@realtime-gateway/protocol';
import { functionOutput, requestError } from './call-events.js';
import type { McpFailure } from './connection.js';
import { RecentSet, TRACKED_IDS } from './recent-set.js';

/**
 * What the follow-up sends through, and how it knows whether to wait for other responses.
 *
 * @example
 * const options: FollowUpOptions = { sendUpstream: ctx.sendUpstream, sendClient: ctx.sendClient, ownEvents, pending: () => false };
 */
export interface FollowUpOptions {
  readonly sendUpstream: (event: ClientEvent) => void;
  readonly sendClient: (event: ServerEvent) => void;
  /** Ids of the events the gateway sends upstream, so that their errors are not the client's. */
  readonly ownEvents: RecentSet<string>;
  /** Whether some response's calls are still to be followed up. */
  readonly pending: () => boolean;
}

/** A finished call, as the model is told about it. */
export interface CallResult {
  readonly callId: string;
  readonly output: string | null;
  readonly error: McpFailure | null;
}

/**
 * @example
 * const followUp = new FollowUp({ sendUpstream, sendClient, ownEvents, pending: () => book.followUpPending() });
 * if (followUp.offer(clientCreate)) return DROP;
 * // … once a response's calls have finished:
 * followUp.deliver(calls);
 */
export class FollowUp {
  /** A `response.create` the client sent while the gateway's follow-up was pending. */
  private held: ClientEvent | null = null;
  /** Call ids whose outputs the gateway injected: their echoes are not the client's business. */
  private readonly injectedCallIds = new RecentSet<string>(TRACKED_IDS);

  constructor(private readonly options: FollowUpOptions) {}

  /**
   * A client's `response.create` (as it is to go upstream): true when a follow-up is pending and
   * the gateway took it (held, or refused as a second one), false when it is to go on now.
   */
  offer(create: ClientEvent, clientEventId: string | null): boolean {
    if (!this.options.pending()) return false;
    if (this.held === null) {
      this.held = create;
      return true;
    }
    // A second request is refused as a server refuses one while a response is active.
    this.options.sendClient(
      requestError(
        'conversation_already_has_active_response',
        'A response is already waiting for tool results; it will answer.',
        null,
        clientEventId,
      ),
    );
    return true;
  }

  /** Gives the model a response's call outputs, and asks it to answer once no other response is pending. */
  deliver(calls: readonly CallResult[]): void {
    for (const call of calls) {
      this.injectedCallIds.add(call.callId);
      this.options.sendUpstream({
        type: 'conversation.item.create',
        event_id: this.ownEventId(),
        item: {
          type: 'function_call_output',
          id: newItemId(),
          call_id: call.callId,
          output: functionOutput(call),
        },
      });
    }
    if (this.options.pending()) return;
    const held = this.takeHeld();
    this.options.sendUpstream(held ?? { type: 'response.create', event_id: this.ownEventId() });
  }

  /** A response finished without a follow-up: a held request goes on, unless another follow-up will take it. */
  release(): void {
    if (this.held === null || this.options.pending()) return;
    this.options.sendUpstream(this.takeHeld() as ClientEvent);
  }

  /**
   * Whether an upstream conversation item event is the echo of an output the gateway injected;
   * the client never asked for it. Forgets the call once its last echo (`.done`) has passed.
   */
  isEcho(type: string, item: ConversationItem): boolean {
    if (item.type !== 'function_call_output' || !this.injectedCallIds.has(item.call_id)) return false;
    if (type === 'conversation.item.done') this.injectedCallIds.delete(item.call_id);
    return true;
  }

  private takeHeld(): ClientEvent | null {
    const held = this.held;
    this.held = null;
    return held;
  }

  private ownEventId(): string {
    const eventId = newEventId();
    this.options.ownEvents.add(eventId);
    return eventId;
  }
}
