/**
 * The addresses a client-declared MCP server may not be reached at, whatever the allowlist's
 * host names say: a client must not make the gateway talk to itself, its network, or a cloud
 * metadata service. IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`) fall in the same ranges, as
 * `BlockList` matches them against the IPv4 rules. Also the check of a whole URL before it is
 * fetched, which combines this policy with the allowlist's patterns.
 */
import { BlockList, isIP } from 'node:net';
import { listedAddresses, matchingPattern, type UrlPattern, urlHost, urlPort } from './url-policy.js';

type Family = 'ipv4' | 'ipv6';

/** Ranges checked in order, so the most specific name is given (metadata before link-local). */
const RANGES: readonly (readonly [name: string, subnets: readonly string[]])[] = [
  ['a cloud metadata address', ['169.254.169.254/32', 'fd00:ec2::254/128']],
  ['an unspecified address', ['0.0.0.0/8', '::/128']],
  ['a loopback address', ['127.0.0.0/8', '::1/128']],
  ['a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['a carrier-grade NAT address', ['100.64.0.0/10']],
  ['a unique local address', ['fc00::/7']],
  ['a link-local address', ['169.254.0.0/16', 'fe80::/10']],
  ['a multicast address', ['224.0.0.0/4', 'ff00::/8']],
  ['a reserved or broadcast address', ['240.0.0.0/4']],
  // Deprecated IPv4-compatible forms (`::127.0.0.1`), which the IPv4 rules do not cover.
  ['an IPv4-compatible IPv6 address', ['::/96']],
];

const LISTS: readonly (readonly [name: string, list: BlockList])[] = RANGES.map(([name, subnets]) => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network = '', prefix = ''] = subnet.split('/');
    list.addSubnet(network, Number(prefix), familyOf(network));
  }
  return [name, list] as const;
});

function familyOf(address: string): Family {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/**
 * What kind of special address this is (`'a loopback address'`), or null for an ordinary
 * public one. Anything that is not an IP address is special too.
 *
 * @example
 * specialRange('::ffff:169.254.169.254'); // 'a cloud metadata address'
 * specialRange('93.184.215.14'); // null
 */
export function specialRange(address: string): string | null {
  if (isIP(address) === 0) return 'not an IP address';
  const family = familyOf(address);
  return LISTS.find(([, list]) => list.check(address, family))?.[0] ?? null;
}

/**
 * Why the gateway refuses to connect to an address for a client-declared server, or null when
 * it may. Addresses the operator lists exactly (an allowlist pattern whose host is that IP
 * literal, for the port being connected to) may be reached whatever their range; an IPv4
 * address and its IPv4-mapped IPv6 form count as the same address.
 *
 * @example
 * addressRefusal('127.0.0.1', []); // '127.0.0.1 is a loopback address not listed in …'
 * addressRefusal('127.0.0.1', ['127.0.0.1']); // null
 */
export function addressRefusal(address: string, listed: readonly string[]): string | null {
  if (isIP(address) === 0) return `${address} is not an IP address`;
  const range = specialRange(address);
  if (range === null) return null;
  const exact = new BlockList();
  for (const entry of listed) if (isIP(entry) !== 0) exact.addAddress(entry, familyOf(entry));
  if (exact.check(address, familyOf(address))) return null;
  return `${address} is ${range} not listed in mcp.allowedServerUrls`;
}

/**
 * Why the gateway refuses a URL for a client-declared server, or null when it may fetch it:
 * the URL must match an allowlist pattern and, when its host is an IP address, that address
 * must pass the address policy (host names are checked when they are resolved).
 *
 * @example
 * destinationRefusal('http://10.0.0.7/mcp', patterns('http://*.corp.example/*')); // '… not allowed …'
 * destinationRefusal('http://10.0.0.7/mcp', patterns('http://10.0.0.7/*')); // null
 */
export function destinationRefusal(url: string | URL, patterns: readonly UrlPattern[]): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${String(url)}' is not a URL`;
  }
  if (parsed.username !== '' || parsed.password !== '') return 'URLs with credentials are refused';
  if (matchingPattern(parsed, patterns) === null)
    return `${parsed.origin}${parsed.pathname} is not allowed by mcp.allowedServerUrls`;
  const host = urlHost(parsed);
  if (host.kind === 'address') {
    return addressRefusal(host.address, listedAddresses(patterns, urlPort(parsed)));
  }
  return null;
}
