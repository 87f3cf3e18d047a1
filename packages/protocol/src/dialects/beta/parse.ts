/**
 * Parsing untrusted frames of the beta protocol: the GA parsers' checks, errors and options,
 * with the beta event schemas.
 */
import { type FrameInput, type ParseOptions, type ParseResult, parseEventWith } from '../../parse.js';
import {
  BETA_CLIENT_EVENT_SCHEMAS,
  type BetaClientEvent,
  type BetaClientEventType,
} from './client-events.js';
import {
  BETA_SERVER_EVENT_SCHEMAS,
  type BetaServerEvent,
  type BetaServerEventType,
} from './server-events.js';

/**
 * Parses and validates a frame a beta client sent. Never throws; a malformed frame gives the
 * same `ProtocolError` the GA parser would, and an unknown type is kept (`known: false`)
 * unless the parse is strict.
 *
 * @example
 * const result = parseBetaClientEvent(frame);
 * if (!result.ok) return client.send(JSON.stringify(toErrorEvent(result.error)));
 * if (result.known) forward(betaClientEventToGa(result.event));
 */
export function parseBetaClientEvent(
  input: FrameInput,
  options: ParseOptions = {},
): ParseResult<BetaClientEvent> {
  return parseEventWith(
    input,
    BETA_CLIENT_EVENT_SCHEMAS,
    'a client event type of the beta protocol',
    options,
  );
}

/**
 * Parses and validates a frame a beta server sent. Never throws.
 *
 * @example
 * const result = parseBetaServerEvent(frame);
 * if (result.ok && result.known && result.event.type === 'response.done') tally(result.event.response.usage);
 */
export function parseBetaServerEvent(
  input: FrameInput,
  options: ParseOptions = {},
): ParseResult<BetaServerEvent> {
  return parseEventWith(
    input,
    BETA_SERVER_EVENT_SCHEMAS,
    'a server event type of the beta protocol',
    options,
  );
}

/** Whether `type` is a client event type of the beta protocol. */
export function isBetaClientEventType(type: string): type is BetaClientEventType {
  return Object.hasOwn(BETA_CLIENT_EVENT_SCHEMAS, type);
}

/** Whether `type` is a server event type of the beta protocol. */
export function isBetaServerEventType(type: string): type is BetaServerEventType {
  return Object.hasOwn(BETA_SERVER_EVENT_SCHEMAS, type);
}
