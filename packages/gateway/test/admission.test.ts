/**
 * Connection admission and request timeouts at the gateway's edge, over real sockets: caps on
 * open sockets (in total and per client address, two loopback addresses playing two clients),
 * slow clients cut off, pending upgrades bounded, and the counters back at zero afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { selfSignedCertificate } from '../examples/tls-certificate.js';
import { DEFAULT_LIMITS, resolveConfig } from '../src/config/resolve.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { Refusal } from '../src/refusal.js';
import {
  connect,
  eventually,
  expectRefused,
  keyEntry,
  startRig,
  TestClient,
  testConfig,
} from './support/harness.js';
import { plainRequest, RawSocket, rawRequest } from './support/raw-http.js';
import { startTestUpstream } from './support/test-upstream.js';

const MODEL = 'gpt-realtime';

function errorOf(body: string): { message: string; type: string; param: string | null; code: string } {
  const parsed = JSON.parse(body) as { error: { message: string; type: string; param: null; code: string } };
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message', 'param', 'type']);
  return parsed.error;
}

/** `promise`, or a failure naming `what` if it takes longer than a generous bound. */
async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the gateway counts no open socket and no address. */
async function drained(gateway: Gateway): Promise<void> {
  await eventually(
    () => gateway.connections.open === 0 && gateway.connections.addresses === 0,
    5000,
    'the connection counters to return to zero',
  );
}

/** Opens a WebSocket session from a chosen loopback address. */
function connectFrom(url: string, localAddress: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const client = new TestClient(new WebSocket(url, { localAddress }));
    client.socket.once('open', () => resolve(client));
    client.socket.once('error', reject);
  });
}

