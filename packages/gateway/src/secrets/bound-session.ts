/**
 * A session opened with a client secret starts with the configuration the secret was minted
 * with, as OpenAI's do: the client's first `session.created` already shows it.
 *
 * Two middleware share the work, because the configuration must pass every other middleware on
 * its way up (MCP adds its tools to it) while the upstream's answers must be rewritten after
 * every other middleware has seen them (MCP learns from `session.created` that the upstream is
 * ready): `config` goes first in the session's list and sends the configuration when the
 * session opens; `view` goes last, keeps the upstream's `session.created` from the client, and
 * shows the client the answer to the configuration as its `session.created`.
 */
import {
  type ClientEvent,
  newEventId,
  type ServerEvent,
  type ServerEventMap,
} from '@realtime-gateway/protocol';
import { DROP, FORWARD, type Middleware } from '../session/middleware.js';

type SessionCreated = ServerEventMap['session.created'];

/**
 * The two middleware for one session bound to `session` (a realtime or transcription session
 * configuration, checked when the secret was minted).
 *
 * @example
 * const bound = boundSession(binding.session);
 * new Session({ info, limits, middleware: [() => bound.config, ...middleware, () => bound.view] });
 */
export function boundSession(session: Readonly<Record<string, unknown>>): {
  readonly config: Middleware;
  readonly view: Middleware;
} {
  const updateId = newEventId();
  /** The upstream's own `session.created`, held until the configuration is answered. */
  let created: SessionCreated | null = null;
  let shown = false;
  const config: Middleware = {
    name: 'client-secret-config',
    open(ctx) {
      ctx.sendUpstream({ type: 'session.update', event_id: updateId, session } as ClientEvent);
    },
  };
  const view: Middleware = {
    name: 'client-secret-view',
    upstream: new Set(['session.created', 'session.updated', 'error']),
    onUpstream(frame, ctx) {
      if (shown) return FORWARD;
      const event = frame.event;
      if (event?.type === 'session.created') {
        created = event;
        return DROP;
      }
      if (event?.type === 'session.updated' && created !== null) {
        shown = true;
        const replacement: ServerEvent = { ...created, session: event.session };
        return { action: 'replace', event: replacement };
      }
      if (event?.type === 'error' && event.error.event_id === updateId) {
        // The upstream refused the configuration: the client learns of it, and of the session
        // as it is.
        shown = true;
        if (created !== null) ctx.sendClient(created);
      }
      return FORWARD;
    },
  };
  return { config, view };
}
