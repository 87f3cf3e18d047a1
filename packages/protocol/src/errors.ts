import type { ErrorEvent } from './events/server-events.js';
import { newEventId } from './ids.js';
import type { Issue, IssueCode } from './schema/schema.js';

/**
 * Why a frame was rejected: which field, what was expected there and what was found. It
 * converts directly into the `error` event a server sends back ({@link toErrorEvent}).
 */
export interface ProtocolError {
  readonly code: IssueCode;
  /** A sentence in the style of OpenAI's errors, naming the field. */
  readonly message: string;
  /** The offending field as a path (`item.content[0].type`), or null for the frame as a whole. */
  readonly param: string | null;
  /** The same path as keys and indexes. */
  readonly path: readonly (string | number)[];
  readonly expected: string;
  readonly found: string;
  /** The `event_id` of the offending event, when it had one. */
  readonly eventId: string | null;
}

/** Renders a path the way OpenAI names parameters: `item.content[0].type`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

function messageFor(code: IssueCode, param: string, expected: string, found: string): string {
  switch (code) {
    case 'invalid_json':
      return `Invalid JSON: ${found}.`;
    case 'invalid_event':
      return `Invalid event: expected ${expected}, but got ${found} instead.`;
    case 'invalid_type':
      return `Invalid type for '${param}': expected ${expected}, but got ${found} instead.`;
    case 'invalid_value':
      return `Invalid value for '${param}': ${found}. Supported values are: ${expected}.`;
    case 'missing_required_parameter':
      return `Missing required parameter: '${param}'.`;
    case 'unknown_parameter':
      return `Unknown parameter: '${param}'.`;
    default:
      return `Invalid '${param}': expected ${expected}, but got ${found} instead.`;
  }
}

/** Builds a {@link ProtocolError} from a failed check. */
export function protocolError(issue: Issue, eventId: string | null): ProtocolError {
  const param = formatPath(issue.path);
  return {
    code: issue.code,
    message: messageFor(issue.code, param, issue.expected, issue.found),
    param: param === '' ? null : param,
    path: issue.path,
    expected: issue.expected,
    found: issue.found,
    eventId,
  };
}

/** Options for {@link toErrorEvent}. */
export interface ToErrorEventOptions {
  /** The error event's own id; a fresh one by default. */
  readonly eventId?: string;
  /** The error's `type`; `invalid_request_error` by default. */
  readonly type?: string;
}

/** The `error` object of a wire `error` event. */
export interface WireError {
  /** `invalid_request_error` (the default), `server_error`, … */
  readonly type?: string;
  readonly code: string;
  readonly message: string;
  /** The offending field, when there is one. */
  readonly param?: string | null;
  /** The `event_id` of the client event the error is about, when there is one. */
  readonly eventId?: string | null;
}

/**
 * The one way to build a wire `error` event: every error the gateway and the engine send is
 * made here, so all have the same shape.
 *
 * @example
 * socket.send(JSON.stringify(errorEvent({ type: 'server_error', code: 'internal_error', message: 'Failed.' })));
 */
export function errorEvent(error: WireError, eventId: string = newEventId()): ErrorEvent {
  return {
    type: 'error',
    event_id: eventId,
    error: {
      type: error.type ?? 'invalid_request_error',
      code: error.code,
      message: error.message,
      param: error.param ?? null,
      event_id: error.eventId ?? null,
    },
  };
}

/**
 * The spec-shaped `error` server event for a rejected frame.
 *
 * @example
 * const result = parseClientEvent(frame);
 * if (!result.ok) socket.send(JSON.stringify(toErrorEvent(result.error)));
 */
export function toErrorEvent(error: ProtocolError, options: ToErrorEventOptions = {}): ErrorEvent {
  return errorEvent({ ...error, ...(options.type ? { type: options.type } : {}) }, options.eventId);
}
