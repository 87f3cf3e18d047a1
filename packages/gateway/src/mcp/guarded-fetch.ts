/**
 * The fetch client-declared MCP servers are reached with. Checking a server's URL when it is
 * declared is not enough: its host name may resolve (or later re-resolve, DNS rebinding) to an
 * internal address, and the server may redirect elsewhere. So every URL this fetch is asked
 * for, and every redirect it follows, is checked against the allowlist and the address policy,
 * and its connections go through a DNS lookup that refuses a name if any of its addresses is
 * refused, so that the address dialled is always one that was checked.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { addressRefusal, destinationRefusal } from './address-policy.js';
import { listedAddresses, type UrlPattern } from './url-policy.js';

/** The gateway refused to reach a destination; the message says which and why. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
}

/**
 * A `lookup` for sockets (`net.connect`'s option) that resolves every address of a name and
 * fails with {@link DestinationRefusedError} if any of them is refused: checking only the one
 * dialled would let a name that mixes a public and an internal address through on a retry.
 *
 * @example
 * net.connect({ host: 'mcp.example.com', port: 443, lookup: guardedLookup(['10.0.0.7']) });
 */
export function guardedLookup(listed: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    const answer = (addresses: LookupAddress[]) => {
      const refused = addresses
        .map((entry) => addressRefusal(entry.address, listed))
        .filter((refusal) => refusal !== null);
      if (refused.length > 0) {
        const error = new DestinationRefusedError(
          `The gateway refuses to connect to ${hostname}: ${refused.join('; ')}`,
        );
        callback(error, '');
      } else if (options.all === true) callback(null, addresses);
      else {
        const [first] = addresses;
        if (first === undefined) callback(new DestinationRefusedError(`${hostname} has no address`), '');
        else callback(null, first.address, first.family);
      }
    };
    // An IP literal is not looked up by sockets, but answer for it all the same.
    const literal = hostname.replace(/^\[(.*)\]$/, '$1');
    const family = isIP(literal);
    if (family !== 0) return answer([{ address: literal, family }]);
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) callback(error, '');
      else answer(addresses);
    });
  };
}

/** A fetch with its connection pool, which {@link GuardedFetch.close} ends. */
export interface GuardedFetch {
  readonly fetch: FetchLike;
  close(): Promise<void>;
}

/** Most redirects followed for one request: an MCP endpoint that moved needs one or two. */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Credentials that must not travel to another origin a redirect points at. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * A fetch for client-declared servers: each URL and redirect is checked with
 * `destinationRefusal`, and host names are resolved through {@link guardedLookup}.
 * Redirects are never left to the underlying fetch; `redirect: 'follow'` (the default) is
 * carried out here, at most {@link MAX_REDIRECTS} hops.
 *
 * @example
 * const guarded = createGuardedFetch(config.allowedServerUrls);
 * new StreamableHTTPClientTransport(url, { fetch: guarded.fetch });
 * await guarded.close();
 */
export function createGuardedFetch(patterns: readonly UrlPattern[]): GuardedFetch {
  // A socket's lookup is not told the port, and listings are per port: one connector per port.
  const connectors = new Map<number, buildConnector.connector>();
  const connect: buildConnector.connector = (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    let connector = connectors.get(port);
    if (connector === undefined) {
      connector = buildConnector({ lookup: guardedLookup(listedAddresses(patterns, port)) });
      connectors.set(port, connector);
    }
    connector(options, callback);
  };
  const agent = new Agent({ connect });
  const fetchOnce = async (url: URL, init: RequestInit): Promise<Response> => {
    const refusal = destinationRefusal(url, patterns);
    if (refusal !== null)
      throw new DestinationRefusedError(`The gateway refuses to fetch ${url.origin}: ${refusal}`);
    try {
      const { body, headers, ...rest } = init;
      const request = {
        ...rest,
        headers: [...new Headers(headers)],
        body: sendableBody(body),
        redirect: 'manual' as const,
        dispatcher: agent,
      };
      return (await undiciFetch(url, request)) as Response;
    } catch (error) {
      // undici reports a failed connection as `fetch failed`; the refusal is the reason to give.
      const cause = error instanceof Error ? error.cause : undefined;
      throw cause instanceof DestinationRefusedError ? cause : error;
    }
  };
  const guarded: FetchLike = async (input, init = {}) => {
    let url = new URL(input);
    let request = init;
    const mode = init.redirect ?? 'follow';
    for (let hops = 0; ; hops++) {
      const response = await fetchOnce(url, request);
      const location = response.headers.get('location');
      if (mode === 'manual' || !REDIRECT_STATUSES.has(response.status) || location === null) return response;
      await response.body?.cancel();
      if (mode === 'error')
        throw new TypeError(`${url.origin}${url.pathname} redirected, and redirects are refused`);
      if (hops === MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${input}`);
      const next = new URL(location, url);
      request = redirected(request, response.status, url, next);
      url = next;
    }
  };
  return { fetch: guarded, close: () => agent.destroy() };
}

/** The request to send to where a redirect points, as the Fetch standard says to follow one. */
function redirected(init: RequestInit, status: number, from: URL, to: URL): RequestInit {
  const headers = new Headers(init.headers);
  if (from.origin !== to.origin) for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
  const method = (init.method ?? 'GET').toUpperCase();
  if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language'])
      headers.delete(name);
    return { ...init, method: 'GET', body: null, headers };
  }
  return { ...init, headers };
}

/**
 * The bodies MCP transports send (JSON text, forms of a few fields), which can be sent again
 * after a redirect; a stream could not be, so none is taken.
 */
function sendableBody(body: RequestInit['body']): string | Uint8Array | URLSearchParams | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof URLSearchParams) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('the guarded fetch sends text, bytes or URL-encoded forms only');
}
