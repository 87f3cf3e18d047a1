/**
 * Whether an upgrade request is a WebSocket handshake the gateway will complete (RFC 6455
 * section 4.2.1), decided before any upstream work: the gateway dials the upstream while the
 * client waits, so a handshake that `ws` would refuse afterwards must never get that far. The
 * checks are at least as strict as `ws`'s own `handleUpgrade`, so once they pass `ws` cannot
 * refuse the handshake (and it takes no extensions, so it does not read that header).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { subprotocol } from 'ws';
import { KEY_SUBPROTOCOL_PREFIX } from '../auth/credentials.js';
import { type Refusal, refusal } from '../refusal.js';

declare module 'ws' {
  /** ws's parser for `Sec-WebSocket-Protocol` (exported at runtime, absent from @types/ws). */
  export const subprotocol: { parse(header: string): Set<string> };
}

/** The only subprotocol the gateway speaks; ws answers it when offered. */
export const REALTIME_SUBPROTOCOL = 'realtime';

/** The parts of a request the handshake is judged on. */
export interface HandshakeRequest {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** A `Sec-WebSocket-Key` is the base64 of 16 bytes: 22 characters and `==` (ws's own test). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Null when the handshake is valid, else the refusal to answer it with.
 *
 * @example
 * const refused = checkHandshake(req);
 * if (refused !== null) return writeRefusal(socket, refused);
 */
export function checkHandshake(req: HandshakeRequest): Refusal | null {
  const { headers } = req;
  if (req.method !== 'GET') {
    return refusal(405, 'method_not_allowed', 'A WebSocket upgrade must be a GET request.', {
      headers: { allow: 'GET' },
    });
  }
  if (headers.upgrade?.toLowerCase() !== 'websocket') {
    return refusal(400, 'invalid_upgrade', "Expected a WebSocket upgrade request ('Upgrade: websocket').");
  }
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) {
    return refusal(
      400,
      'invalid_websocket_key',
      "The 'Sec-WebSocket-Key' header must be the base64 encoding of 16 bytes.",
    );
  }
  if (headers['sec-websocket-version']?.trim() !== '13') {
    // RFC 6455 section 4.4: name the versions the server speaks.
    return refusal(
      400,
      'unsupported_websocket_version',
      "Only WebSocket version 13 is supported ('Sec-WebSocket-Version: 13').",
      { headers: { 'sec-websocket-version': '13' } },
    );
  }
  const offered = offeredProtocols(headers['sec-websocket-protocol']);
  if (offered === null) {
    return refusal(
      400,
      'invalid_subprotocol',
      "The 'Sec-WebSocket-Protocol' header must be a comma-separated list of distinct subprotocol names.",
    );
  }
  return checkSubprotocols(offered);
}

/**
 * A client that offers subprotocols must get one of them back or its WebSocket fails, and the
 * gateway only answers `realtime`. A browser offering just its key would pass auth and then fail
 * the handshake with no explanation, so it is told what to offer instead.
 *
 * @example
 * checkSubprotocols(new Set(['openai-insecure-api-key.rg-1'])) // 400 missing_realtime_subprotocol
 */
export function checkSubprotocols(offered: ReadonlySet<string>): Refusal | null {
  if (offered.size === 0 || offered.has(REALTIME_SUBPROTOCOL)) return null;
  const withKey = [...offered].some((p) => p.startsWith(KEY_SUBPROTOCOL_PREFIX));
  return refusal(
    400,
    'missing_realtime_subprotocol',
    (withKey
      ? `The request offers the key subprotocol '${KEY_SUBPROTOCOL_PREFIX}<key>' without '${REALTIME_SUBPROTOCOL}'. `
      : `None of the offered subprotocols is '${REALTIME_SUBPROTOCOL}', the only one the gateway speaks. `) +
      `Offer '${REALTIME_SUBPROTOCOL}' alongside the key subprotocol: ` +
      `new WebSocket(url, ['${REALTIME_SUBPROTOCOL}', '${KEY_SUBPROTOCOL_PREFIX}<key>']).`,
  );
}

/** The offered subprotocols; an empty set when none are offered, null when the list is malformed. */
function offeredProtocols(header: string | undefined): Set<string> | null {
  if (header === undefined) return new Set();
  try {
    return subprotocol.parse(header);
  } catch {
    return null;
  }
}
