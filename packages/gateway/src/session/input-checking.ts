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
import type { SessionInfo, SessionLog } from '../vocabulary/session.js';
import { APPEND_TYPE, type CheckingMode, frameSizeError, isPlainAppend } from './checking.js';
import {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
  type Verdict,
} from './middleware.js';
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
  return (info) => (options.mode === 'off' ? null : new InputChecking(options, info));
}

/** One session's input checking: its methods are shared, its state is a count. */
class InputChecking implements Middleware {
  readonly name = 'input-checking';
  readonly client = 'all';
  private malformed = 0;

  constructor(
    private readonly options: InputCheckingOptions,
    private readonly info: SessionInfo,
  ) {}

  // An audio append that passes the byte scan is valid by construction: no peek, no parse.
  recognize(data: Buffer): string | null {
    return data.length <= this.options.maxFrameBytes && isPlainAppend(data) ? APPEND_TYPE : null;
  }

  onClient(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Verdict<ClientEvent> {
    if (frame.recognized) return FORWARD;
    const { maxFrameBytes, observer, log } = this.options;
    const info = this.info;
    const error = problemOf(frame, maxFrameBytes);
    if (error === null) return FORWARD;
    observer.relayError(info, 'invalid_client_frame');
    // A client sending nothing but bad frames gets a few lines, then a count at the end.
    const malformed = ++this.malformed;
    if (malformed <= LOGGED_MALFORMED_FRAMES) {
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
    if (this.options.mode !== 'enforce') return FORWARD;
    ctx.sendClient(toErrorEvent(error));
    return DROP;
  }

  close(): Readonly<Record<string, unknown>> | undefined {
    return this.malformed > 0 ? { malformedFrames: this.malformed } : undefined;
  }
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
