/**
 * How a client learns and presents its session's resume token over the WebSocket handshake.
 * The token comes back on the handshake that opened the session, in a response header; a client
 * resumes by opening `/v1/realtime` again with its usual credentials and the token, in a header
 * or (for browsers, which cannot set headers) as a subprotocol beside `realtime`, optionally
 * naming the last event it received.
 */
import type { IncomingMessage } from 'node:http';
import { type Refusal, refusal } from '../refusal.js';
import type { ResumeRefused } from '../session/registry.js';

/** Answered on the handshake that opens a session with client resume on. */
export const RESUME_TOKEN_HEADER = 'x-realtime-gateway-resume-token';
/** Presented to resume a session. */
export const RESUME_HEADER = 'x-realtime-gateway-resume';
/** The `event_id` of the last server event the client received, when it knows it. */
export const LAST_EVENT_HEADER = 'x-realtime-gateway-last-event-id';
const RESUME_PROTOCOL = 'realtime-gateway-resume.';
const LAST_EVENT_PROTOCOL = 'realtime-gateway-last-event.';
/** Longer than any event id a client could have been sent; longer ones are not looked for. */
const MAX_EVENT_ID_LENGTH = 128;

/** What a resuming request presents. */
export interface ResumeRequest {
  readonly token: string;
  readonly lastEventId: string | null;
}

/** Tokens to answer on handshakes, by request, until ws writes the response headers. */
const answered = new WeakMap<IncomingMessage, string>();

/**
 * The resume request a handshake carries, or null for a request that opens a new session.
 *
 * @example
 * const resume = resumeRequestOf(req); // { token: 'rt1.…', lastEventId: 'event_42' }
 */
export function resumeRequestOf(req: IncomingMessage): ResumeRequest | null {
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const fromProtocol = (prefix: string): string | null =>
    protocols.find((p) => p.startsWith(prefix))?.slice(prefix.length) ?? null;
  const header = (name: string): string | null => {
    const value = req.headers[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const token = header(RESUME_HEADER) ?? fromProtocol(RESUME_PROTOCOL);
  if (token === null) return null;
  const lastEventId = header(LAST_EVENT_HEADER) ?? fromProtocol(LAST_EVENT_PROTOCOL);
  return {
    token,
    lastEventId: lastEventId !== null && lastEventId.length <= MAX_EVENT_ID_LENGTH ? lastEventId : null,
  };
}

/** Puts `token` on the handshake answer of `req` (read by {@link resumeTokenHeaderOf}). */
export function answerResumeToken(req: IncomingMessage, token: string): void {
  answered.set(req, token);
}

/** The header line for a handshake's answer, once; null when the request opened no resumable session. */
export function resumeTokenHeaderOf(req: IncomingMessage): string | null {
  const token = answered.get(req);
  if (token === undefined) return null;
  answered.delete(req);
  return `${RESUME_TOKEN_HEADER}: ${token}`;
}

/** The HTTP refusal for a valid token whose session cannot take the client back. */
export function notResumable(why: ResumeRefused, lastEventId: string | null): Refusal {
  if (why === 'gap')
    return refusal(
      409,
      'resume_window_exceeded',
      lastEventId === null
        ? 'The session can no longer give everything it sent since the connection dropped.'
        : `The session no longer keeps what it sent after '${lastEventId}'.`,
      { param: LAST_EVENT_HEADER },
    );
  return refusal(404, 'session_not_found', 'The session has ended or is not waiting for its client.', {
    param: 'resume_token',
  });
}
