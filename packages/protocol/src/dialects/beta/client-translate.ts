/**
 * Translation of client events between the dialects, both ways: a beta client's events for a
 * GA server, and a GA client's for a beta one. Every client event of either dialect has an
 * equivalent in the other; what may not is a field of a session, an item or a response's
 * settings, which is reported by path (`session.temperature`).
 */
import type { ClientEvent } from '../../events/client-events.js';
import type { BetaClientEvent } from './client-events.js';
import { SAME_CLIENT_EVENTS } from './event-routes.js';
import { type EventTranslation, sendAll } from './events-translate-shared.js';
import { betaItemToGa, gaItemToBeta } from './items-translate.js';
import { betaResponseParamsToGa, gaResponseParamsToBeta } from './response-translate.js';
import { betaSessionToGa, gaSessionToBeta } from './session-translate.js';
import { betaTranscriptionSessionToGa, gaTranscriptionSessionToBeta } from './transcription-translate.js';

/**
 * A beta client event as the GA events to send upstream (always one): `session.update` and
 * `transcription_session.update` become GA `session.update` of type `realtime` and
 * `transcription`, items and response settings are translated, and the rest are GA's already.
 * What has no GA equivalent is left out and reported; a gateway may refuse the event instead
 * of sending it without those fields.
 *
 * @example
 * const { value, unsupported } = betaClientEventToGa({ type: 'session.update', session: { voice: 'alloy', temperature: 0.7 } });
 * if (unsupported.length > 0) client.send(JSON.stringify(errorEvent({ code: 'unknown_parameter', message: unsupported[0].message, param: unsupported[0].param })));
 * else for (const event of value) upstream.send(JSON.stringify(event));
 */
export function betaClientEventToGa(event: BetaClientEvent): EventTranslation<ClientEvent> {
  if (SAME_CLIENT_EVENTS.has(event.type)) return sendAll([event as ClientEvent]);
  switch (event.type) {
    case 'session.update': {
      const session = betaSessionToGa(event.session);
      return sendAll([{ ...event, session: session.value }], ['session'], session.unsupported);
    }
    case 'transcription_session.update': {
      const session = betaTranscriptionSessionToGa(event.session);
      return sendAll(
        [{ ...event, type: 'session.update', session: session.value }],
        ['session'],
        session.unsupported,
      );
    }
    case 'conversation.item.create': {
      const item = betaItemToGa(event.item);
      return sendAll([{ ...event, item: item.value }], ['item'], item.unsupported);
    }
    case 'response.create': {
      if (event.response === undefined || event.response === null) return sendAll([event as ClientEvent]);
      const response = betaResponseParamsToGa(event.response);
      return sendAll([{ ...event, response: response.value }], ['response'], response.unsupported);
    }
    default:
      return sendAll([event as ClientEvent]);
  }
}

/**
 * A GA client event as the beta events to send upstream (one, or none when the item of a
 * `conversation.item.create` is of a kind beta lacks): GA `session.update` becomes beta
 * `session.update` or `transcription_session.update` by the session's `type`, and items and
 * response settings are translated.
 *
 * @example
 * const { value } = gaClientEventToBeta({ type: 'session.update', session: { type: 'transcription' } });
 * // value: [{ type: 'transcription_session.update', session: {} }]
 */
export function gaClientEventToBeta(event: ClientEvent): EventTranslation<BetaClientEvent> {
  if (SAME_CLIENT_EVENTS.has(event.type)) return sendAll([event as BetaClientEvent]);
  switch (event.type) {
    case 'session.update': {
      if (event.session.type === 'transcription') {
        const session = gaTranscriptionSessionToBeta(event.session);
        return sendAll(
          [{ ...event, type: 'transcription_session.update', session: session.value }],
          ['session'],
          session.unsupported,
        );
      }
      const session = gaSessionToBeta(event.session);
      return sendAll([{ ...event, session: session.value }], ['session'], session.unsupported);
    }
    case 'conversation.item.create': {
      const item = gaItemToBeta(event.item);
      const events = item.value === undefined ? [] : [{ ...event, item: item.value }];
      return sendAll(events, ['item'], item.unsupported);
    }
    case 'response.create': {
      if (event.response === undefined || event.response === null) return sendAll([event as BetaClientEvent]);
      const response = gaResponseParamsToBeta(event.response);
      return sendAll([{ ...event, response: response.value }], ['response'], response.unsupported);
    }
    default:
      return sendAll([event as BetaClientEvent]);
  }
}