describe('connection caps', () => {
  it('answers a socket over limits.maxConnections with 503 at once, without waiting for its request, and leaves sessions running', async () => {
    const refused: Refusal[] = [];
    const rig = await startRig(
      { limits: { maxConnections: 3, maxConnectionsPerAddress: 3 } },
      { onRefused: (r) => refused.push(r) },
    );
    const port = rig.gateway.address!.port;
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await client.waitFor('session.created');
      const idle = [await RawSocket.open(port), await RawSocket.open(port)];
      await eventually(() => rig.gateway.connections.open === 3, 5000, 'three open sockets');

      // It sends nothing: the answer comes without the gateway reading a request.
      const over = await RawSocket.open(port);
      const answer = await within(over.closed, 'the refusal and close');
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['content-type'], 'application/json');
      const error = errorOf(answer.body);
      assert.equal(error.code, 'too_many_connections');
      assert.equal(error.type, 'server_error');

      const ws = await expectRefused(`${rig.url}?model=${MODEL}`);
      assert.equal(ws.status, 503);
      assert.equal(ws.json.error.code, 'too_many_connections');
      assert.deepEqual(
        refused.map((r) => [r.status, r.code]),
        [
          [503, 'too_many_connections'],
          [503, 'too_many_connections'],
        ],
      );

      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      assert.equal(rig.gateway.registry.size, 1);
      assert.equal(rig.upstream.connections.length, 1);

      await idle[0]!.close();
      await eventually(() => rig.gateway.connections.open === 2, 5000, 'a freed socket');
      const health = await rawRequest(port, plainRequest('/healthz'));
      assert.equal(health.status, 200, 'a freed socket is available again');

      await idle[1]!.close();
      client.socket.close();
      await client.closed;
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });

  it('answers a socket over limits.maxConnectionsPerAddress with 429 while another address still gets in', async () => {
    const refused: Refusal[] = [];
    const rig = await startRig(
      { limits: { maxConnections: 10, maxConnectionsPerAddress: 2 } },
      { onRefused: (r) => refused.push(r) },
    );
    const port = rig.gateway.address!.port;
    try {
      const first = await connectFrom(`${rig.url}?model=${MODEL}`, '127.0.0.1');
      await first.waitFor('session.created');
      const idle = await RawSocket.open(port, { localAddress: '127.0.0.1' });
      await eventually(() => rig.gateway.connections.openFrom('127.0.0.1') === 2, 5000, 'two sockets');

      const over = await rawRequest(port, plainRequest('/healthz'), { localAddress: '127.0.0.1' });
      assert.equal(over.status, 429);
      const error = errorOf(over.body);
      assert.equal(error.code, 'too_many_connections_from_address');
      assert.equal(error.type, 'rate_limit_error');
      assert.deepEqual(
        refused.map((r) => [r.status, r.code]),
        [[429, 'too_many_connections_from_address']],
      );

      const other = await connectFrom(`${rig.url}?model=${MODEL}`, '127.0.0.2');
      await other.waitFor('session.created');
      assert.equal(rig.gateway.connections.openFrom('127.0.0.2'), 1);
      assert.equal(rig.gateway.connections.addresses, 2);

      first.send({ type: 'response.create' });
      await first.waitFor('response.done');

      await idle.close();
      for (const client of [first, other]) {
        client.socket.close();
        await client.closed;
      }
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });

  it('counts every socket out when it closes: after many refused, reset and closed sockets the counters are zero', async () => {
    const rig = await startRig({ limits: { maxConnections: 6, maxConnectionsPerAddress: 3 } });
    const port = rig.gateway.address!.port;
    const { connections } = rig.gateway;
    try {
      const held = [];
      for (let k = 0; k < 3; k++) held.push(await RawSocket.open(port, { localAddress: '127.0.0.1' }));
      await eventually(() => connections.openFrom('127.0.0.1') === 3, 5000, 'three held sockets');
      let refusedCount = 0;
      for (let k = 0; k < 30; k++) {
        const refused = await rawRequest(port, plainRequest('/healthz'), { localAddress: '127.0.0.1' });
        if (refused.status === 429) refusedCount++;
        // Admitted from other addresses: answered and closed by the server, or reset by the client.
        const from = `127.0.0.${2 + (k % 3)}`;
        const admitted = await rawRequest(port, plainRequest('/healthz'), { localAddress: from });
        assert.equal(admitted.status, 200);
        const reset = await RawSocket.open(port, { localAddress: from });
        reset.send('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        await reset.close();
        assert.ok(connections.open <= 6, `${connections.open} open sockets`);
      }
      assert.equal(refusedCount, 30);
      for (const socket of held) await socket.close();
      await drained(rig.gateway);
      assert.equal(connections.openFrom('127.0.0.1'), 0);
    } finally {
      await rig.close();
    }
  });

  it('counts sessions as open sockets under the default caps, and counts them out when they end', async () => {
    const rig = await startRig();
    try {
      const clients = await Promise.all(
        Array.from({ length: 5 }, () => connect(`${rig.url}?model=${MODEL}`)),
      );
      assert.equal(rig.gateway.connections.open, 5);
      for (const client of clients) {
        client.socket.close();
        await client.closed;
      }
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });
});

/** Opens a TLS socket, sends `text`, and resolves with everything received once it closes. */
function tlsExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () =>
      socket.write(text),
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

describe('connection caps over TLS', () => {
  it('closes a TLS socket over the cap without an answer, and counts the admitted one out', async () => {
    const { certFile, keyFile } = await selfSignedCertificate();
    const refused: Refusal[] = [];
    const rig = await startRig(
      {
        server: { host: '127.0.0.1', port: 0, tls: { certFile, keyFile } },
        limits: { maxConnections: 1, headersTimeoutMs: 300, requestTimeoutMs: 600 },
      },
      { onRefused: (r) => refused.push(r) },
    );
    const port = rig.gateway.address!.port;
    try {
      const held = tlsExchange(port, 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\n');
      await eventually(() => rig.gateway.connections.open === 1, 5000, 'the held TLS socket');
      const over = await within(
        tlsExchange(port, plainRequest('/healthz')),
        'the close of the refused socket',
      );
      assert.equal(over, '', 'a TLS client cannot read a plaintext answer, so none is sent');
      // The held socket never finishes its headers: it gets its 408 over TLS.
      const answer = await within(held, 'the 408 of the held socket');
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"code":"request_timeout"/);
      assert.deepEqual(
        refused.map((r) => [r.status, r.code]),
        [
          [503, 'too_many_connections'],
          [408, 'request_timeout'],
        ],
      );
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });
});

describe('slow clients', () => {
  it('closes a client that sends half its headers after limits.headersTimeoutMs, with 408', async () => {
    const refused: Refusal[] = [];
    const rig = await startRig(
      { limits: { headersTimeoutMs: 300, requestTimeoutMs: 1000 } },
      { onRefused: (r) => refused.push(r) },
    );
    try {
      const slow = await RawSocket.open(rig.gateway.address!.port);
      slow.send(`GET /v1/realtime?model=${MODEL} HTTP/1.1\r\nHost: gateway.test\r\nUpgrade: websocket\r\n`);
      const answer = await within(slow.closed, 'the close of a client with half its headers');
      assert.equal(answer.status, 408);
      assert.equal(errorOf(answer.body).code, 'request_timeout');
      assert.deepEqual(
        refused.map((r) => [r.status, r.code]),
        [[408, 'request_timeout']],
      );
      assert.equal(rig.upstream.requests.length, 0);
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });

  it('closes a client whose request body does not arrive within limits.requestTimeoutMs, with 408', async () => {
    const rig = await startRig({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    try {
      const slow = await RawSocket.open(rig.gateway.address!.port);
      slow.send(
        'POST /v1/realtime/sessions HTTP/1.1\r\nHost: gateway.test\r\ncontent-type: application/json\r\n' +
          'content-length: 100\r\n\r\n{"model":',
      );
      const answer = await within(slow.closed, 'the close of a client with half its body');
      assert.equal(answer.status, 408);
      assert.equal(errorOf(answer.body).code, 'request_timeout');
      assert.equal(rig.upstream.requests.length, 0);
      await drained(rig.gateway);
    } finally {
      await rig.close();
    }
  });

  it('answers an upgrade still pending after limits.upgradeTimeoutMs with 504 and frees everything', async () => {
    const slowA = await startTestUpstream({ upgradeDelayMs: 5000 });
    const slowB = await startTestUpstream({ upgradeDelayMs: 5000 });
    const refused: Refusal[] = [];
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'a', baseUrl: `${slowA.httpUrl}/v1`, connectTimeoutMs: 400 },
          { name: 'b', baseUrl: `${slowB.httpUrl}/v1`, connectTimeoutMs: 400 },
        ],
        routing: { maxAttempts: 2 },
        limits: { upgradeTimeoutMs: 500 },
      }),
      onRefused: (r) => refused.push(r),
    });
    const { realtimeUrl } = await gateway.listen();
    try {
      const pending = await within(expectRefused(`${realtimeUrl}?model=${MODEL}`), 'the refusal');
      assert.equal(pending.status, 504);
      assert.equal(pending.json.error.code, 'upgrade_timeout');
      assert.equal(pending.json.error.type, 'server_error');
      // The failover finishing later must not answer (or count) the client a second time.
      await eventually(() => slowA.requests.length + slowB.requests.length === 2, 5000, 'both attempts');
      await eventually(() => gateway.router.status().every((u) => u.active === 0), 5000, 'no upstream held');
      assert.deepEqual(
        refused.map((r) => r.code),
        ['upgrade_timeout'],
      );
      assert.equal(gateway.registry.size, 0);
      await drained(gateway);
    } finally {
      await gateway.close();
      await slowA.close();
      await slowB.close();
    }
  });
  it('a client secret whose upgrade timed out is given back: the next attempt is let in again', async () => {
    const slow = await startTestUpstream({ upgradeDelayMs: 5000 });
    // Two attempts of 250 ms each: the upgrade's 300 ms run out during the second.
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'a', baseUrl: `${slow.httpUrl}/v1`, connectTimeoutMs: 250 },
          { name: 'b', baseUrl: `${slow.httpUrl}/v1`, connectTimeoutMs: 250 },
        ],
        routing: { maxAttempts: 2 },
        auth: { keys: [keyEntry('app', 'sk-app')] },
        limits: { upgradeTimeoutMs: 300 },
      }),
    });
    const { realtimeUrl, url } = await gateway.listen();
    try {
      const minted = await fetch(`${url}/v1/realtime/client_secrets`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-app', 'content-type': 'application/json' },
        body: '{}',
      });
      const { value } = (await minted.json()) as { value: string };
      const withSecret = { headers: { authorization: `Bearer ${value}` } };
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await expectRefused(realtimeUrl, withSecret);
        // A secret lost to the first timeout would make the second attempt a 401.
        assert.equal(refused.status, 504, `attempt ${attempt}: ${JSON.stringify(refused.json)}`);
        await eventually(() => slow.requests.length === 2 * (attempt + 1), 5000, 'the dial');
        await eventually(() => gateway.router.status().every((u) => u.active === 0), 5000, 'the dial to end');
      }
    } finally {
      await gateway.close();
      await slow.close();
    }
  });
});

