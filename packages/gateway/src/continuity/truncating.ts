/**
 * Truncating an item the client knows as audio on an upstream that holds it as text: a replay
 * sends an assistant's audio as its transcript, so the new upstream would refuse the client's
 * `conversation.item.truncate` (there is no audio to cut). The gateway does the truncation
 * itself: the ledger records it, the upstream's item is deleted and created again with the
 * transcript cut to what the user heard, and the client gets `conversation.item.truncated` as
 * the upstream would have sent it.
 */
import {
  type ClientEvent,
  type ConversationItemTruncateEvent,
  newEventId,
  newItemId,
  type ServerEventMap,
  type WireError,
} from '@realtime-gateway/protocol';
import type { ConversationLedger } from './conversation-ledger.js';
import type { ItemIdMap } from './item-ids.js';
import { DEFAULT_CUT, replayItem } from './replay.js';

type ConversationItemTruncatedEvent = ServerEventMap['conversation.item.truncated'];

/** What to do for one truncation: events to send each way, and upstream item ids whose answers are hidden. */
export type TruncationPlan =
  | {
      readonly ok: true;
      readonly upstream: readonly ClientEvent[];
      readonly client: ConversationItemTruncatedEvent;
      /** The deleted and the created upstream item: their `deleted`, `added` and `done` are the gateway's business. */
      readonly hide: readonly string[];
      /** The upstream id the client's item has from now on, or null when nothing of it is left upstream. */
      readonly upstreamId: string | null;
    }
  | { readonly ok: false; readonly error: WireError };

/**
 * Plans a truncation of an item replayed as text, and records it in the ledger. `absent` holds
 * the client ids of ledger items the upstream does not hold (left out of a replay): the created
 * item goes after the nearest earlier item the upstream has.
 *
 * @example
 * const plan = planTruncation(ledger, ids, absent, event);
 * if (!plan.ok) return refuse(plan.error);
 * for (const e of plan.upstream) ctx.sendUpstream(e);
 */
export function planTruncation(
  ledger: ConversationLedger,
  ids: ItemIdMap,
  absent: ReadonlySet<string>,
  event: ConversationItemTruncateEvent,
  makeItemId: () => string = newItemId,
): TruncationPlan {
  const refuse = (param: string, message: string): TruncationPlan => ({
    ok: false,
    error: { code: 'invalid_value', message, param, eventId: event.event_id ?? null },
  });
  const entry = ledger.get(event.item_id);
  const part = entry?.item.type === 'message' ? entry.item.content[event.content_index] : undefined;
  if (entry === undefined || part === undefined || (part.type !== 'output_audio' && part.type !== 'audio'))
    return refuse(
      'content_index',
      `Content index ${event.content_index} of item '${event.item_id}' has no audio to truncate.`,
    );
  const audioMs = entry.audioMs[event.content_index];
  if (audioMs !== undefined && event.audio_end_ms > audioMs)
    return refuse(
      'audio_end_ms',
      `Audio content of ${audioMs}ms is shorter than the requested audio_end_ms of ${event.audio_end_ms}ms.`,
    );
  const truncated: ConversationItemTruncatedEvent = {
    type: 'conversation.item.truncated',
    event_id: newEventId(),
    item_id: event.item_id,
    content_index: event.content_index,
    audio_end_ms: event.audio_end_ms,
  };
  ledger.apply(truncated);
  const previousUpstreamId = ids.toUpstream(event.item_id);
  const upstream: ClientEvent[] = [
    { type: 'conversation.item.delete', event_id: newEventId(), item_id: previousUpstreamId },
  ];
  const hide = [previousUpstreamId];
  const again = replayItem(ledger.get(event.item_id)!, DEFAULT_CUT);
  let upstreamId: string | null = null;
  if (typeof again !== 'string') {
    upstreamId = makeItemId();
    upstream.push({
      type: 'conversation.item.create',
      event_id: newEventId(),
      previous_item_id: previousHeld(ledger, ids, absent, event.item_id),
      item: { ...again, id: upstreamId },
    });
    hide.push(upstreamId);
  }
  return { ok: true, upstream, client: truncated, hide, upstreamId };
}

/** The upstream id of the nearest earlier item the upstream holds, or `root`. */
function previousHeld(
  ledger: ConversationLedger,
  ids: ItemIdMap,
  absent: ReadonlySet<string>,
  clientId: string,
): string {
  const entries = ledger.entries();
  const at = entries.findIndex((entry) => entry.id === clientId);
  for (let i = at - 1; i >= 0; i--) {
    const id = entries[i]!.id;
    if (!absent.has(id)) return ids.toUpstream(id);
  }
  return 'root';
}
