/**
 * The addresses client-declared MCP servers may not be reached at unless the operator lists
 * them exactly, in every form an address can be written in (IPv4-mapped IPv6 included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRefusal, destinationRefusal, specialRange } from '../src/mcp/address-policy.js';
import { listedAddresses, parseUrlPattern, type UrlPattern } from '../src/mcp/url-policy.js';

function patterns(...sources: string[]): UrlPattern[] {
  return sources.map((source) => {
    const parsed = parseUrlPattern(source);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pattern;
  });
}

/** Each refused range, with addresses in it (first, inside, last) and their IPv4-mapped forms. */
const REFUSED: readonly (readonly [range: string, addresses: readonly string[]])[] = [
  [
    'a cloud metadata address',
    ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
  ],
  ['an unspecified address', ['0.0.0.0', '0.1.2.3', '::', '::ffff:0.0.0.0']],
  ['a loopback address', ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1']],
  [
    'a private address',
    [
      '10.0.0.0',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '192.168.255.255',
      '::ffff:10.1.2.3',
      '::ffff:172.20.0.1',
      '::ffff:192.168.1.1',
    ],
  ],
  ['a carrier-grade NAT address', ['100.64.0.1', '100.127.255.255', '100.100.100.200', '::ffff:100.64.0.1']],
  ['a unique local address', ['fc00::1', 'fd12:3456::1', 'fdff:ffff::1']],
  ['a link-local address', ['169.254.0.1', '169.254.255.255', 'fe80::1', 'febf::1', '::ffff:169.254.1.1']],
  ['a multicast address', ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff0e::1', '::ffff:224.0.0.251']],
  ['a reserved or broadcast address', ['240.0.0.1', '255.255.255.255', '::ffff:255.255.255.255']],
  ['an IPv4-compatible IPv6 address', ['::127.0.0.1', '::a9fe:a9fe']],
];

const PUBLIC = [
  '93.184.215.14',
  '8.8.8.8',
  '100.63.255.255',
  '100.128.0.1',
  '172.15.255.255',
  '172.32.0.1',
  '169.253.255.255',
  '11.0.0.1',
  '223.255.255.255',
  '2606:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8',
  'fec0::1',
];

describe('the address policy of client-declared servers', () => {
  for (const [range, addresses] of REFUSED) {
    it(`refuses ${range.replace(/^an? /, '')}es`, () => {
      for (const address of addresses) {
        assert.equal(specialRange(address), range, address);
        assert.match(addressRefusal(address, []) ?? '', new RegExp(`^${address} is ${range}`), address);
      }
    });
  }

  it('lets public addresses through', () => {
    for (const address of PUBLIC) {
      assert.equal(specialRange(address), null, address);
      assert.equal(addressRefusal(address, []), null, address);
    }
  });

  it('refuses what is not an IP address', () => {
    assert.equal(specialRange('localhost'), 'not an IP address');
    assert.notEqual(addressRefusal('localhost', ['localhost']), null);
  });

  it('permits an address the operator lists exactly, and no other in its range', () => {
    assert.equal(addressRefusal('127.0.0.1', ['127.0.0.1']), null);
    assert.notEqual(addressRefusal('127.0.0.2', ['127.0.0.1']), null);
    assert.equal(addressRefusal('169.254.169.254', ['169.254.169.254']), null);
    assert.equal(addressRefusal('fd00:ec2::254', ['fd00:ec2::254']), null);
    assert.notEqual(addressRefusal('fd00:ec2::253', ['fd00:ec2::254']), null);
    assert.equal(addressRefusal('10.0.0.7', ['192.168.1.1', '10.0.0.7']), null);
  });

  it('counts an IPv4 address and its IPv4-mapped form as the same listed address', () => {
    assert.equal(addressRefusal('::ffff:127.0.0.1', ['127.0.0.1']), null);
    assert.equal(addressRefusal('::ffff:7f00:1', ['127.0.0.1']), null);
    assert.equal(addressRefusal('127.0.0.1', ['::ffff:127.0.0.1']), null);
    assert.notEqual(addressRefusal('::ffff:127.0.0.2', ['127.0.0.1']), null);
  });
});

describe('the destination check of a declared server URL', () => {
  it('lets an IP literal in a refused range through only when a pattern names it', () => {
    const allow = patterns('http://*.example.com:*/*', 'http://10.0.0.7/*');
    assert.match(destinationRefusal('http://10.0.0.8/mcp', allow) ?? '', /not allowed/);
    assert.equal(destinationRefusal('http://10.0.0.7/mcp', allow), null);
    assert.equal(destinationRefusal('http://mcp.example.com:8080/mcp', allow), null);
  });

  it('refuses the mapped and numeric spellings of an address unless that exact address is listed', () => {
    const listed = patterns('http://127.0.0.1:8080/*');
    assert.equal(destinationRefusal('http://2130706433:8080/mcp', listed), null);
    assert.match(
      destinationRefusal('http://[::ffff:127.0.0.1]:8080/mcp', listed) ?? '',
      /not allowed by mcp.allowedServerUrls/,
    );
    const mapped = patterns('http://[::ffff:169.254.169.254]/*');
    assert.equal(destinationRefusal('http://[::ffff:a9fe:a9fe]/latest', mapped), null);
    assert.match(destinationRefusal('http://169.254.169.254/latest', mapped) ?? '', /not allowed/);
  });

  it('takes a listed address as listed for the port its pattern names only', () => {
    const allow = patterns(
      'http://127.0.0.1:8080/*',
      'https://[::1]:*/*',
      'http://*.example.com/*',
      'https://10.0.0.7/*',
    );
    assert.deepEqual(listedAddresses(allow, 8080), ['127.0.0.1', '::1']);
    assert.deepEqual(listedAddresses(allow, 443), ['::1', '10.0.0.7']);
    assert.deepEqual(listedAddresses(allow, 6379), ['::1']);
  });

  it('refuses URLs with credentials before anything else', () => {
    assert.match(
      destinationRefusal('https://u:p@mcp.example.com/', patterns('https://*.example.com/*')) ?? '',
      /credentials/,
    );
  });
});
