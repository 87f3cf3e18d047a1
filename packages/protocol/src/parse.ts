import { type ProtocolError, protocolError } from './errors.js';
import { CLIENT_EVENT_SCHEMAS, type ClientEvent, type ClientEventType } from './events/client-events.js';
import { SERVER_EVENT_SCHEMAS, type ServerEvent, type ServerEventType } from './events/server-events.js';
import { checkValue, describe, type Issue, quote, type Schema } from './schema/schema.js';

/** A frame as it comes off a socket: text, bytes, or a value someone already parsed. */
export type FrameInput = string | Uint8Array | ArrayBuffer | unknown;

/** Options for {@link parseClientEvent} and {@link parseServerEvent}. */
export interface ParseOptions {
  /**
   * Reject what the spec does not allow: unknown fields, unknown event types, explicit nulls
   * where the spec has none, and legacy names. Off by default, because a proxy must keep
   * whatever real peers send.
   */
  readonly strict?: boolean;
  /**
   * Reject explicit nulls where the spec has none, and nothing else that strict checks would:
   * how a server answers `"audio": null` (an `invalid_type` error) while still accepting fields
   * it does not know. Implied by `strict`.
   */
  readonly rejectNulls?: boolean;
}

/** An event whose type this version of the protocol does not know; kept as it came. */
export interface UnknownEvent {
  readonly type: string;
  readonly event_id?: string;
  readonly [field: string]: unknown;
}

/**
 * The outcome of parsing: a known event, an unknown event kept as it came (`known: false`,
 * only when not strict), or an error.
 */
export type ParseResult<E> =
  | { readonly ok: true; readonly known: true; readonly event: E }
  | { readonly ok: true; readonly known: false; readonly event: UnknownEvent }
  | { readonly ok: false; readonly error: ProtocolError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function issueAtTop(code: Issue['code'], expected: string, found: string, path: string[] = []): Issue {
  return { code, path, expected, found };
}

/** Turns text or bytes into a value; anything else is taken as already parsed. */
function toValue(input: FrameInput): { ok: true; value: unknown } | { ok: false; issue: Issue } {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    try {
      text = utf8.decode(input);
    } catch {
      return { ok: false, issue: issueAtTop('invalid_json', 'UTF-8 text', 'bytes that are not valid UTF-8') };
    }
  } else return { ok: true, value: input };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issue: issueAtTop('invalid_json', 'JSON text', (error as Error).message) };
  }
}

/**
 * Parses a frame and checks it with the schema its `type` names in `schemas`; `expectedType`
 * says in words which types those are, for the error a strict parse gives an unknown one. The
 * parsers of both dialects are this with their own schemas.
 */
export function parseEventWith<E>(
  input: FrameInput,
  schemas: Readonly<Record<string, Schema<unknown>>>,
  expectedType: string,
  options: ParseOptions,
): ParseResult<E> {
  const strict = options.strict === true;
  const decoded = toValue(input);
  if (!decoded.ok) return { ok: false, error: protocolError(decoded.issue, null) };
  const value = decoded.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: protocolError(issueAtTop('invalid_event', 'a JSON object', describe(value)), null),
    };
  }
  const record = value as Record<string, unknown>;
  const eventId = typeof record.event_id === 'string' ? record.event_id : null;
  const type = record.type;
  if (type === undefined) {
    return {
      ok: false,
      error: protocolError(
        issueAtTop('missing_required_parameter', 'an event type', 'nothing', ['type']),
        eventId,
      ),
    };
  }
  if (typeof type !== 'string') {
    return {
      ok: false,
      error: protocolError(issueAtTop('invalid_type', 'a string', describe(type), ['type']), eventId),
    };
  }
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (schema === undefined) {
    if (!strict) return { ok: true, known: false, event: record as UnknownEvent };
    const issue = issueAtTop('invalid_value', expectedType, quote(type), ['type']);
    return { ok: false, error: protocolError(issue, eventId) };
  }
  const issue = checkValue(schema, value, strict, options.rejectNulls === true);
  if (issue !== undefined) return { ok: false, error: protocolError(issue, eventId) };
  return { ok: true, known: true, event: value as E };
}

/**
 * Parses and validates a frame a client sent. Never throws.
 *
 * @example
 * const result = parseClientEvent(frame);
 * if (!result.ok) return send(toErrorEvent(result.error));
 * if (result.known && result.event.type === 'session.update') console.log(result.event.session.type);
 */
export function parseClientEvent(input: FrameInput, options: ParseOptions = {}): ParseResult<ClientEvent> {
  return parseEventWith<ClientEvent>(
    input,
    CLIENT_EVENT_SCHEMAS,
    'a client event type of the GA protocol',
    options,
  );
}

/**
 * Parses and validates a frame a server sent. Never throws.
 *
 * @example
 * const result = parseServerEvent(frame);
 * if (result.ok && result.known && result.event.type === 'response.done') tally(result.event.response.usage);
 */
export function parseServerEvent(input: FrameInput, options: ParseOptions = {}): ParseResult<ServerEvent> {
  return parseEventWith<ServerEvent>(
    input,
    SERVER_EVENT_SCHEMAS,
    'a server event type of the GA protocol',
    options,
  );
}

/** Whether `type` is a client event type of the GA protocol. */
export function isClientEventType(type: string): type is ClientEventType {
  return Object.hasOwn(CLIENT_EVENT_SCHEMAS, type);
}

/** Whether `type` is a server event type of the GA protocol. */
export function isServerEventType(type: string): type is ServerEventType {
  return Object.hasOwn(SERVER_EVENT_SCHEMAS, type);
}

/**
 * Serializes an event for the wire. Parsed events keep every field they came with, so
 * serializing one gives back JSON equal to what was parsed.
 */
export function serializeEvent(event: ClientEvent | ServerEvent | UnknownEvent): string {
  return JSON.stringify(event);
}
