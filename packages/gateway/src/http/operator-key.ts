/**
 * The keys of operator surfaces (the admin API, `/metrics`): a bearer token, separate from the
 * gateway keys, configured as its SHA-256 hash and compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { extractCredential, hashKey } from '../auth/credentials.js';
import { type Refusal, refusal } from '../refusal.js';

/**
 * Null when `req` carries the key whose hex SHA-256 is `keyHash` as a bearer token; otherwise
 * the refusal, which names `surface` (401 without a token, 403 with another one).
 *
 * @example
 * const refused = checkOperatorKey(req, config.metrics.keyHash, '/metrics');
 * if (refused !== null) return sendRefusal(res, refused);
 */
export function checkOperatorKey(req: IncomingMessage, keyHash: string, surface: string): Refusal | null {
  const credential = extractCredential(req.headers);
  // Browser subprotocol keys are for sessions; operator surfaces take bearer tokens only.
  const presented = credential?.via === 'bearer' ? credential.key : null;
  if (presented === null)
    return refusal(401, 'missing_api_key', `${surface} needs its key as a bearer token.`);
  if (keyMatches(presented, keyHash)) return null;
  return refusal(403, 'forbidden', `${surface} needs its own key.`);
}

/**
 * Whether `presented` is the key whose hex SHA-256 is `keyHash`, compared in constant time.
 *
 * @example
 * keyMatches(body.key, config.admin.keyHash); // true for the admin key
 */
export function keyMatches(presented: string, keyHash: string): boolean {
  const given = Buffer.from(hashKey(presented), 'hex');
  const expected = Buffer.from(keyHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * {@link checkOperatorKey} for a read-only operator resource: the key first, then 405 for any
 * method but GET, with `getHint` as its message.
 *
 * @example
 * const refused = checkOperatorRead(req, keyHash, 'The admin API', 'Use GET to read a recording.');
 * if (refused !== null) return sendRefusal(res, refused);
 */
export function checkOperatorRead(
  req: IncomingMessage,
  keyHash: string,
  surface: string,
  getHint: string,
): Refusal | null {
  const refused = checkOperatorKey(req, keyHash, surface);
  if (refused !== null) return refused;
  return req.method === 'GET' ? null : refusal(405, 'method_not_allowed', getHint);
}
