/**
 * Item ids across upstream replacements. A replacement upstream gives every replayed item an id
 * of its own; the client keeps the ids it saw first. {@link ItemIdMap} pairs the two, and the
 * rewrite functions translate the item ids an event carries, in each direction, so that neither
 * side ever sees the other's ids. An id the map does not know passes unchanged: items created
 * after the replacement have one id for both sides.
 *
 * Which fields carry item ids follows the GA spec's event schemas (see
 * {@link UPSTREAM_ITEM_ID_EVENTS} and {@link CLIENT_ITEM_ID_EVENTS}).
 */
import type {
  ClientEvent,
  ConversationItem,
  ResponseInputItem,
  ServerEvent,
} from '@realtime-gateway/protocol';

/** Looks ids up in one direction each; {@link ItemIdMap} is one. */
export interface ItemIdLookup {
  /** The current upstream's id for an id the client knows; the id itself when unmapped. */
  toUpstream(clientId: string): string;
  /** The id the client knows for a current upstream's id; the id itself when unmapped. */
  toClient(upstreamId: string): string;
  /** Whether any id is mapped, so a rewrite can return at once when none is. */
  readonly size: number;
}

/**
 * A two-way map between the item ids the client knows and the current upstream's ids.
 *
 * @example
 * const ids = ItemIdMap.from(plan.ids); // [clientId, upstreamId] pairs from a replay
 * ids.toUpstream('item_client1'); // 'item_upstream9'
 * ids.toClient('item_upstream9'); // 'item_client1'
 * ids.toClient('item_new'); // 'item_new'
 */
export class ItemIdMap implements ItemIdLookup {
  readonly #toUpstream = new Map<string, string>();
  readonly #toClient = new Map<string, string>();

  /** A map holding the given `[clientId, upstreamId]` pairs. */
  static from(pairs: Iterable<readonly [clientId: string, upstreamId: string]>): ItemIdMap {
    const map = new ItemIdMap();
    for (const [clientId, upstreamId] of pairs) map.link(clientId, upstreamId);
    return map;
  }

  get size(): number {
    return this.#toUpstream.size;
  }

  /**
   * Pairs a client id with an upstream id. A pair that either id was part of before is
   * replaced, so the map stays one-to-one.
   */
  link(clientId: string, upstreamId: string): void {
    const oldUpstream = this.#toUpstream.get(clientId);
    if (oldUpstream !== undefined) this.#toClient.delete(oldUpstream);
    const oldClient = this.#toClient.get(upstreamId);
    if (oldClient !== undefined) this.#toUpstream.delete(oldClient);
    this.#toUpstream.set(clientId, upstreamId);
    this.#toClient.set(upstreamId, clientId);
  }

  /** Drops the pair of a client id (once its item is deleted); true when there was one. */
  forgetClient(clientId: string): boolean {
    const upstreamId = this.#toUpstream.get(clientId);
    if (upstreamId === undefined) return false;
    this.#toUpstream.delete(clientId);
    this.#toClient.delete(upstreamId);
    return true;
  }

  /** Drops the pair of an upstream id; true when there was one. */
  forgetUpstream(upstreamId: string): boolean {
    const clientId = this.#toClient.get(upstreamId);
    return clientId === undefined ? false : this.forgetClient(clientId);
  }

  toUpstream(clientId: string): string {
    return this.#toUpstream.get(clientId) ?? clientId;
  }

  toClient(upstreamId: string): string {
    return this.#toClient.get(upstreamId) ?? upstreamId;
  }

  /** Whether the client id is mapped to an upstream id other than itself. */
  hasClient(clientId: string): boolean {
    return this.#toUpstream.has(clientId);
  }

  /** Whether the upstream id is mapped. */
  hasUpstream(upstreamId: string): boolean {
    return this.#toClient.has(upstreamId);
  }

  /** The `[clientId, upstreamId]` pairs, oldest first. */
  entries(): IterableIterator<[clientId: string, upstreamId: string]> {
    return this.#toUpstream.entries();
  }
}

