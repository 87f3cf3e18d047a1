/**
 * Signing in to the console and out of it. The page posts the admin key once, as JSON in the
 * body (never in a URL); the gateway checks it in constant time, as it checks the admin API's
 * bearer key, and answers with the sign-in cookie. The key is not kept, logged or sent back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { keyMatches } from '../http/operator-key.js';
import { sendRefusal } from '../http/respond.js';
import { refusal } from '../refusal.js';
import { readBody } from '../rest/body.js';
import { cookieToken, signInCookie, signOutCookie } from './cookie.js';
import { checkSameOrigin } from './same-origin.js';
import type { SignIns } from './sign-ins.js';

/** Largest sign-in or change request body read; a key is far shorter. */
export const MAX_CONSOLE_BODY = 4096;

/** Whether the request came over TLS: the cookie is then `Secure`. */
function secure(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket).encrypted === true;
}

/**
 * The JSON object a console page posted, after the cross-site checks; null when it was refused
 * (the refusal is sent).
 *
 * @example
 * const body = await readConsoleJson(req, res);
 * if (body === null) return;
 */
export async function readConsoleJson(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Record<string, unknown> | null> {
  const refused = checkSameOrigin(req);
  if (refused !== null) {
    sendRefusal(res, refused);
    return null;
  }
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    sendRefusal(res, refusal(415, 'unsupported_media_type', 'Send JSON (content-type: application/json).'));
    return null;
  }
  const body = await readBody(req, MAX_CONSOLE_BODY);
  if (body === null) {
    sendRefusal(res, refusal(413, 'body_too_large', `The body must be at most ${MAX_CONSOLE_BODY} bytes.`));
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    sendRefusal(res, refusal(400, 'invalid_json', 'The body must be a JSON object.'));
    return null;
  }
  return parsed as Record<string, unknown>;
}

/**
 * `POST /console/api/sign-in` with `{ "key": "<admin key>" }`: 204 and the cookie, or 403.
 *
 * @example
 * await signIn(req, res, signIns, { keyHash: config.admin.keyHash, minutes: 480, address: '192.0.2.7' });
 */
export async function signIn(
  req: IncomingMessage,
  res: ServerResponse,
  signIns: SignIns,
  given: { readonly keyHash: string; readonly minutes: number; readonly address: string },
): Promise<void> {
  const { keyHash, minutes } = given;
  const body = await readConsoleJson(req, res);
  if (body === null) return;
  if (!(await signIns.attempt(given.address))) {
    sendRefusal(
      res,
      refusal(429, 'too_many_attempts', 'Too many sign-in attempts from this address; wait a minute.'),
    );
    return;
  }
  if (typeof body.key !== 'string' || body.key === '' || body.key.length > 1024) {
    sendRefusal(res, refusal(400, 'invalid_parameter', 'key: the admin key, a string.', { param: 'key' }));
    return;
  }
  if (!keyMatches(body.key, keyHash)) {
    sendRefusal(res, refusal(403, 'forbidden', 'That is not the admin key.'));
    return;
  }
  const token = await signIns.create(keyHash);
  if (token === null) {
    sendRefusal(
      res,
      refusal(429, 'too_many_sign_ins', 'Too many sign-ins lately (console.maxSignIns); try again later.'),
    );
    return;
  }
  res.writeHead(204, { 'set-cookie': signInCookie(token, minutes * 60, secure(req)) });
  res.end();
}

/** `POST /console/api/sign-out`: forgets the sign-in and clears the cookie (204). */
export async function signOut(req: IncomingMessage, res: ServerResponse, signIns: SignIns): Promise<void> {
  const refused = checkSameOrigin(req);
  if (refused !== null) {
    sendRefusal(res, refused);
    return;
  }
  await signIns.revoke(cookieToken(req.headers.cookie));
  res.writeHead(204, { 'set-cookie': signOutCookie(secure(req)) });
  res.end();
}
