import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { selfSignedCertificate } from '../examples/tls-certificate.js';
import { loadConfig } from '../src/config/load.js';
import { DEFAULT_ROUTING, DEFAULT_UPSTREAM, type UpstreamConfig } from '../src/config/resolve.js';
import { createGateway } from '../src/gateway.js';
import type { Refusal } from '../src/refusal.js';
import {
  admit,
  type CircuitState,
  CLOSED,
  isAvailable,
  onFailure,
  onPeerOpened,
  onSuccess,
  onTrialAbandoned,
} from '../src/routing/circuit.js';
import { type RoutePlan, Router } from '../src/routing/router.js';
import { StoreHolder } from '../src/store/holder.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { unmaskedUpstream, upstreamHeaders, upstreamUrl } from '../src/upstream/connect.js';
import { type Dialled, dialWithFailover } from '../src/upstream/dial.js';
import { connect, delay, eventually, expectRefused, testConfig } from './support/harness.js';
import { startTestUpstream, type TestUpstream } from './support/test-upstream.js';

function upstream(name: string, baseUrl: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    ...DEFAULT_UPSTREAM,
    name,
    baseUrl,
    apiKey: null,
    apiKeyEnv: null,
    ca: null,
    caFile: null,
    ...extra,
  };
}

function isRefusal(value: Dialled | Refusal | RoutePlan): value is Refusal {
  return 'status' in value;
}

const options = { failureThreshold: 2, cooldownMs: 1000 };

describe('circuit breaker state machine', () => {
  it('stays closed below the threshold and a success resets the count', () => {
    let state: CircuitState = onFailure(CLOSED, 0, options);
    assert.deepEqual(state, { kind: 'closed', failures: 1 });
    state = onSuccess(state);
    assert.deepEqual(state, CLOSED);
  });

  it('opens at the threshold and refuses until the cool-down has passed', () => {
    const open = onFailure(onFailure(CLOSED, 0, options), 10, options);
    assert.deepEqual(open, { kind: 'open', until: 1010 });
    assert.equal(admit(open, 500).allowed, false);
    assert.equal(isAvailable(open, 500), false);
    assert.equal(isAvailable(open, 1010), true);
  });

  it('lets exactly one trial through when half-open', () => {
    const open: CircuitState = { kind: 'open', until: 100 };
    const first = admit(open, 100);
    assert.equal(first.allowed, true);
    assert.deepEqual(first.state, { kind: 'half-open', trialInFlight: true });
    assert.equal(admit(first.state, 101).allowed, false);
    assert.equal(isAvailable(first.state, 101), false);
  });

  it('closes on a successful trial and reopens on a failed one', () => {
    const half: CircuitState = { kind: 'half-open', trialInFlight: true };
    assert.deepEqual(onSuccess(half), CLOSED);
    assert.deepEqual(onFailure(half, 200, options), { kind: 'open', until: 1200 });
    assert.deepEqual(onFailure({ kind: 'open', until: 5 }, 300, options), { kind: 'open', until: 1300 });
  });

  it('gives a half-open trial back when it was let through but never attempted', () => {
    const taken: CircuitState = { kind: 'half-open', trialInFlight: true };
    assert.deepEqual(onTrialAbandoned(taken), { kind: 'half-open', trialInFlight: false });
    assert.equal(admit(onTrialAbandoned(taken), 0).allowed, true);
    for (const other of [CLOSED, { kind: 'open', until: 5 } as const, onTrialAbandoned(taken)])
      assert.equal(onTrialAbandoned(other), other);
  });

  it("opens a closed circuit for a cool-down on another node's word, and leaves a judging one alone", () => {
    assert.deepEqual(onPeerOpened({ kind: 'closed', failures: 1 }, 50, options), {
      kind: 'open',
      until: 1050,
    });
    const open: CircuitState = { kind: 'open', until: 70 };
    assert.equal(onPeerOpened(open, 60, options), open);
    const half: CircuitState = { kind: 'half-open', trialInFlight: true };
    assert.equal(onPeerOpened(half, 60, options), half);
  });
});

