/**
 * The allowlist patterns of client-declared MCP servers: parsed when the configuration is
 * loaded, matched against a URL's parts. The bypasses of the old whole-string wildcard (a `*`
 * that matched `/`, `?`, `#` and `@`) are all here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { resolveConfig } from '../src/config/resolve.js';
import { urlAllowed } from '../src/mcp/config.js';
import { matchingPattern, parseUrlPattern, type UrlPattern } from '../src/mcp/url-policy.js';

function patterns(...sources: string[]): UrlPattern[] {
  return sources.map((source) => {
    const parsed = parseUrlPattern(source);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pattern;
  });
}

function matches(url: string, ...sources: string[]): boolean {
  return matchingPattern(url, patterns(...sources)) !== null;
}

describe('allowlist patterns match the parts of a URL', () => {
  const wildcard = ['https://*.example.com/*', 'http://*.example.com:*/*', 'https://*.example.com:*/*'];

  it('refuses every bypass of the old whole-string wildcard', () => {
    const bypasses = [
      'https://127.0.0.1:8443/.example.com/',
      'https://127.0.0.1/.example.com/',
      'https://127.0.0.1:8443/?.example.com/',
      'https://127.0.0.1:8443/#.example.com/',
      'https://127.0.0.1:8443/#@mcp.example.com/',
      'https://169.254.169.254/latest/meta-data/x.example.com/',
      'http://169.254.169.254/latest/meta-data/x.example.com/',
      'https://evil.test/.example.com/',
      'https://evil.test?.example.com/',
      'https://evil.test#.example.com/',
      'https://evil.test\\.example.com/',
      'https://mcp.example.com@evil.test/',
      'https://mcp.example.com:pw@evil.test/',
      'https://mcp.example.com.evil.test/',
      'https://mcpexample.com/',
    ];
    for (const url of bypasses) assert.equal(matches(url, ...wildcard), false, url);
  });

  it('still allows the servers the patterns mean', () => {
    for (const url of [
      'https://mcp.example.com/',
      'https://mcp.example.com/sse',
      'https://MCP.Example.COM/mcp?tenant=a',
      'https://mcp.example.com:443/mcp',
      'https://xn--bcher-kva.example.com/mcp',
      'https://bücher.example.com/mcp',
    ]) {
      assert.equal(matches(url, 'https://*.example.com/*'), true, url);
    }
  });

  it('matches one host label per *, never a dot or an empty label', () => {
    const one = 'https://*.example.com/*';
    assert.equal(matches('https://a.example.com/', one), true);
    assert.equal(matches('https://a.b.example.com/', one), false);
    assert.equal(matches('https://example.com/', one), false);
    assert.equal(matches('https://.example.com/', one), false);
    assert.equal(matches('https://mcp.example.com./', one), false);
    const two = 'https://*.*.example.com/*';
    assert.equal(matches('https://a.b.example.com/', two), true);
    assert.equal(matches('https://a.example.com/', two), false);
    const middle = 'https://mcp.*.example.com/*';
    assert.equal(matches('https://mcp.eu.example.com/', middle), true);
    assert.equal(matches('https://api.eu.example.com/', middle), false);
  });

  it('compares ports: explicit, the scheme default, or * for any', () => {
    assert.equal(matches('https://mcp.example.com:8443/', 'https://mcp.example.com/*'), false);
    assert.equal(matches('https://mcp.example.com:8443/', 'https://mcp.example.com:8443/*'), true);
    assert.equal(matches('https://mcp.example.com/', 'https://mcp.example.com:8443/*'), false);
    assert.equal(matches('https://mcp.example.com/', 'https://mcp.example.com:443/*'), true);
    assert.equal(matches('http://mcp.example.com/', 'http://mcp.example.com/*'), true);
    assert.equal(matches('http://mcp.example.com:443/', 'http://mcp.example.com/*'), false);
    for (const port of ['', ':1', ':8443', ':65535'])
      assert.equal(matches(`https://mcp.example.com${port}/`, 'https://mcp.example.com:*/*'), true, port);
  });

  it('compares schemes exactly', () => {
    assert.equal(matches('http://mcp.example.com/', 'https://mcp.example.com:*/*'), false);
    assert.equal(matches('https://mcp.example.com/', 'http://mcp.example.com:*/*'), false);
  });

  it('treats a path ending in * as a prefix and any other path as exact, after URL normalization', () => {
    const exact = 'https://mcp.example.com/mcp';
    assert.equal(matches('https://mcp.example.com/mcp', exact), true);
    assert.equal(matches('https://mcp.example.com/mcp?x=1#top', exact), true);
    assert.equal(matches('https://mcp.example.com/mcp/', exact), false);
    assert.equal(matches('https://mcp.example.com/mcpx', exact), false);
    assert.equal(matches('https://mcp.example.com/MCP', exact), false);
    assert.equal(matches('https://mcp.example.com/admin/../mcp', exact), true);
    const prefix = 'https://mcp.example.com/mcp/*';
    assert.equal(matches('https://mcp.example.com/mcp/', prefix), true);
    assert.equal(matches('https://mcp.example.com/mcp/a/b', prefix), true);
    assert.equal(matches('https://mcp.example.com/mcp', prefix), false);
    assert.equal(matches('https://mcp.example.com/mcpx/', prefix), false);
    assert.equal(matches('https://mcp.example.com/mcp/../admin', prefix), false);
    assert.equal(matches('https://mcp.example.com/mcp/%2e%2e/admin', prefix), false);
    assert.equal(matches('https://mcp.example.com/anything', 'https://mcp.example.com/*'), true);
  });

  it('refuses URLs with credentials', () => {
    for (const url of [
      'https://user:pass@mcp.example.com/',
      'https://user@mcp.example.com/',
      'https://:pass@mcp.example.com/',
    ]) {
      assert.equal(matches(url, 'https://mcp.example.com/*', 'https://*.example.com/*'), false, url);
    }
  });

  it('refuses schemes other than http and https, and what is not a URL', () => {
    for (const url of [
      'ftp://mcp.example.com/',
      'ws://mcp.example.com/',
      'wss://mcp.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'mcp.example.com/mcp',
      '',
    ]) {
      assert.equal(matches(url, 'https://mcp.example.com:*/*', 'http://mcp.example.com:*/*'), false, url);
    }
  });

  it('matches IP literals exactly, in any spelling URL parsing normalizes', () => {
    assert.equal(matches('http://[::1]:8080/mcp', 'http://[::1]:8080/*'), true);
    assert.equal(matches('http://[0:0:0:0:0:0:0:1]:8080/mcp', 'http://[::1]:8080/*'), true);
    assert.equal(matches('http://[::1]:8080/mcp', 'http://[0:0::1]:8080/*'), true);
    assert.equal(matches('http://[::2]:8080/mcp', 'http://[::1]:8080/*'), false);
    assert.equal(matches('http://[fd00:ec2::254]/', 'http://[FD00:EC2:0::254]/*'), true);
    for (const spelling of ['127.0.0.1', '2130706433', '0x7f.1', '127.1', '0177.0.0.1'])
      assert.equal(matches(`http://${spelling}/mcp`, 'http://127.0.0.1/*'), true, spelling);
    assert.equal(matches('http://127.0.0.2/mcp', 'http://127.0.0.1/*'), false);
  });

  it('never matches an IP address with a host name pattern, nor a name with an address', () => {
    assert.equal(matches('http://1.2.3.4/', 'http://*.2.3.example/*'), false);
    assert.equal(matches('http://[::1]/', 'http://*.example.com/*'), false);
    assert.equal(matches('http://localhost/', 'http://127.0.0.1/*'), false);
  });

  it('urlAllowed also applies the address policy to IP literals', () => {
    assert.equal(urlAllowed('https://mcp.example.com/sse', ['https://*.example.com/*']), true);
    assert.equal(urlAllowed('https://127.0.0.1/.example.com/', ['https://*.example.com/*']), false);
    assert.equal(urlAllowed('http://10.1.2.3/mcp', ['http://10.1.2.3/*']), true);
    assert.equal(urlAllowed('http://[::1]/mcp', ['http://[::1]/*']), true);
    assert.equal(urlAllowed('http://93.184.215.14/mcp', ['http://93.184.215.14/*']), true);
  });
});

