/**
 * The WebSocket handshake is judged before any upstream work: a malformed handshake, or a
 * browser offering its key subprotocol without `realtime`, is refused with an OpenAI-shaped 400
 * while the upstream sees nothing and no rate-limit token is spent. Over real sockets, with
 * hand-written upgrade requests where a client library would not send them.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocketServer } from 'ws';
import { checkHandshake } from '../src/http/handshake.js';
import { connect, expectRefused, keyEntry, type Rig, startRig } from './support/harness.js';
import { errorOf, RawSocket, rawRequest, upgradeRequest, VALID_KEY } from './support/raw-http.js';

const KEY = 'rg-edge-key';
const TARGET = '/v1/realtime?model=gpt-realtime';
const BEARER = { authorization: `Bearer ${KEY}` };

describe('a malformed handshake is refused before any upstream work', () => {
  let rig: Rig;
  let port: number;
  before(async () => {
    // One new session a minute: a token spent on a refused handshake would starve the next one.
    rig = await startRig({
      auth: { keys: [keyEntry('edge', KEY, { sessionsPerMinute: 1 })] },
    });
    port = rig.gateway.address!.port;
  });
  after(() => rig.close());

  const cases: { name: string; request: string; status: number; code: string }[] = [
    {
      name: 'an invalid Sec-WebSocket-Key',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-key': 'x' }),
      status: 400,
      code: 'invalid_websocket_key',
    },
    {
      name: 'a key that is not 16 bytes',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAAAA' }),
      status: 400,
      code: 'invalid_websocket_key',
    },
    {
      name: 'no Sec-WebSocket-Key',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-key': null }),
      status: 400,
      code: 'invalid_websocket_key',
    },
    {
      name: 'version 8',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-version': '8' }),
      status: 400,
      code: 'unsupported_websocket_version',
    },
    {
      name: 'no version',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-version': null }),
      status: 400,
      code: 'unsupported_websocket_version',
    },
    {
      name: 'an empty item in the subprotocol list',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-protocol': 'realtime,,other' }),
      status: 400,
      code: 'invalid_subprotocol',
    },
    {
      name: 'a duplicated subprotocol',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-protocol': 'realtime, realtime' }),
      status: 400,
      code: 'invalid_subprotocol',
    },
    {
      name: 'a subprotocol that is not a token',
      request: upgradeRequest(TARGET, { ...BEARER, 'sec-websocket-protocol': 'realtime, a/b' }),
      status: 400,
      code: 'invalid_subprotocol',
    },
    {
      name: 'an upgrade that is not GET',
      request: upgradeRequest(TARGET, BEARER, 'POST'),
      status: 405,
      code: 'method_not_allowed',
    },
  ];

  for (const { name, request, status, code } of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const answer = await rawRequest(port, request);
      assert.equal(answer.status, status);
      assert.equal(answer.headers['content-type'], 'application/json');
      const error = errorOf(answer.body);
      assert.equal(error.code, code);
      assert.equal(error.type, 'invalid_request_error');
      if (code === 'unsupported_websocket_version')
        assert.equal(answer.headers['sec-websocket-version'], '13');
      if (code === 'method_not_allowed') assert.equal(answer.headers.allow, 'GET');
      assert.equal(rig.upstream.requests.length, 0, 'the upstream saw nothing');
      assert.equal(rig.gateway.registry.size, 0);
    });
  }

  it('spends no rate-limit token on them: the next valid handshake opens, the one after is limited', async () => {
    for (const { request } of cases) await rawRequest(port, request);
    const client = await connect(`${rig.url}?model=gpt-realtime`, { headers: BEARER });
    await client.waitFor('session.created');
    assert.equal(rig.upstream.connections.length, 1);
    const limited = await expectRefused(`${rig.url}?model=gpt-realtime`, { headers: BEARER });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'rate_limit_exceeded');
    client.socket.close();
    await client.closed;
  });
});

describe('a browser must offer realtime with its key subprotocol', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ auth: { keys: [keyEntry('browser', KEY)] } });
  });
  after(() => rig.close());

  it('is refused with 400 saying what to offer when it offers only the key', async () => {
    const refused = await expectRefused(`${rig.url}?model=gpt-realtime`, {
      protocols: [`openai-insecure-api-key.${KEY}`],
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.contentType, 'application/json');
    const { error } = refused.json;
    assert.equal(error.code, 'missing_realtime_subprotocol');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /Offer 'realtime' alongside the key subprotocol/);
    assert.ok(!error.message.includes(KEY), 'the key is not echoed');
    assert.equal(rig.upstream.requests.length, 0, 'the upstream saw nothing');
    const client = await connect(`${rig.url}?model=gpt-realtime`, {
      protocols: ['realtime', `openai-insecure-api-key.${KEY}`],
    });
    assert.equal(client.socket.protocol, 'realtime', 'offered with the key, realtime is answered');
    client.socket.close();
    await client.closed;
  });

  it('is refused the same way when it offers only unrelated subprotocols', async () => {
    const seen = rig.upstream.requests.length;
    const refused = await expectRefused(`${rig.url}?model=gpt-realtime`, {
      protocols: ['chat'],
      headers: BEARER,
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.code, 'missing_realtime_subprotocol');
    assert.equal(rig.upstream.requests.length, seen, 'the upstream saw nothing more');
  });
});

describe('the gateway accepts no handshake that ws would refuse', () => {
  /** A server that checks the handshake as the gateway does, then lets ws complete it. */
  let port: number;
  let server: ReturnType<typeof createServer>;
  before(async () => {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
    });
    server = createServer();
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (checkHandshake(req) !== null) {
        socket.end('HTTP/1.1 418 Gateway Refused\r\nconnection: close\r\n\r\n');
        return;
      }
      // ws answers a handshake it refuses itself, with a 4xx; one it completes gets a 101.
      wss.handleUpgrade(req, socket, head, (ws) => ws.terminate());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('every handshake that passes the gateway is completed by ws', async () => {
    const key = fc.constantFrom(VALID_KEY, 'x', 'AAAAAAAAAAAAAAAAAAAAAA==', 'AAAAAAAAAAAAAAAAAAAAAA=', '');
    const version = fc.constantFrom('13', ' 13', '8', '13, 8', '0x0d', '', '14');
    const name = fc.constantFrom('realtime', 'openai-insecure-api-key.rg-1', 'chat', 'a/b', '', ' ');
    const protocols = fc.option(
      fc
        .array(name, { maxLength: 3 })
        .chain((names) =>
          fc.constantFrom(names.join(','), names.join(', '), names.join(' ,'), `${names.join(',')},`),
        ),
    );
    const upgrade = fc.constantFrom('websocket', 'WebSocket', 'h2c');
    await fc.assert(
      fc.asyncProperty(key, version, protocols, upgrade, async (k, v, p, u) => {
        const answer = await rawRequest(
          port,
          upgradeRequest('/v1/realtime', {
            upgrade: u,
            'sec-websocket-key': k,
            'sec-websocket-version': v,
            'sec-websocket-protocol': p,
          }),
        );
        // Either the gateway refuses, or ws completes: never a refusal from ws after the gateway's yes.
        assert.ok(answer.status === 418 || answer.status === 101, `got ${answer.status}`);
      }),
      { numRuns: 150 },
    );
  });

  it('completes a plain valid handshake (the property is not vacuous)', async () => {
    const raw = await RawSocket.open(port);
    raw.send(upgradeRequest('/v1/realtime', { 'sec-websocket-protocol': 'realtime' }));
    const answer = await raw.closed;
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['sec-websocket-protocol'], 'realtime');
  });
});