describe('edge limits in the configuration', () => {
  const resolve = (limits: Record<string, unknown>, upstreams: unknown[] = []) =>
    resolveConfig({ limits, upstreams }, { env: {}, readFile: () => '' });

  it('have defaults', () => {
    const result = resolve({});
    assert.ok(result.ok);
    const { limits } = result.config;
    assert.deepEqual(
      [
        limits.maxConnections,
        limits.maxConnectionsPerAddress,
        limits.headersTimeoutMs,
        limits.requestTimeoutMs,
        limits.upgradeTimeoutMs,
      ],
      [20_000, 1000, 10_000, 30_000, 60_000],
    );
  });

  it('lower the per-address default with a smaller total, and refuse an explicit one above it', () => {
    const lowered = resolve({ maxConnections: 50 });
    assert.ok(lowered.ok);
    assert.equal(lowered.config.limits.maxConnectionsPerAddress, 50);
    const above = resolve({ maxConnections: 50, maxConnectionsPerAddress: 60 });
    assert.ok(!above.ok);
    assert.equal(above.errors[0]!.field, 'limits.maxConnectionsPerAddress');
  });

  it('are checked: positive integers, headers within the request timeout, upgrades longer than a connect', () => {
    const zero = resolve({ maxConnections: 0 });
    assert.ok(!zero.ok);
    assert.equal(zero.errors[0]!.field, 'limits.maxConnections');
    const headers = resolve({ headersTimeoutMs: 5000, requestTimeoutMs: 4000 });
    assert.ok(!headers.ok);
    assert.equal(headers.errors[0]!.field, 'limits.headersTimeoutMs');
    const upgrade = resolve({ upgradeTimeoutMs: 5000 }, [
      { name: 'far', baseUrl: 'https://far.example/v1', connectTimeoutMs: 8000 },
    ]);
    assert.ok(!upgrade.ok);
    assert.equal(upgrade.errors[0]!.field, 'limits.upgradeTimeoutMs');
    assert.match(upgrade.errors[0]!.message, /far/);
  });

  it('are in the README configuration table with their defaults, as every limit is', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const limits: Record<string, unknown> = { ...DEFAULT_LIMITS };
    const edge = [
      'maxConnections',
      'maxConnectionsPerAddress',
      'headersTimeoutMs',
      'requestTimeoutMs',
      'upgradeTimeoutMs',
    ];
    for (const name of new Set([...edge, ...Object.keys(limits)])) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`limits.${name}\``));
      assert.ok(row, `limits.${name} is documented`);
      assert.ok(row.includes(`\`${limits[name]}\``), `limits.${name} shows its default ${limits[name]}`);
    }
  });
});