/**
 * Client event types that carry item ids, with the fields (GA spec):
 * `conversation.item.create` (`previous_item_id`; an `mcp_approval_response` item's
 * `approval_request_id`), `conversation.item.retrieve` / `.delete` / `.truncate` (`item_id`),
 * `response.create` (`response.input[].id`, which may reference an earlier item, including
 * `item_reference` entries, and `response.input[].approval_request_id`). The new item's own
 * `item.id` in `conversation.item.create` is the client's choice for a new item and is not
 * translated.
 */
export const CLIENT_ITEM_ID_EVENTS: ReadonlySet<string> = new Set([
  'conversation.item.create',
  'conversation.item.retrieve',
  'conversation.item.delete',
  'conversation.item.truncate',
  'response.create',
]);

/**
 * Server event types that can name an item that existed before the event's own response or
 * commit: the only ones that can carry a mapped id, and so the only ones a middleware has to ask
 * for (the streaming events of a response, audio deltas included, always name the response's
 * new items). `error` is here because its message may quote an id.
 */
export const UPSTREAM_EARLIER_ITEM_EVENTS: ReadonlySet<string> = new Set([
  'conversation.item.created',
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.retrieved',
  'conversation.item.deleted',
  'conversation.item.truncated',
  'input_audio_buffer.committed',
  'response.created',
  'response.done',
  'response.output_item.added',
  'response.output_item.done',
  'error',
]);

/**
 * Every server event type that carries an item id in the GA spec: `item_id`, `item.id`,
 * `previous_item_id`, `response.output[].id`, or an MCP item's `approval_request_id`.
 * ({@link rewriteUpstreamEvent} handles all of them.)
 */
export const UPSTREAM_ITEM_ID_EVENTS: ReadonlySet<string> = new Set([
  ...UPSTREAM_EARLIER_ITEM_EVENTS,
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.failed',
  'conversation.item.input_audio_transcription.segment',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'input_audio_buffer.timeout_triggered',
  'response.content_part.added',
  'response.content_part.done',
  'response.output_text.delta',
  'response.output_text.done',
  'response.output_audio_transcript.delta',
  'response.output_audio_transcript.done',
  'response.output_audio.delta',
  'response.output_audio.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.mcp_call_arguments.delta',
  'response.mcp_call_arguments.done',
  'response.mcp_call.in_progress',
  'response.mcp_call.completed',
  'response.mcp_call.failed',
  'mcp_list_tools.in_progress',
  'mcp_list_tools.completed',
  'mcp_list_tools.failed',
]);

type Translate = (id: string) => string;

/** An item with its own id and any `approval_request_id` translated; the same object when unchanged. */
function rewriteItem<I extends ConversationItem | ResponseInputItem>(item: I, translate: Translate): I {
  let out = item;
  if (typeof item.id === 'string') {
    const id = translate(item.id);
    if (id !== item.id) out = { ...out, id };
  }
  if ('approval_request_id' in item && typeof item.approval_request_id === 'string') {
    const approval = translate(item.approval_request_id);
    if (approval !== item.approval_request_id) out = { ...out, approval_request_id: approval };
  }
  return out;
}

function rewriteItems<I extends ConversationItem | ResponseInputItem>(
  items: readonly I[],
  translate: Translate,
): readonly I[] {
  let out: I[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const rewritten = rewriteItem(item, translate);
    if (rewritten !== item) {
      out ??= items.slice();
      out[i] = rewritten;
    }
  }
  return out ?? items;
}

/** `previous_item_id` translated, except `root` and null, which are not ids. */
function rewritePrevious(id: string | null | undefined, translate: Translate): string | null | undefined {
  return typeof id === 'string' && id !== 'root' ? translate(id) : id;
}

/**
 * A client event with the item ids it refers to translated to the current upstream's; the same
 * object when nothing changed (so the original bytes can be relayed).
 *
 * @example
 * const out = rewriteClientEvent({ type: 'conversation.item.delete', item_id: 'item_a' }, ids);
 * // { type: 'conversation.item.delete', item_id: <upstream id of item_a> }
 */
