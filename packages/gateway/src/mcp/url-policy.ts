/**
 * The patterns of `mcp.allowedServerUrls`, parsed once when the configuration is loaded and
 * matched against the parts of a parsed URL. A pattern is never turned into a regular
 * expression over the whole string: a `*` that could match `/`, `?`, `#` or `@` would let
 * `https://127.0.0.1/.example.com/` pass for `https://*.example.com/*`.
 *
 * What a pattern means, part by part:
 * - scheme: `http` or `https`, exactly;
 * - host: an IP literal (`127.0.0.1`, `[::1]`), matched exactly, or a host name whose labels
 *   are each written out or `*`, which matches exactly one label (never a dot, nor part of a
 *   label); at least one label must be written out;
 * - port: written out, `*` for any port, or absent for the scheme's default (80 or 443);
 * - path: required; a path ending in `*` is a prefix of the URL's path, any other path must
 *   equal it. The query and fragment take no part.
 */
import { isIP } from 'node:net';

export type HostPattern =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'name'; readonly labels: readonly string[] };

/** One allowlist pattern, in parts. */
export interface UrlPattern {
  /** The pattern as configured, for messages. */
  readonly source: string;
  readonly scheme: 'http:' | 'https:';
  readonly host: HostPattern;
  /** A port, or `*` for any. */
  readonly port: number | '*';
  /** The path, without the trailing `*` of a prefix. */
  readonly path: string;
  readonly pathIsPrefix: boolean;
}

export type PatternParse =
  | { readonly ok: true; readonly pattern: UrlPattern }
  | { readonly ok: false; readonly message: string };

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 } as const;
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** Labels WHATWG URL parsing would read as (part of) an IPv4 address, such as `127.1`'s `1`. */
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/;

/**
 * Parses an allowlist pattern, saying what is wrong with it when it is not one.
 *
 * @example
 * parseUrlPattern('https://*.example.com/mcp/*'); // { ok: true, pattern: { … } }
 * parseUrlPattern('https://mcp-*.example.com/*'); // { ok: false, message: '… whole label …' }
 */
export function parseUrlPattern(source: string): PatternParse {
  const fail = (message: string): PatternParse => ({ ok: false, message: `'${source}': ${message}` });
  const parts = /^([a-zA-Z]+):\/\/([^/?#]*)(.*)$/.exec(source);
  if (parts === null) return fail('write a URL pattern such as https://mcp.example.com/*.');
  const [, schemeText = '', authority = '', path = ''] = parts;
  const scheme = `${schemeText.toLowerCase()}:`;
  if (scheme !== 'http:' && scheme !== 'https:') return fail('the scheme must be http or https.');
  if (authority.includes('@')) return fail('credentials (user:password@) are not allowed.');
  if (!authority.startsWith('[') && authority.split(':').length > 2)
    return fail('write an IPv6 address in brackets, as in http://[::1]:8080/*.');
  const hostPort = splitHostPort(authority);
  if (hostPort === null) return fail('the host is not a host name or an IP address.');
  const port = parsePort(hostPort.port, scheme);
  if (port === null) return fail('the port must be a number from 1 to 65535, or *.');
  const host = parseHost(hostPort.host, hostPort.bracketed);
  if (typeof host === 'string') return fail(host);
  const parsedPath = parsePath(path);
  if (typeof parsedPath === 'string') return fail(parsedPath);
  return { ok: true, pattern: { source, scheme, host, port, ...parsedPath } };
}

function splitHostPort(authority: string): { host: string; port: string; bracketed: boolean } | null {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return null;
    const rest = authority.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    return { host: authority.slice(1, end), port: rest.slice(1), bracketed: true };
  }
  const colon = authority.indexOf(':');
  if (colon < 0) return { host: authority, port: '', bracketed: false };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1), bracketed: false };
}

function parsePort(text: string, scheme: 'http:' | 'https:'): number | '*' | null {
  if (text === '') return DEFAULT_PORTS[scheme];
  if (text === '*') return '*';
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : null;
}

