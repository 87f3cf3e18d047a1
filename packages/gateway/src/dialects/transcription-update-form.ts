/**
 * The answer to a GA client's `transcription_session.update` through a beta upstream. Beta
 * answers both ways of updating a transcription session with `transcription_session.updated`,
 * which the upstream edge must turn into GA `session.updated` (the answer to `session.update`);
 * a GA client that used the flat `transcription_session.update` expects the flat
 * `transcription_session.updated`, as a GA server sends it. So this middleware remembers, in
 * order, which form each update the client sent had, and gives each answer the same form.
 *
 * It stands after the upstream edge (it reads GA) and before the edge out to the upstream (it
 * sees the client's GA form).
 */
import {
  type ServerEvent,
  type TranscriptionSession,
  transcriptionSessionToUpdated,
} from '@realtime-gateway/protocol';
import { FORWARD, type Middleware, type MiddlewareFactory } from '../session/middleware.js';

/** Updates awaiting their answer that a session remembers; a client sending more without reading loses the oldest's form. */
const MAX_PENDING = 64;

type Form = 'session' | 'transcription_session';

const CLIENT_TYPES: ReadonlySet<string> = new Set(['session.update', 'transcription_session.update']);
const UPSTREAM_TYPES: ReadonlySet<string> = new Set(['session.updated', 'error']);

/**
 * The middleware for a GA client on a beta upstream.
 *
 * @example
 * const list = [betaUpstreamIn, transcriptionUpdateForm, ...middleware, betaUpstreamOut];
 */
export const transcriptionUpdateForm: MiddlewareFactory = () => {
  const pending: { readonly form: Form; readonly eventId: string | null }[] = [];
  const middleware: Middleware = {
    name: 'transcription-update-form',
    client: CLIENT_TYPES,
    upstream: UPSTREAM_TYPES,
    onClient(frame) {
      const event = frame.event;
      if (event === null) return FORWARD;
      if (pending.length === MAX_PENDING) pending.shift();
      pending.push({
        form: event.type === 'transcription_session.update' ? 'transcription_session' : 'session',
        eventId: event.event_id ?? null,
      });
      return FORWARD;
    },
    onUpstream(frame) {
      const event = frame.event;
      if (event === null) return FORWARD;
      if (event.type === 'error') {
        // A refused update is answered by this error, not by an update.
        const refused = event.error.event_id;
        const at = refused == null ? -1 : pending.findIndex((p) => p.eventId === refused);
        if (at >= 0) pending.splice(at, 1);
        return FORWARD;
      }
      if (event.type !== 'session.updated') return FORWARD;
      const answered = pending.shift();
      if (answered?.form !== 'transcription_session' || event.session.type !== 'transcription')
        return FORWARD;
      const flat: ServerEvent = {
        type: 'transcription_session.updated',
        event_id: event.event_id,
        session: transcriptionSessionToUpdated(event.session as TranscriptionSession),
      };
      return { action: 'replace', event: flat };
    },
  };
  return middleware;
};
