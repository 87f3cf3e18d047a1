/**
 * Client input checking as middleware: every client frame is checked against the frame-size
 * limit and the protocol before it goes upstream, injected events included. It runs last in
 * the client direction, so it checks what the upstream will actually receive.
 */
import {
  type ClientEvent,
  type ProtocolError,
  parseClientEvent,
  toErrorEvent,
} from '@realtime-gateway/protocol';
import type { SessionLog } from '../vocabulary/session.js';
import { APPEND_TYPE, type CheckingMode, frameSizeError, isPlainAppend } from './checking.js';
import { DROP, FORWARD, type Frame, type Middleware, type MiddlewareFactory } from './middleware.js';
import type { SessionObserver } from './observer.js';

/** Options for {@link inputChecking}. */
export interface InputCheckingOptions {
  /** `warn` logs and counts bad frames but relays them; `enforce` answers them with an `error` event. */
  readonly mode: CheckingMode;
  readonly maxFrameBytes: number;
  readonly observer: SessionObserver;
  readonly log: SessionLog;
}

/** Malformed client frames logged per session; the rest are counted in the session's last line. */
const LOGGED_MALFORMED_FRAMES = 10;

/**
 * The input-checking middleware, or none when checking is off.
 *
 * @example
 * const middleware = [...yours, inputChecking({ mode: 'enforce', maxFrameBytes, observer, log })];
 */
export function inputChecking(options: InputCheckingOptions): MiddlewareFactory {
  return (info) => {
    if (options.mode === 'off') return null;
    const { maxFrameBytes, observer, log } = options;
    let malformed = 0;
    const middleware: Middleware = {
      name: 'input-checking',
      client: 'all',
      // An audio append that passes the byte scan is valid by construction: no peek, no parse.
      recognize: (data) => (data.length <= maxFrameBytes && isPlainAppend(data) ? APPEND_TYPE : null),
      onClient(frame: Frame<ClientEvent>, ctx) {
        if (frame.recognized) return FORWARD;
        const error = problemOf(frame, maxFrameBytes);
        if (error === null) return FORWARD;
        observer.relayError(info, 'invalid_client_frame');
        // A client sending nothing but bad frames gets a few lines, then a count at the end.
        if (++malformed <= LOGGED_MALFORMED_FRAMES) {
          log.warn(
            {
              sessionId: info.sessionId,
              type: frame.type,
              code: error.code,
              param: error.param,
              ...(malformed === LOGGED_MALFORMED_FRAMES ? { furtherLinesSuppressed: true } : {}),
            },
            'malformed client frame',
          );
        }
        if (options.mode !== 'enforce') return FORWARD;
        ctx.sendClient(toErrorEvent(error));
        return DROP;
      },
      close: () => (malformed > 0 ? { malformedFrames: malformed } : undefined),
    };
    return middleware;
  };
}

/** What is wrong with a frame, or null. An injected event is checked as the object it is. */
function problemOf(frame: Frame<ClientEvent>, maxFrameBytes: number): ProtocolError | null {
  if (frame.data === null) {
    const result = parseClientEvent(frame.event);
    return result.ok ? null : result.error;
  }
  if (frame.data.length > maxFrameBytes)
    return frameSizeError(frame.data.length, maxFrameBytes, frame.eventId);
  return frame.problem;
}
