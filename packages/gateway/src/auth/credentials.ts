/**
 * Finding the client's key in a request. Servers use `Authorization: Bearer <key>`; browsers,
 * which cannot set headers on a WebSocket, offer it as the subprotocol
 * `openai-insecure-api-key.<key>` next to `realtime`.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const KEY_SUBPROTOCOL_PREFIX = 'openai-insecure-api-key.';

/** A key the client presented and how. */
export interface Credential {
  readonly key: string;
  readonly via: 'bearer' | 'subprotocol';
}

/** The subprotocols a client offered, in order. */
export function offeredSubprotocols(headers: IncomingHttpHeaders): string[] {
  const header = headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * The client's credential, from the bearer header first, then the subprotocol.
 *
 * @example
 * extractCredential({ authorization: 'Bearer rg-123' }) // { key: 'rg-123', via: 'bearer' }
 */
export function extractCredential(headers: IncomingHttpHeaders): Credential | null {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return { key: match[1]!, via: 'bearer' };
  }
  for (const protocol of offeredSubprotocols(headers)) {
    if (protocol.startsWith(KEY_SUBPROTOCOL_PREFIX) && protocol.length > KEY_SUBPROTOCOL_PREFIX.length) {
      return { key: protocol.slice(KEY_SUBPROTOCOL_PREFIX.length), via: 'subprotocol' };
    }
  }
  return null;
}

/**
 * The hex SHA-256 of a key, as stored in the configuration.
 *
 * @example
 * `sha256:${hashKey('rg-secret')}` // the value for auth.keys[].hash
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
