/**
 * The engine speaking the beta protocol (`OpenAI-Beta: realtime=v1`), as OpenAI's servers did
 * before 2026-05-12 and some self-hosted servers still do: a connection's beta events become
 * GA for the session, and the session's GA events become beta for the connection, with the
 * protocol package's translations. The session itself only ever speaks GA.
 */
import {
  betaClientEventToGa,
  gaServerEventToBeta,
  newItemLifecycle,
  parseBetaClientEvent,
  type ServerEvent,
  toErrorEvent,
} from '@realtime-gateway/protocol';

/** Which protocol the engine speaks to its clients. */
export type EngineDialect = 'ga' | 'beta';

/** A connection's two directions through the beta dialect. */
export interface BetaConnection {
  /**
   * A frame from the client, in beta: the GA frames the session is to receive, in order, or
   * the `error` the client is answered with instead.
   */
  readonly incoming: (data: string | Uint8Array) => {
    readonly session: readonly string[];
    readonly reply: string | null;
  };
  /** An event of the session's: the beta frames the client is to get (none for a GA-only event). */
  readonly outgoing: (event: ServerEvent) => readonly string[];
}

/**
 * The translation state of one beta connection.
 *
 * @example
 * const beta = betaConnection();
 * ws.on('message', (data) => { const { session: frames, reply } = beta.incoming(data); … });
 * send: (frame, event) => { for (const out of beta.outgoing(event)) ws.send(out); }
 */
export function betaConnection(): BetaConnection {
  const items = newItemLifecycle();
  return {
    incoming(data) {
      const parsed = parseBetaClientEvent(data, { rejectNulls: true });
      // A malformed beta frame is refused in beta words, which for `error` are GA's; an event
      // type the beta protocol does not know goes to the session, which refuses it by name.
      if (!parsed.ok) return { session: [], reply: JSON.stringify(toErrorEvent(parsed.error)) };
      if (!parsed.known)
        return { session: [typeof data === 'string' ? data : new TextDecoder().decode(data)], reply: null };
      // What beta has and GA lacks (`temperature`) changes nothing a deterministic engine does.
      const events = betaClientEventToGa(parsed.event).value;
      return { session: events.map((event) => JSON.stringify(event)), reply: null };
    },
    outgoing(event) {
      // GA-only events (MCP progress, DTMF) are ones a beta server never sent.
      return gaServerEventToBeta(event, items).value.map((beta) => JSON.stringify(beta));
    },
  };
}
