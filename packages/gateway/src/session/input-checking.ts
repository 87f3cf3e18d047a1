/**
 * Client input checking as middleware: every client frame is checked against the frame-size
 * limit and the protocol before it goes upstream, injected events included. It runs last in
 * the client direction, so it checks what the upstream will actually receive. The protocol is
 * the session kind's: GA events ({@link GA_INPUT}) or a translation session's
 * ({@link TRANSLATION_INPUT}), whose frames the session's own parser reports on.
 */
import {
  type ClientEvent,
  type ProtocolError,
  parseClientEvent,
  parseTranslationClientEvent,
  TRANSLATION_APPEND_TYPE,
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

/** What input checking knows of a session kind's client events. */
export interface InputProtocol {
  /** Checks an injected event (received frames come checked by the session's parser). */
  readonly check: (event: unknown) => ProtocolError | null;
  /** The audio append's type, recognised by a byte scan instead of a parse. */
  readonly appendType: string;
  readonly appendBytes: Uint8Array;
}

const checkWith =
  (parse: typeof parseClientEvent | typeof parseTranslationClientEvent) =>
  (event: unknown): ProtocolError | null => {
    const result = parse(event);
    return result.ok ? null : result.error;
  };

/** Conversations' and transcription sessions' events. */
export const GA_INPUT: InputProtocol = {
  check: checkWith(parseClientEvent),
  appendType: APPEND_TYPE,
  appendBytes: new TextEncoder().encode(APPEND_TYPE),
};

/** Translation sessions' events. */
export const TRANSLATION_INPUT: InputProtocol = {
  check: checkWith(parseTranslationClientEvent),
  appendType: TRANSLATION_APPEND_TYPE,
  appendBytes: new TextEncoder().encode(TRANSLATION_APPEND_TYPE),
};

/** Options for {@link inputChecking}. */
export interface InputCheckingOptions {
  /** `warn` logs and counts bad frames but relays them; `enforce` answers them with an `error` event. */
  readonly mode: CheckingMode;
  readonly maxFrameBytes: number;
  readonly observer: SessionObserver;
  readonly log: SessionLog;
  /** The session kind's events; GA's by default. */
  readonly protocol?: InputProtocol;
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
  private readonly protocol: InputProtocol;

  constructor(
    private readonly options: InputCheckingOptions,
    private readonly info: SessionInfo,
  ) {
    this.protocol = options.protocol ?? GA_INPUT;
  }

  // An audio append that passes the byte scan is valid by construction: no peek, no parse.
  recognize(data: Buffer): string | null {
    const { appendBytes, appendType } = this.protocol;
    return data.length <= this.options.maxFrameBytes && isPlainAppend(data, appendBytes) ? appendType : null;
  }

  onClient(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Verdict<ClientEvent> {
    if (frame.recognized) return FORWARD;
    const { maxFrameBytes, observer, log } = this.options;
    const info = this.info;
    const error = problemOf(frame, maxFrameBytes, this.protocol);
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
function problemOf(
  frame: Frame<ClientEvent>,
  maxFrameBytes: number,
  protocol: InputProtocol,
): ProtocolError | null {
  if (frame.data === null) return protocol.check(frame.event);
  if (frame.data.length > maxFrameBytes)
    return frameSizeError(frame.data.length, maxFrameBytes, frame.eventId);
  return frame.problem;
}