describe('allowlist patterns are checked when the configuration is loaded', () => {
  const bad: readonly (readonly [pattern: string, complaint: RegExp])[] = [
    ['mcp.example.com/*', /URL pattern/],
    ['ftp://mcp.example.com/*', /scheme/],
    ['https://user:pw@mcp.example.com/*', /credentials/],
    ['https://mcp-*.example.com/*', /whole label/],
    ['https://*/*', /at least one label/],
    ['https://*.*/*', /at least one label/],
    ['https://mcp.example.com', /add a path/],
    ['https://mcp.example.com/*/mcp', /may only end it/],
    ['https://mcp.example.com/a/../b', /form URLs have/],
    ['https://mcp.example.com/a?b=1', /query/],
    ['https://mcp.example.com/a#b', /fragment/],
    ['https://mcp.example.com:99999/*', /port/],
    ['https://mcp.example.com:0/*', /port/],
    ['https://mcp.example.com:http/*', /port/],
    ['https://[::1/*', /host/],
    ['https://[mcp.example.com]/*', /IPv6/],
    ['https://::1/*', /brackets/],
    ['https://::1:8080/*', /brackets/],
    ['https://127.1/*', /dotted-decimal/],
    ['https://2130706433/*', /dotted-decimal/],
    ['https://127.0.0.*/*', /wildcards/],
    ['https://*.0.0.1/*', /wildcards/],
    ['https://exa mple.com/*', /host name/],
    ['https://mcp_.example.com!/*', /host name/],
  ];

  for (const [pattern, complaint] of bad) {
    it(`refuses ${pattern}`, () => {
      const parsed = parseUrlPattern(pattern);
      assert.ok(!parsed.ok);
      assert.match(parsed.message, complaint);
    });
  }

  it('reports a bad pattern as a config error naming its field', () => {
    const result = resolveConfig(
      {
        mcp: {
          allowedServerUrls: ['https://*.example.com/*', 'https://mcp-*.example.com/*', 'http://127.0.0.1/*'],
        },
      },
      { env: {}, readFile: () => assert.fail('no file read expected') },
    );
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((error) => error.field),
      ['mcp.allowedServerUrls[1]'],
    );
    assert.match(result.errors[0]!.message, /mcp-\*\.example\.com/);
  });

  it('reports it from a configuration file too, and keeps good patterns parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-mcp-patterns-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'mcp:\n  allowedServerUrls:\n    - "https://*.example.com"\n');
    const bad = loadConfig({ file });
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0]?.field, 'mcp.allowedServerUrls[0]');
    writeFileSync(file, 'mcp:\n  allowedServerUrls:\n    - "https://*.example.com/mcp/*"\n');
    const good = loadConfig({ file });
    assert.ok(good.ok);
    assert.deepEqual(good.config.mcp.allowedServerUrls, [
      {
        source: 'https://*.example.com/mcp/*',
        scheme: 'https:',
        host: { kind: 'name', labels: ['*', 'example', 'com'] },
        port: 443,
        path: '/mcp/',
        pathIsPrefix: true,
      },
    ]);
  });
});
