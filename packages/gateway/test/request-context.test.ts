/**
 * Request ids and client addresses: what the logs say about who a request is, and what a
 * client can and cannot make them say.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { resolveConfig } from '../src/config/resolve.js';
import { adoptForwardedContext, TrustedProxies } from '../src/http/request-context.js';
import { createLogger } from '../src/observability/logger.js';
import { connect, startRig } from './support/harness.js';

/** A request as the context reads it: headers and the socket's address. */
function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('the client address', () => {
  test("is the socket's unless the socket is a trusted proxy", () => {
    const none = new TrustedProxies([]);
    assert.equal(
      none.contextOf(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).clientIp,
      '127.0.0.1',
      'with no trusted proxy, a client cannot choose its logged address',
    );
    assert.equal(none.contextOf(request('::ffff:10.1.2.3')).clientIp, '10.1.2.3');
  });

  test('behind trusted proxies, the nearest hop that is not one', () => {
    const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    const via = (peer: string, forwarded: string) =>
      proxies.contextOf(request(peer, { 'x-forwarded-for': forwarded })).clientIp;
    assert.equal(via('127.0.0.1', '203.0.113.9'), '203.0.113.9');
    assert.equal(
      via('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.7'),
      '203.0.113.9',
      'the spoofable left part is ignored',
    );
    assert.equal(via('fd00::2', '2001:db8::1'), '2001:db8::1');
    assert.equal(via('192.0.2.1', '203.0.113.9'), '192.0.2.1', 'an untrusted peer is the client');
    assert.equal(via('127.0.0.1', 'not-an-ip, 10.0.0.2'), '10.0.0.2', 'a malformed hop stops the walk');
    assert.equal(via('127.0.0.1', `${'10.0.0.1, '.repeat(100)}10.0.0.1`), '10.0.0.1', 'the walk is bounded');
  });
});

describe('a request forwarded within the deployment', () => {
  test('keeps the id and client address it had at the first process, when both are well formed', () => {
    const proxies = new TrustedProxies([]);
    const forwarded = (headers: Record<string, string>) => {
      const req = request('127.0.0.1', headers);
      adoptForwardedContext(req);
      return proxies.contextOf(req);
    };
    assert.deepEqual(forwarded({ 'x-request-id': 'req_1', 'x-realtime-gateway-client-ip': '203.0.113.9' }), {
      requestId: 'req_1',
      clientIp: '203.0.113.9',
    });
    const hostile = forwarded({
      'x-request-id': 'req_1',
      'x-realtime-gateway-client-ip': '203.0.113.9\nforged',
    });
    assert.equal(hostile.clientIp, '127.0.0.1', 'what is not an address is not taken');
  });
});

describe('the request id', () => {
  test("is the client's when plausible, else one made here", () => {
    const proxies = new TrustedProxies([]);
    assert.equal(
      proxies.contextOf(request('127.0.0.1', { 'x-request-id': 'abc-123.x:y_z' })).requestId,
      'abc-123.x:y_z',
    );
    for (const hostile of ['has space', 'x'.repeat(129), '', 'quote"d', '{"json":1}'])
      assert.match(
        proxies.contextOf(request('127.0.0.1', { 'x-request-id': hostile })).requestId,
        /^req_[A-Za-z0-9_-]{16}$/,
      );
    const req = request('127.0.0.1');
    assert.equal(proxies.contextOf(req).requestId, proxies.contextOf(req).requestId, 'one id per request');
  });

  test('goes back on REST answers and the handshake, and on every line of the session', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const rig = await startRig(
      { server: { trustedProxies: ['127.0.0.1'] } },
      { log: createLogger('info', sink) },
    );
    try {
      const health = await fetch(`${rig.gateway.address!.url}/healthz`, {
        headers: { 'x-request-id': 'rest-1' },
      });
      assert.equal(health.headers.get('x-request-id'), 'rest-1');
      const made = await fetch(`${rig.gateway.address!.url}/healthz`);
      assert.match(made.headers.get('x-request-id') ?? '', /^req_/);
      const client = await connect(`${rig.url}?model=gpt-realtime`, {
        headers: { 'x-request-id': 'sess-req-1', 'x-forwarded-for': '203.0.113.9' },
      });
      await client.waitFor('session.created');
      client.socket.close();
      await client.closed;
      const session = lines.filter((line) => typeof line.sessionId === 'string');
      assert.ok(session.length >= 2, JSON.stringify(lines));
      for (const line of session) {
        assert.equal(line.requestId, 'sess-req-1', JSON.stringify(line));
        assert.equal(line.clientIp, '203.0.113.9');
      }
    } finally {
      await rig.close();
    }
  });
});

describe('server.trustedProxies', () => {
  test('takes addresses and CIDR ranges, and names a bad entry', () => {
    const env = { env: {}, readFile: () => '' };
    assert.ok(resolveConfig({ server: { trustedProxies: ['10.0.0.0/8', '::1', 'fd00::/8'] } }, env).ok);
    const bad = resolveConfig(
      { server: { trustedProxies: ['10.0.0.0/8', 'proxy.local', '10.0.0.0/33'] } },
      env,
    );
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.errors.map((error) => error.field),
      ['server.trustedProxies[1]', 'server.trustedProxies[2]'],
    );
  });
});