describe('router', () => {
  const config = (upstreams: UpstreamConfig[], aliases: Record<string, string> = {}) => ({
    upstreams,
    aliases,
    routing: { ...DEFAULT_ROUTING, maxAttempts: 2, failureThreshold: 1, cooldownMs: 1000 },
  });

  it('refuses a model no upstream serves with 404 and rewrites aliases', async () => {
    const router = new Router(
      config([upstream('a', 'http://a', { models: ['gpt-realtime'] })], { fast: 'gpt-realtime' }),
    );
    const missing = await router.plan('gpt-4o');
    assert.ok(isRefusal(missing));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'model_not_found');
    const plan = await router.plan('fast');
    assert.ok(!isRefusal(plan));
    assert.equal(plan.upstreamModel, 'gpt-realtime');
    assert.equal(plan.model, 'fast');
  });

  it('serves a model from its most specific tier only: exact, then longest prefix, then *', async () => {
    const router = new Router(
      config([
        upstream('any', 'http://a', { models: ['*'] }),
        upstream('gpt', 'http://b', { models: ['gpt-*'] }),
        upstream('realtime', 'http://c', { models: ['gpt-realtime*'] }),
        upstream('exact', 'http://d', { models: ['gpt-realtime-mini'] }),
      ]),
    );
    const names = async (model: string) => {
      const plan = await router.plan(model);
      assert.ok(!isRefusal(plan));
      return plan.candidates.map((c) => c.name);
    };
    assert.deepEqual(await names('gpt-realtime-mini'), ['exact']);
    assert.deepEqual(await names('gpt-realtime'), ['realtime']);
    assert.deepEqual(await names('gpt-4o-realtime-preview'), ['gpt']);
    assert.deepEqual(await names('local-model'), ['any']);
  });

  it('ranks by active sessions relative to weight', async () => {
    const router = new Router(
      config([upstream('light', 'http://a', { weight: 1 }), upstream('heavy', 'http://b', { weight: 3 })]),
    );
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const plan = await router.plan('m');
      assert.ok(!isRefusal(plan));
      const name = plan.candidates[0]!.name;
      assert.ok(await router.tryAcquire(name));
      picks.push(name);
    }
    assert.equal(picks.filter((p) => p === 'heavy').length, 6);
    assert.equal(picks.filter((p) => p === 'light').length, 2);
    assert.deepEqual(
      router.status().map((s) => s.active),
      [2, 6],
    );
  });

  it('skips upstreams at capacity or with an open circuit, then answers 503', async () => {
    let now = 0;
    const router = new Router(
      config([upstream('a', 'http://a', { maxSessions: 1 }), upstream('b', 'http://b')]),
      { now: () => now },
    );
    assert.ok(await router.tryAcquire('a'));
    router.reportFailure('b');
    const plan = await router.plan('m');
    assert.ok(isRefusal(plan));
    assert.equal(plan.status, 503);
    now = 1000;
    const retry = await router.plan('m');
    assert.ok(!isRefusal(retry));
    assert.deepEqual(
      retry.candidates.map((c) => c.name),
      ['b'],
    );
  });

  it('an upstream slot abandoned before its dial gives the half-open trial back; one released after does not', async () => {
    let now = 0;
    const router = new Router(config([upstream('a', 'http://a')]), { now: () => now });
    router.reportFailure('a');
    now = 1000;
    const trial = await router.tryAcquire('a');
    assert.ok(trial);
    assert.equal(await router.tryAcquire('a'), null, 'one trial at a time');
    trial.abandon();
    const again = await router.tryAcquire('a');
    assert.ok(again, 'the trial was given back');
    router.reportFailure('a');
    again.abandon();
    assert.equal(router.status()[0]!.circuit, 'open', 'a trial that was attempted is not given back');
    assert.equal(router.status()[0]!.active, 0);
  });

  it("ranks by the deployment's sessions as last counted, moved by its own since, and counts again when the count is old", async () => {
    let now = 0;
    const store = new MemoryStore();
    const node = (id: string, loadRefreshMs: number) =>
      new Router(
        {
          upstreams: [upstream('a', 'http://a'), upstream('b', 'http://b')],
          aliases: {},
          routing: { ...DEFAULT_ROUTING, loadRefreshMs },
        },
        { now: () => now, holder: new StoreHolder(store, { id, ttlMs: 60_000 }) },
      );
    const here = node('here', 500);
    const elsewhere = node('elsewhere', 500);
    const first = async (router: Router) => {
      const plan = await router.plan('m');
      assert.ok(!isRefusal(plan));
      return plan.candidates[0]!.name;
    };
    assert.equal(await first(here), 'a', 'counted at the first plan');
    for (let k = 0; k < 3; k++) assert.ok(await elsewhere.tryAcquire('a'));
    assert.ok(await here.tryAcquire('b'));
    assert.equal(await first(here), 'a', "another node's sessions are not seen before the count is old");
    now = 500;
    assert.equal(await first(here), 'a', 'an old count is used once more while a new one is made');
    await delay(0);
    assert.equal(await first(here), 'b', "the new count has the other node's three");
    const exact = node('exact', 0);
    assert.equal(await first(exact), 'b');
    assert.ok(await elsewhere.tryAcquire('b'));
    assert.ok(await elsewhere.tryAcquire('b'));
    assert.equal(await first(exact), 'a', 'loadRefreshMs 0 counts for every session');
  });

  it("learns another node's open circuit for the same server only, and says where it came from", async () => {
    let now = 0;
    const changes: string[] = [];
    const router = new Router(config([upstream('a', 'http://a'), upstream('b', 'http://b')]), {
      now: () => now,
      onCircuitChange: (name, from, to, cause) => changes.push(`${name} ${from}->${to} ${cause}`),
    });
    router.learnOpened('a', 'http://elsewhere');
    router.learnOpened('nobody', 'http://a');
    router.learnOpened('a', 'http://a');
    assert.deepEqual(changes, ['a closed->open peer']);
    const plan = await router.plan('m');
    assert.ok(!isRefusal(plan));
    assert.deepEqual(
      plan.candidates.map((c) => c.name),
      ['b'],
    );
    now = 1000;
    assert.ok(await router.tryAcquire('a'));
    assert.deepEqual(changes, ['a closed->open peer', 'a open->half-open here']);
  });
});

