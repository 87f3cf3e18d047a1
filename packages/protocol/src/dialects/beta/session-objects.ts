/**
 * Sessions as a server reports them (`session.created`, `session.updated`,
 * `transcription_session.updated`), translated between the dialects. The configuration
 * translations report `id`, `object` and `expires_at`, which a client cannot set; a server's
 * session has them, and they mean the same in both dialects, so here they are carried over.
 */
import type { RealtimeSession, TranscriptionSession } from '../../model/session.js';
import type { BetaSession } from './session.js';
import { betaSessionToGa } from './session-translate.js';
import type { BetaTranscriptionSession } from './transcription-session.js';
import { betaTranscriptionSessionToGa } from './transcription-translate.js';
import type { Translation } from './unsupported.js';

/** The fields a server sets on a session, present ones only. */
interface ServerSetFields {
  id?: string | null;
  object?: string | null;
  expires_at?: number | null;
}

/** Splits off what the server set, so the rest can go through a configuration translation. */
function splitServerSet<S extends ServerSetFields>(
  session: S,
): [ServerSetFields, Omit<S, keyof ServerSetFields>] {
  const { id, object, expires_at, ...config } = session;
  const set: ServerSetFields = {};
  if (id !== undefined) set.id = id;
  if (object !== undefined) set.object = object;
  if (expires_at !== undefined) set.expires_at = expires_at;
  return [set, config];
}

/**
 * A beta server's session as GA's `type: 'realtime'` session, for `session.created` and
 * `session.updated` sent on to a GA client: {@link betaSessionToGa} with the server-set
 * fields kept.
 *
 * @example
 * const { value } = betaSessionObjectToGa(event.session); // { type: 'realtime', id: 'sess_1', object: 'realtime.session', ... }
 */
export function betaSessionObjectToGa(session: BetaSession): Translation<RealtimeSession> {
  const [set, config] = splitServerSet(session);
  const translated = betaSessionToGa(config);
  return { value: { ...translated.value, ...set } as RealtimeSession, unsupported: translated.unsupported };
}

/**
 * A beta server's transcription session as GA's `type: 'transcription'` session, for a beta
 * `transcription_session.created` or `.updated` sent on to a GA client as `session.created`
 * or `session.updated`.
 */
export function betaTranscriptionSessionObjectToGa(
  session: BetaTranscriptionSession,
): Translation<TranscriptionSession> {
  const [set, config] = splitServerSet(session);
  const translated = betaTranscriptionSessionToGa(config);
  return {
    value: { ...translated.value, ...set } as TranscriptionSession,
    unsupported: translated.unsupported,
  };
}
