/**
 * The request target (`/path?query`) of an incoming request, read without `new URL` or
 * `decodeURIComponent` on raw input: both throw on hostile targets (`//[`, `%E0%A4%A`), and a
 * throw there used to surface as a 500. A target the gateway cannot read is a 400.
 */
import { type Refusal, refusal } from '../refusal.js';

/** A request target, split but not decoded. */
export interface RequestTarget {
  /** The path as sent, percent-escapes intact (and known to be well-formed). */
  readonly path: string;
  /** The query as sent, with its `?`, or '' when there is none. */
  readonly search: string;
  readonly query: URLSearchParams;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Splits a request target. Origin-form (`/a/b?c`) is read as is; absolute-form
 * (`http://host/a/b?c`, which HTTP/1.1 servers must accept) is reduced to its path and query.
 *
 * @example
 * parseTarget('/admin/sessions/sess_1?reason=x') // { path: '/admin/sessions/sess_1', search: '?reason=x', … }
 * parseTarget('/admin/sessions/%E0%A4%A')        // a 400 refusal
 */
export function parseTarget(raw: string | undefined): RequestTarget | Refusal {
  let target = raw ?? '/';
  if (ABSOLUTE_FORM.test(target)) {
    if (!URL.canParse(target)) return invalidTarget();
    const url = new URL(target);
    target = `${url.pathname}${url.search}`;
  }
  if (!target.startsWith('/')) return invalidTarget();
  const end = target.search(/[?#]/);
  const path = end === -1 ? target : target.slice(0, end);
  const rest = end === -1 ? '' : target.slice(end);
  const search = rest.startsWith('?') ? rest.split('#', 1)[0]! : '';
  if (decodePath(path) === null) {
    return refusal(400, 'invalid_path', 'The request path contains a malformed percent-escape.');
  }
  return { path, search, query: new URLSearchParams(search) };
}

/**
 * A path (or one segment of it) with its percent-escapes decoded, or null when an escape is
 * malformed or does not decode to UTF-8.
 *
 * @example
 * decodePath('sess%5F1') // 'sess_1'
 * decodePath('%E0%A4%A') // null
 */
export function decodePath(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

/** Whether a parse gave a refusal rather than a target. */
export function isRefusal(value: RequestTarget | Refusal): value is Refusal {
  return 'status' in value;
}

function invalidTarget(): Refusal {
  return refusal(400, 'invalid_request_target', 'The request target is not a path the gateway can read.');
}