describe('upstream URLs and headers', () => {
  it('derives the WebSocket URL from the REST base URL', () => {
    const target = { model: 'gpt-realtime', intent: 'conversation' as const, callId: null };
    assert.equal(
      upstreamUrl({ baseUrl: 'https://api.openai.com/v1' }, target),
      'wss://api.openai.com/v1/realtime?model=gpt-realtime',
    );
    assert.equal(
      upstreamUrl({ baseUrl: 'https://r.openai.azure.com/openai/v1' }, { ...target, model: 'my-deployment' }),
      'wss://r.openai.azure.com/openai/v1/realtime?model=my-deployment',
    );
    assert.equal(
      upstreamUrl(
        { baseUrl: 'http://127.0.0.1:9/v1' },
        { model: null, intent: 'transcription', callId: 'rtc_1' },
      ),
      'ws://127.0.0.1:9/v1/realtime?intent=transcription&call_id=rtc_1',
    );
  });

  it('masks frames with random keys only towards a plaintext upstream off loopback', () => {
    for (const url of [
      'wss://api.openai.com/v1/realtime?model=gpt-realtime',
      'wss://10.0.0.7/v1/realtime',
      'ws://127.0.0.1:9/v1/realtime',
      'ws://127.8.0.1:9/v1/realtime',
      'ws://localhost:9/v1/realtime',
      'ws://[::1]:9/v1/realtime',
    ])
      assert.equal(unmaskedUpstream(url), true, url);
    for (const url of [
      'ws://10.0.0.7:8080/v1/realtime',
      'ws://engine.internal/v1/realtime',
      'ws://127.example.com/v1/realtime',
      'ws://[::2]/v1/realtime',
    ])
      assert.equal(unmaskedUpstream(url), false, url);
  });

  it('authenticates by kind, the passthrough key replacing the configured one', () => {
    assert.deepEqual(upstreamHeaders({ kind: 'openai', apiKey: 'sk-1' }, null), {
      authorization: 'Bearer sk-1',
    });
    assert.deepEqual(upstreamHeaders({ kind: 'azure', apiKey: 'az-1' }, null), { 'api-key': 'az-1' });
    assert.deepEqual(upstreamHeaders({ kind: 'generic', apiKey: 'sk-1' }, 'sk-client'), {
      authorization: 'Bearer sk-client',
    });
    assert.deepEqual(upstreamHeaders({ kind: 'generic', apiKey: null }, null), {});
  });
});

