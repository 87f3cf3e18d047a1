/**
 * The console's sign-in cookie: an opaque random token, never the admin key. HttpOnly (no page
 * script reads it), SameSite=Strict (no other site's page sends it), scoped to `/console`, and
 * expiring with the sign-in; `Secure` on a TLS listener.
 */

export const CONSOLE_PATH = '/console';
export const COOKIE_NAME = 'rg_console';

/**
 * The `set-cookie` value for a sign-in.
 *
 * @example
 * res.setHeader('set-cookie', signInCookie(token, 480 * 60, false));
 */
export function signInCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return cookie(token, maxAgeSeconds, secure);
}

/** The `set-cookie` value that forgets a sign-in. */
export function signOutCookie(secure: boolean): string {
  return cookie('', 0, secure);
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const attributes = [`Path=${CONSOLE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  return [`${COOKIE_NAME}=${value}`, ...attributes, ...(secure ? ['Secure'] : [])].join('; ');
}

/**
 * The console cookie's value in a `cookie` header, or null.
 *
 * @example
 * cookieToken('theme=dark; rg_console=abc'); // 'abc'
 */
export function cookieToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(`${COOKIE_NAME}=`)) return pair.slice(COOKIE_NAME.length + 1) || null;
  }
  return null;
}
