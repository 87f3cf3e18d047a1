/**
 * A translation session opened with a client secret starts with the audio settings the secret
 * was minted with, as a conversation's does (see `secrets/bound-session.ts`): `config` sends
 * them as the session opens, and `view` keeps the upstream's `session.created` from the client
 * until they are answered, then shows the client the configured session as its
 * `session.created`. A translation session's frames carry no GA events, so `view` reads them
 * with the translation parser (these are the few control events of the session, never audio).
 */
import {
  newEventId,
  parseTranslationServerEvent,
  type TranslationAudio,
  type TranslationServerEventMap,
} from '@realtime-gateway/protocol';
import { DROP, FORWARD, type Middleware } from '../session/middleware.js';
import { sendTranslation } from './protocol.js';

type Created = TranslationServerEventMap['session.created'];

/**
 * The two middleware for a translation session bound to `session` (a translation session
 * configuration, checked when the secret was minted), or none when it sets no audio.
 *
 * @example
 * const bound = boundTranslationSession(binding.session);
 * const middleware = bound === null ? list : [() => bound.config, ...list, () => bound.view];
 */
export function boundTranslationSession(
  session: Readonly<Record<string, unknown>>,
): { readonly config: Middleware; readonly view: Middleware } | null {
  const audio = session.audio as TranslationAudio | undefined;
  if (audio === undefined || audio === null) return null;
  const updateId = newEventId();
  let created: Created | null = null;
  let shown = false;
  const config: Middleware = {
    name: 'client-secret-config',
    open(ctx) {
      sendTranslation(ctx).upstream({ type: 'session.update', event_id: updateId, session: { audio } });
    },
  };
  const view: Middleware = {
    name: 'client-secret-view',
    upstream: new Set(['session.created', 'session.updated', 'error']),
    onUpstream(frame, ctx) {
      if (shown) return FORWARD;
      const parsed = parseTranslationServerEvent(frame.data ?? frame.event);
      const event = parsed.ok && parsed.known ? parsed.event : null;
      if (event?.type === 'session.created') {
        created = event;
        return DROP;
      }
      if (event?.type === 'session.updated' && created !== null) {
        shown = true;
        const shownCreated: Created = { ...created, session: event.session };
        return {
          action: 'rewrite',
          data: Buffer.from(JSON.stringify(shownCreated)),
          type: 'session.created',
        };
      }
      if (event?.type === 'error' && event.error.event_id === updateId) {
        // The upstream refused the settings: the client learns of it, and of the session as it is.
        shown = true;
        if (created !== null) sendTranslation(ctx).client(created);
      }
      return FORWARD;
    },
  };
  return { config, view };
}