describe('dialling with failover over loopback', () => {
  let failing: TestUpstream;
  let healthy: TestUpstream;
  before(async () => {
    failing = await startTestUpstream({ refuse: { status: 502 } });
    healthy = await startTestUpstream();
  });
  after(async () => {
    await failing.close();
    await healthy.close();
  });

  const dialOptions = {
    intent: 'conversation' as const,
    callId: null,
    sendModel: true,
    passthroughKey: null,
  };

  it('moves on from a 5xx to the next upstream and opens the failing circuit', async () => {
    const router = new Router({
      upstreams: [
        upstream('failing', `${failing.httpUrl}/v1`, { apiKey: 'sk-up' }),
        upstream('healthy', `${healthy.httpUrl}/v1`, { apiKey: 'sk-up' }),
      ],
      aliases: { alias: 'gpt-realtime' },
      routing: { ...DEFAULT_ROUTING, maxAttempts: 2, failureThreshold: 1, cooldownMs: 60_000 },
    });
    const plan = await router.plan('alias');
    assert.ok(!isRefusal(plan));
    const dialled = await dialWithFailover(router, plan, dialOptions);
    assert.ok(!isRefusal(dialled));
    assert.equal(dialled.upstream.name, 'healthy');
    const conn = await healthy.nextConnection();
    assert.equal(conn.query.get('model'), 'gpt-realtime');
    assert.equal(conn.request.headers.authorization, 'Bearer sk-up');
    assert.deepEqual(
      router.status().map((s) => [s.name, s.circuit, s.active]),
      [
        ['failing', 'open', 0],
        ['healthy', 'closed', 1],
      ],
    );
    dialled.leg.destroy();
  });

  it('answers 504 when the last attempt timed out', async () => {
    healthy.behaviour.upgradeDelayMs = 2000;
    try {
      const router = new Router({
        upstreams: [upstream('slow', `${healthy.httpUrl}/v1`, { connectTimeoutMs: 100 })],
        aliases: {},
        routing: DEFAULT_ROUTING,
      });
      const plan = await router.plan('m');
      assert.ok(!isRefusal(plan));
      const dialled = await dialWithFailover(router, plan, dialOptions);
      assert.ok(isRefusal(dialled));
      assert.equal(dialled.status, 504);
      assert.equal(dialled.code, 'upstream_timeout');
    } finally {
      healthy.behaviour.upgradeDelayMs = 0;
    }
  });

  it("relays an upstream 4xx with the upstream's error and does not charge its circuit", async () => {
    healthy.behaviour.refuse = {
      status: 429,
      body: {
        error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down.', param: null },
      },
    };
    try {
      const router = new Router({
        upstreams: [upstream('u', `${healthy.httpUrl}/v1`)],
        aliases: {},
        routing: { ...DEFAULT_ROUTING, failureThreshold: 1 },
      });
      const plan = await router.plan('m');
      assert.ok(!isRefusal(plan));
      const dialled = await dialWithFailover(router, plan, dialOptions);
      assert.ok(isRefusal(dialled));
      assert.deepEqual(
        { status: dialled.status, code: dialled.code, type: dialled.type, message: dialled.message },
        { status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error', message: 'Slow down.' },
      );
      assert.equal(router.status()[0]!.circuit, 'closed');
    } finally {
      healthy.behaviour.refuse = undefined;
    }
  });

  it('hides an upstream 401 behind a 503 unless keys pass through', async () => {
    healthy.behaviour.refuse = { status: 401 };
    try {
      const router = new Router({
        upstreams: [upstream('u', `${healthy.httpUrl}/v1`)],
        aliases: {},
        routing: DEFAULT_ROUTING,
      });
      const plan = (await router.plan('m')) as RoutePlan;
      const own = await dialWithFailover(router, plan, dialOptions);
      assert.ok(isRefusal(own));
      assert.equal(own.status, 503);
      const passthrough = await dialWithFailover(router, plan, {
        ...dialOptions,
        passthroughKey: 'sk-client',
      });
      assert.ok(isRefusal(passthrough));
      assert.equal(passthrough.status, 401);
      assert.equal(healthy.requests.at(-1)?.headers.authorization, 'Bearer sk-client');
    } finally {
      healthy.behaviour.refuse = undefined;
    }
  });
});

describe('routing through the gateway', () => {
  it('fails over on a 5xx, opens the circuit, and tries again after the cool-down', async () => {
    const flaky = await startTestUpstream({ refuse: { status: 503 } });
    const steady = await startTestUpstream();
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'flaky', baseUrl: `${flaky.httpUrl}/v1`, weight: 10 },
          { name: 'steady', baseUrl: `${steady.httpUrl}/v1` },
        ],
        routing: { maxAttempts: 2, failureThreshold: 2, cooldownMs: 300 },
      }),
    });
    const { realtimeUrl } = await gateway.listen();
    try {
      const clients = [];
      for (let i = 0; i < 4; i++) {
        const client = await connect(`${realtimeUrl}?model=gpt-realtime`);
        clients.push(client);
        assert.equal(gateway.registry.list().at(-1)?.upstream, 'steady');
      }
      // Two failures opened flaky's circuit; the later sessions did not try it.
      assert.equal(flaky.requests.length, 2);
      assert.equal(gateway.router.status()[0]!.circuit, 'open');
      await delay(350);
      flaky.behaviour.refuse = undefined;
      const trial = await connect(`${realtimeUrl}?model=gpt-realtime`);
      assert.equal(flaky.requests.length, 3);
      assert.equal(gateway.router.status()[0]!.circuit, 'closed');
      for (const client of [...clients, trial]) client.socket.close();
      await Promise.all([...clients, trial].map((c) => c.closed));
    } finally {
      await gateway.close();
      await flaky.close();
      await steady.close();
    }
  });

  it('spreads sessions by weight and counts them back down when they end', async () => {
    const a = await startTestUpstream();
    const b = await startTestUpstream();
    const gateway = createGateway({
      config: testConfig({
        upstreams: [
          { name: 'a', baseUrl: `${a.httpUrl}/v1`, weight: 1 },
          { name: 'b', baseUrl: `${b.httpUrl}/v1`, weight: 2 },
        ],
      }),
    });
    const { realtimeUrl } = await gateway.listen();
    try {
      const clients = [];
      for (let i = 0; i < 6; i++) clients.push(await connect(`${realtimeUrl}?model=m`));
      assert.deepEqual(
        gateway.router.status().map((s) => [s.name, s.active]),
        [
          ['a', 2],
          ['b', 4],
        ],
      );
      assert.equal(a.connections.length, 2);
      assert.equal(b.connections.length, 4);
      for (const client of clients) client.socket.close();
      await Promise.all(clients.map((c) => c.closed));
      await eventually(() => gateway.router.status().every((s) => s.active === 0), 2000, 'slots released');
    } finally {
      await gateway.close();
      await a.close();
      await b.close();
    }
  });
});