function parseHost(text: string, bracketed: boolean): HostPattern | string {
  if (bracketed) {
    if (isIP(text) !== 6) return 'the address in brackets is not an IPv6 address.';
    return { kind: 'address', address: canonicalHost(`[${text}]`).slice(1, -1) };
  }
  if (text.includes('*') && isIP(text.replaceAll('*', '0')) !== 0)
    return 'an IP address cannot have wildcards; list each address.';
  if (isIP(text) === 4) return { kind: 'address', address: text };
  const labels = text.toLowerCase().split('.');
  for (const label of labels) {
    if (label === '*') continue;
    if (label.includes('*'))
      return 'a * in the host must be a whole label (*.example.com), matching exactly one label.';
    if (!LABEL.test(label))
      return 'the host is not a host name (letters, digits, - and _ in dot-separated labels; internationalized names in their xn-- form).';
  }
  if (labels.every((label) => label === '*')) return 'write out at least one label of the host.';
  if (NUMERIC_LABEL.test(labels.at(-1) ?? ''))
    return 'the host ends in a number; write IPv4 addresses in dotted-decimal form (127.0.0.1).';
  return { kind: 'name', labels };
}

function parsePath(text: string): { path: string; pathIsPrefix: boolean } | string {
  if (text === '') return 'add a path: /* for any path, /mcp for exactly /mcp.';
  if (!text.startsWith('/')) return 'the path must start with /.';
  if (/[?#\\\s]/.test(text)) return 'the path cannot have a query, a fragment, \\ or spaces.';
  const star = text.indexOf('*');
  if (star >= 0 && star !== text.length - 1) return 'a * in the path may only end it (/mcp/*).';
  const path = star >= 0 ? text.slice(0, -1) : text;
  // A path URLs never have (with `..`, or characters URL parsing escapes) could never match.
  if (new URL(path, 'http://host').pathname !== path)
    return `the path is not in the form URLs have (it would read as ${new URL(path, 'http://host').pathname}).`;
  return { path, pathIsPrefix: star >= 0 };
}

/** The host as WHATWG URL parsing writes it: IPv6 compressed and in brackets. */
function canonicalHost(host: string): string {
  return new URL(`http://${host}/`).hostname;
}

/** The host of a parsed http(s) URL: an IP address (without brackets) or a host name. */
export function urlHost(url: URL): { kind: 'address'; address: string } | { kind: 'name'; name: string } {
  const host = url.hostname;
  if (host.startsWith('[')) return { kind: 'address', address: host.slice(1, -1) };
  // URL parsing has already turned every IPv4 form (127.1, 0x7f000001, …) into dotted decimal.
  if (isIP(host) === 4) return { kind: 'address', address: host };
  return { kind: 'name', name: host };
}

/**
 * The first pattern a URL matches, or null. URLs that are not http(s) or that carry
 * credentials match nothing.
 *
 * @example
 * const [p] = ['https://*.example.com/*'].map((s) => (parseUrlPattern(s) as { pattern: UrlPattern }).pattern);
 * matchingPattern('https://mcp.example.com/sse', [p]); // p
 * matchingPattern('https://127.0.0.1/.example.com/', [p]); // null
 */
export function matchingPattern(url: string | URL, patterns: readonly UrlPattern[]): UrlPattern | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  const scheme = parsed.protocol;
  const port = urlPort(parsed);
  const host = urlHost(parsed);
  return (
    patterns.find(
      (pattern) =>
        pattern.scheme === scheme &&
        (pattern.port === '*' || pattern.port === port) &&
        hostMatches(pattern.host, host) &&
        (pattern.pathIsPrefix ? parsed.pathname.startsWith(pattern.path) : parsed.pathname === pattern.path),
    ) ?? null
  );
}

function hostMatches(pattern: HostPattern, host: ReturnType<typeof urlHost>): boolean {
  if (pattern.kind === 'address' || host.kind === 'address') {
    return pattern.kind === 'address' && host.kind === 'address' && pattern.address === host.address;
  }
  const labels = host.name.split('.');
  return (
    labels.length === pattern.labels.length &&
    pattern.labels.every((label, i) => (label === '*' ? LABEL.test(labels[i] ?? '') : label === labels[i]))
  );
}

/**
 * The IP addresses patterns name exactly for a port: the operator's exceptions to the address
 * policy. Listing `http://127.0.0.1:8080/*` vouches for what listens on port 8080 there, not
 * for every service on that machine, so a host name resolving to 127.0.0.1 is let through on
 * port 8080 only.
 *
 * @example
 * listedAddresses(patterns, 8080); // ['127.0.0.1'] for ['http://127.0.0.1:8080/*']
 */
export function listedAddresses(patterns: readonly UrlPattern[], port: number): string[] {
  return patterns.flatMap((pattern) =>
    pattern.host.kind === 'address' && (pattern.port === '*' || pattern.port === port)
      ? [pattern.host.address]
      : [],
  );
}

/** The port a parsed http(s) URL connects to. */
export function urlPort(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}