export function rewriteClientEvent<E extends ClientEvent>(event: E, ids: ItemIdLookup): E {
  if (ids.size === 0) return event;
  const translate: Translate = (id) => ids.toUpstream(id);
  switch (event.type) {
    case 'conversation.item.retrieve':
    case 'conversation.item.delete':
    case 'conversation.item.truncate': {
      const itemId = translate(event.item_id);
      return itemId === event.item_id ? event : { ...event, item_id: itemId };
    }
    case 'conversation.item.create': {
      const previous = rewritePrevious(event.previous_item_id, translate);
      // The item's own id is new; only what it refers to is translated.
      const item =
        event.item.type === 'mcp_approval_response' ? rewriteReference(event.item, translate) : event.item;
      if (previous === event.previous_item_id && item === event.item) return event;
      return { ...event, ...(previous === undefined ? {} : { previous_item_id: previous as string }), item };
    }
    case 'response.create': {
      const input = event.response?.input;
      if (input == null) return event;
      const rewritten = rewriteItems(input, translate);
      return rewritten === input
        ? event
        : { ...event, response: { ...event.response, input: rewritten as ResponseInputItem[] } };
    }
    default:
      return event;
  }
}

function rewriteReference<I extends { approval_request_id: string }>(item: I, translate: Translate): I {
  const approval = translate(item.approval_request_id);
  return approval === item.approval_request_id ? item : { ...item, approval_request_id: approval };
}

/**
 * A server event with every item id it carries translated to the ids the client knows; the same
 * object when nothing changed. An `error` event's message and `param` have mapped upstream ids
 * replaced too, since servers quote the id they could not find.
 *
 * @example
 * const out = rewriteUpstreamEvent(event, ids);
 * if (out !== event) sendClient(out); // otherwise relay the original bytes
 */
export function rewriteUpstreamEvent<E extends ServerEvent>(event: E, ids: ItemIdLookup): E {
  if (ids.size === 0) return event;
  const translate: Translate = (id) => ids.toClient(id);
  // One narrowing per shape; each case lists the event types of the GA spec with that shape.
  const e = event as ServerEvent;
  switch (e.type) {
    case 'conversation.item.created':
    case 'conversation.item.added':
    case 'conversation.item.done': {
      const previous = rewritePrevious(e.previous_item_id, translate);
      const item = rewriteItem(e.item, translate);
      if (previous === e.previous_item_id && item === e.item) return event;
      return { ...e, ...(previous === undefined ? {} : { previous_item_id: previous }), item } as E;
    }
    case 'conversation.item.retrieved':
    case 'response.output_item.added':
    case 'response.output_item.done': {
      const item = rewriteItem(e.item, translate);
      return (item === e.item ? event : { ...e, item }) as E;
    }
    case 'input_audio_buffer.committed': {
      const itemId = translate(e.item_id);
      const previous = rewritePrevious(e.previous_item_id, translate);
      if (itemId === e.item_id && previous === e.previous_item_id) return event;
      return {
        ...e,
        item_id: itemId,
        ...(previous === undefined ? {} : { previous_item_id: previous }),
      } as E;
    }
    case 'response.created':
    case 'response.done': {
      const output = e.response.output;
      if (output == null) return event;
      const rewritten = rewriteItems(output, translate);
      return (rewritten === output ? event : { ...e, response: { ...e.response, output: rewritten } }) as E;
    }
    case 'error': {
      const message = replaceIds(e.error.message, translate);
      const param = typeof e.error.param === 'string' ? replaceIds(e.error.param, translate) : e.error.param;
      if (message === e.error.message && param === e.error.param) return event;
      return { ...e, error: { ...e.error, message, param } } as E;
    }
    case 'input_audio_buffer.dtmf_event_received':
      return event;
    default: {
      if (!('item_id' in e) || typeof e.item_id !== 'string') return event;
      const itemId = translate(e.item_id);
      return (itemId === e.item_id ? event : { ...e, item_id: itemId }) as E;
    }
  }
}

/** Every id-like word of a text, translated; the same string when none is mapped. */
function replaceIds(text: string, translate: Translate): string {
  return text.replace(/[A-Za-z0-9_-]+/g, (word) => translate(word));
}