describe('upstream over TLS', () => {
  it('trusts an upstream certificate only through the configured extra CA', async () => {
    const { certFile, keyFile } = await selfSignedCertificate();
    const server = createHttpsServer({
      key: readFileSync(keyFile),
      cert: readFileSync(certFile),
    });
    const wss = new WebSocketServer({ server });
    const seen: string[] = [];
    wss.on('connection', (ws, req) => {
      seen.push(req.url ?? '');
      ws.send(
        JSON.stringify({
          type: 'session.created',
          event_id: 'event_tls',
          session: { type: 'realtime', id: 'sess_tls', object: 'realtime.session' },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const start = async (caFile?: string) => {
      const result = loadConfig({
        overrides: [
          { path: ['server', 'port'], value: 0, source: 'test' },
          {
            path: ['upstreams'],
            value: [{ name: 'tls', baseUrl, ...(caFile ? { caFile } : {}) }],
            source: 'test',
          },
        ],
      });
      assert.ok(result.ok, JSON.stringify(result));
      const gateway = createGateway({ config: result.config });
      return { gateway, url: (await gateway.listen()).realtimeUrl };
    };
    const untrusted = await start();
    const trusted = await start(certFile);
    try {
      const refused = await expectRefused(`${untrusted.url}?model=m`);
      assert.equal(refused.status, 503);
      assert.equal(seen.length, 0);
      const client = await connect(`${trusted.url}?model=m`);
      assert.equal((await client.next()).event_id, 'event_tls');
      assert.deepEqual(seen, ['/v1/realtime?model=m']);
      client.socket.close();
      await client.closed;
    } finally {
      await untrusted.gateway.close();
      await trusted.gateway.close();
      for (const ws of wss.clients) ws.terminate();
      server.close();
    }
  });
});
