/**
 * GA server events as beta ones, for a beta client of a GA server. Streamed output is renamed,
 * sessions, items and responses are translated, GA's two announcements of an item become
 * beta's one, and the events beta has no kind for (MCP progress, input segments, timeouts,
 * DTMF) are reported at `type` with nothing sent.
 */
import type { ServerEvent } from '../../events/server-events.js';
import type { ConversationItem } from '../../model/items.js';
import { GA_TO_BETA_SERVER_RENAMES, SAME_SERVER_EVENTS } from './event-routes.js';
import { type EventTranslation, noEquivalent, sendAll } from './events-translate-shared.js';
import type { ItemLifecycle } from './item-lifecycle.js';
import type { BetaConversationItem } from './items.js';
import { gaItemToBeta } from './items-translate.js';
import { gaResponseToBeta } from './response-translate.js';
import type { BetaServerEvent } from './server-events.js';
import { gaSessionToBeta } from './session-translate.js';
import { gaTranscriptionSessionToBeta } from './transcription-translate.js';

/** GA's names of assistant parts streamed in content-part events (beta: `text`, `audio`). */
const GA_PART_TO_BETA: Readonly<Record<string, string>> = { output_text: 'text', output_audio: 'audio' };

/** Why beta lacks each GA-only event. */
const GA_ONLY_EVENTS: Readonly<Record<string, string>> = {
  'conversation.item.input_audio_transcription.segment': 'Beta transcripts are not diarized.',
  'input_audio_buffer.timeout_triggered': 'Beta turn detection has no idle timeout.',
  'input_audio_buffer.dtmf_event_received': 'Beta sessions have no SIP calls.',
  'response.mcp_call_arguments.delta': 'Beta sessions have no MCP tools.',
  'response.mcp_call_arguments.done': 'Beta sessions have no MCP tools.',
  'response.mcp_call.in_progress': 'Beta sessions have no MCP tools.',
  'response.mcp_call.completed': 'Beta sessions have no MCP tools.',
  'response.mcp_call.failed': 'Beta sessions have no MCP tools.',
  'mcp_list_tools.in_progress': 'Beta sessions have no MCP tools.',
  'mcp_list_tools.completed': 'Beta sessions have no MCP tools.',
  'mcp_list_tools.failed': 'Beta sessions have no MCP tools.',
};

/** The event with its item translated, or nothing (and the item reported) for an MCP item. */
function withBetaItem<E extends { item: ConversationItem }>(
  event: E,
  make: (item: BetaConversationItem) => BetaServerEvent,
): EventTranslation<BetaServerEvent> {
  const item = gaItemToBeta(event.item);
  return sendAll(item.value === undefined ? [] : [make(item.value)], ['item'], item.unsupported);
}

/**
 * A GA server event as the beta events to send the client: none, or one. `state` is this
 * session's {@link ItemLifecycle} for this direction: `conversation.item.added` becomes beta
 * `conversation.item.created`, and the `conversation.item.done` that follows it is then not
 * sent again (beta learns an output item's final form from `response.output_item.done`); a
 * `done` for an item never announced becomes the `created`.
 *
 * @example
 * const state = newItemLifecycle();
 * const { value, unsupported } = gaServerEventToBeta(parsed, state);
 * for (const event of value) client.send(JSON.stringify(event));
 * for (const field of unsupported) log.debug(field.message);
 */
export function gaServerEventToBeta(
  event: ServerEvent,
  state: ItemLifecycle,
): EventTranslation<BetaServerEvent> {
  if (event.type === 'conversation.item.deleted') state.open.delete(event.item_id);
  if (SAME_SERVER_EVENTS.has(event.type)) return sendAll([event as BetaServerEvent]);
  const renamed = GA_TO_BETA_SERVER_RENAMES[event.type];
  if (renamed !== undefined) return sendAll([{ ...event, type: renamed } as BetaServerEvent]);
  const why = GA_ONLY_EVENTS[event.type];
  if (why !== undefined) return noEquivalent(event.type, 'beta', why);
  switch (event.type) {
    case 'session.created':
    case 'session.updated': {
      if (event.session.type === 'transcription') {
        const session = gaTranscriptionSessionToBeta(event.session);
        const type =
          event.type === 'session.created'
            ? 'transcription_session.created'
            : 'transcription_session.updated';
        return sendAll([{ ...event, type, session: session.value }], ['session'], session.unsupported);
      }
      const session = gaSessionToBeta(event.session);
      return sendAll([{ ...event, session: session.value }], ['session'], session.unsupported);
    }
    case 'conversation.item.added': {
      const id = event.item.id;
      if (typeof id === 'string') state.open.add(id);
      return withBetaItem(event, (item) => ({ ...event, type: 'conversation.item.created', item }));
    }
    case 'conversation.item.done': {
      const id = event.item.id;
      // An item without an id cannot be matched to its `added`, which must have announced it.
      if (typeof id !== 'string' || state.open.delete(id)) return sendAll([]);
      return withBetaItem(event, (item) => ({ ...event, type: 'conversation.item.created', item }));
    }
    case 'conversation.item.created':
      return withBetaItem(event, (item) => ({ ...event, item }));
    case 'conversation.item.retrieved':
      return withBetaItem(event, (item) => ({ ...event, item }));
    case 'response.output_item.added':
      return withBetaItem(event, (item) => ({ ...event, item }));
    case 'response.output_item.done':
      return withBetaItem(event, (item) => ({ ...event, item }));
    case 'response.created':
    case 'response.done': {
      const response = gaResponseToBeta(event.response);
      return sendAll([{ ...event, response: response.value }], ['response'], response.unsupported);
    }
    case 'response.content_part.added':
    case 'response.content_part.done': {
      const type = event.part.type;
      const betaType = typeof type === 'string' ? (GA_PART_TO_BETA[type] ?? type) : type;
      const part = betaType === type ? event.part : { ...event.part, type: betaType };
      return sendAll([{ ...event, part } as BetaServerEvent]);
    }
    default:
      return sendAll([event as BetaServerEvent]);
  }
}
