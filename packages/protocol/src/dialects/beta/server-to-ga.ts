/**
 * Beta server events as GA ones, for a GA client of a beta server. Streamed output is renamed,
 * sessions (both kinds), items and responses are translated, and beta's one announcement of
 * an item becomes GA's two. Every beta server event has a GA equivalent.
 */
import type { ServerEvent } from '../../events/server-events.js';
import { BETA_TO_GA_SERVER_RENAMES, SAME_SERVER_EVENTS } from './event-routes.js';
import { type EventTranslation, sendAll } from './events-translate-shared.js';
import { followingEventId, type ItemLifecycle, isFinalStatus } from './item-lifecycle.js';
import { betaItemToGa } from './items-translate.js';
import { betaResponseToGa } from './response-translate.js';
import type { BetaServerEvent } from './server-events.js';
import { betaSessionObjectToGa, betaTranscriptionSessionObjectToGa } from './session-objects.js';

/**
 * A beta server event as the GA events to send the client: one, or two. `state` is this
 * session's {@link ItemLifecycle} for this direction. A beta `conversation.item.created`
 * becomes GA `conversation.item.added`, followed by `conversation.item.done` when the item is
 * already final (a committed user message, an item a client created); an item still in
 * progress (a response's output) gets its `conversation.item.done` after the
 * `response.output_item.done` that finishes it. The added `done` has an id derived from the
 * beta event's ({@link followingEventId}).
 *
 * @example
 * const state = newItemLifecycle();
 * const { value } = betaServerEventToGa(parsed, state); // a created, completed item: [added, done]
 * for (const event of value) client.send(JSON.stringify(event));
 */
export function betaServerEventToGa(
  event: BetaServerEvent,
  state: ItemLifecycle,
): EventTranslation<ServerEvent> {
  if (event.type === 'conversation.item.deleted') state.open.delete(event.item_id);
  if (SAME_SERVER_EVENTS.has(event.type)) return sendAll([event as ServerEvent]);
  const renamed = BETA_TO_GA_SERVER_RENAMES[event.type];
  if (renamed !== undefined) return sendAll([{ ...event, type: renamed } as ServerEvent]);
  switch (event.type) {
    case 'session.created':
    case 'session.updated': {
      const session = betaSessionObjectToGa(event.session);
      return sendAll([{ ...event, session: session.value }], ['session'], session.unsupported);
    }
    case 'transcription_session.created':
    case 'transcription_session.updated': {
      const session = betaTranscriptionSessionObjectToGa(event.session);
      const type = event.type === 'transcription_session.created' ? 'session.created' : 'session.updated';
      return sendAll([{ ...event, type, session: session.value }], ['session'], session.unsupported);
    }
    case 'conversation.item.created': {
      const item = betaItemToGa(event.item);
      const added: ServerEvent = { ...event, type: 'conversation.item.added', item: item.value };
      const id = item.value.id;
      if (isFinalStatus(event.item.status) || typeof id !== 'string') {
        const done: ServerEvent = {
          ...added,
          event_id: followingEventId(event.event_id),
          type: 'conversation.item.done',
        };
        return sendAll([added, done], ['item'], item.unsupported);
      }
      state.open.add(id);
      return sendAll([added], ['item'], item.unsupported);
    }
    case 'conversation.item.retrieved': {
      const item = betaItemToGa(event.item);
      return sendAll([{ ...event, item: item.value }], ['item'], item.unsupported);
    }
    case 'response.output_item.added': {
      const item = betaItemToGa(event.item);
      return sendAll([{ ...event, item: item.value }], ['item'], item.unsupported);
    }
    case 'response.output_item.done': {
      const item = betaItemToGa(event.item);
      const done: ServerEvent = { ...event, item: item.value };
      const id = item.value.id;
      if (typeof id !== 'string' || !state.open.delete(id))
        return sendAll([done], ['item'], item.unsupported);
      const itemDone: ServerEvent = {
        type: 'conversation.item.done',
        event_id: followingEventId(event.event_id),
        item: item.value,
      };
      return sendAll([done, itemDone], ['item'], item.unsupported);
    }
    case 'response.created':
    case 'response.done': {
      const response = betaResponseToGa(event.response);
      return sendAll([{ ...event, response: response.value }], ['response'], response.unsupported);
    }
    default:
      // Content parts: beta's `text` and `audio` are the names GA's spec gives them too.
      return sendAll([event as ServerEvent]);
  }
}
