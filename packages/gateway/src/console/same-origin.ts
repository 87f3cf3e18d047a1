/**
 * Cross-site request forgery: a console request that changes something (sign-in, sign-out,
 * terminating a session) must carry the console's own header, which a page of another origin
 * cannot send without a CORS preflight the gateway never grants, and an `Origin`, when the
 * browser sends one, of the console's own host. The SameSite=Strict cookie is the first guard;
 * this is the second, for browsers or proxies that get that wrong.
 */
import type { IncomingMessage } from 'node:http';
import { type Refusal, refusal } from '../refusal.js';

/** The header the console's pages send with every change. */
export const CONSOLE_REQUEST_HEADER = 'x-console-request';

/**
 * Null when `req` may change something; otherwise a 403.
 *
 * @example
 * const refused = checkSameOrigin(req);
 * if (refused !== null) return sendRefusal(res, refused);
 */
export function checkSameOrigin(req: IncomingMessage): Refusal | null {
  if (req.headers[CONSOLE_REQUEST_HEADER] !== '1')
    return refusal(
      403,
      'cross_site_request',
      `A change must come from the console (${CONSOLE_REQUEST_HEADER}: 1).`,
    );
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  if (hostOf(origin) !== req.headers.host)
    return refusal(403, 'cross_site_request', 'A change must come from a page of the console itself.');
  return null;
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
