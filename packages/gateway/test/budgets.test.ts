/**
 * Budgets per key inside running gateways, against real components: the reference engine as
 * the upstream, a SQLite ledger in a temporary directory, WebSocket clients. A live session is
 * warned past the warning share and ended once the budget is spent; new sessions are refused
 * with OpenAI's `insufficient_quota`; a restarted gateway reads the spend back and refuses too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import type { ResponseUsage } from '@realtime-gateway/protocol';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { tokensOfResponse } from '../src/ledger/tokens.js';
import { costOf } from '../src/pricing/cost.js';
import { BUILT_IN_PRICES } from '../src/pricing/prices.js';
import { connect, expectRefused, keyEntry, type TestClient, testConfig } from './support/harness.js';

const MODEL = 'gpt-realtime';
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

let engine: RunningEngine;
let dir: string;

before(async () => {
  engine = await startEngine({});
  dir = mkdtempSync(join(tmpdir(), 'rg-budgets-'));
});

after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gatewayWith(keys: GatewayConfigInput['auth'], ledgerFile: string): Promise<Gateway> {
  const gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
      auth: keys,
      ledger: { sqlite: { path: join(dir, ledgerFile) }, flushIntervalMs: 20 },
    }),
  });
  await gateway.listen();
  return gateway;
}

async function open(gateway: Gateway, key: string): Promise<TestClient> {
  const client = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`, bearer(key));
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await client.waitFor('session.updated');
  return client;
}

/** One text turn; the answer's `response.done` usage. */
async function turn(client: TestClient, text = 'Tell me about the weather today.'): Promise<ResponseUsage> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  client.send({ type: 'response.create' });
  const done = await client.waitFor('response.done');
  return (done.response as { usage: ResponseUsage }).usage;
}

/** The events after the last `response.done`, until the socket closes or `quietMs` pass. */
async function after_(client: TestClient, quietMs = 1000): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for (;;) {
    const next = await Promise.race([
      client.next().catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), quietMs)),
    ]);
    if (next === null) return events;
    events.push(next);
  }
}

describe('a key with a budget', () => {
  test('is warned once past the share, ended when spent, and refused new sessions', async () => {
    // One turn's tokens, measured on a key without a budget (the engine's usage is deterministic).
    const probe = await gatewayWith({ keys: [keyEntry('probe', 'rg-probe')] }, 'probe.sqlite');
    const probeClient = await open(probe, 'rg-probe');
    const oneTurn = (await turn(probeClient)).total_tokens!;
    probeClient.socket.close();
    await probe.close();

    const budget = { tokens: Math.floor(oneTurn * 1.6), period: 'day' as const, warnAt: 0.5 };
    const gateway = await gatewayWith(
      { keys: [keyEntry('capped', 'rg-capped', { budget }), keyEntry('free', 'rg-free')] },
      'tokens.sqlite',
    );
    try {
      const client = await open(gateway, 'rg-capped');
      const bystander = await open(gateway, 'rg-free');
      await turn(client);
      const warned = (await after_(client)).filter((e) => e.type === 'error');
      assert.equal(warned.length, 1, JSON.stringify(warned));
      const warning = warned[0]!.error as { code: string; message: string };
      assert.equal(warning.code, 'budget_warning');
      assert.match(warning.message, /'capped' has spent 50% or more of today's budget/);

      await turn(client);
      const ending = await after_(client);
      const exhausted = ending.find((e) => e.type === 'error')?.error as
        | { code: string; type: string }
        | undefined;
      assert.equal(exhausted?.code, 'insufficient_quota');
      assert.equal(exhausted?.type, 'insufficient_quota');
      assert.deepEqual(await client.closed, { code: 1008, reason: 'budget spent' });
      assert.equal(
        ending.filter((e) => e.type === 'error' && (e.error as { code: string }).code === 'budget_warning')
          .length,
        0,
        'the warning is given once',
      );

      const refused = await expectRefused(
        `${gateway.address!.realtimeUrl}?model=${MODEL}`,
        bearer('rg-capped'),
      );
      assert.equal(refused.status, 429);
      const body = JSON.parse(refused.body) as { error: { code: string; type: string; message: string } };
      assert.equal(body.error.code, 'insufficient_quota');
      assert.equal(body.error.type, 'insufficient_quota');
      assert.match(body.error.message, /tokens/);

      // Another key's session is untouched.
      await turn(bystander);
      assert.equal(bystander.socket.readyState, bystander.socket.OPEN);
      bystander.socket.close();
    } finally {
      await gateway.close();
    }
  });

  test('a dollar budget survives a restart: the spend is read back from the ledger', async () => {
    const price = BUILT_IN_PRICES[MODEL]!;
    let gateway = await gatewayWith({ keys: [keyEntry('probe', 'rg-probe')] }, 'probe-usd.sqlite');
    const probeClient = await open(gateway, 'rg-probe');
    const oneTurnUsd = costOf(tokensOfResponse(await turn(probeClient)), price);
    probeClient.socket.close();
    await gateway.close();
    assert.ok(oneTurnUsd > 0);

    const keys = {
      keys: [
        keyEntry('capped', 'rg-capped', { budget: { usd: oneTurnUsd * 0.9, period: 'month' as const } }),
      ],
    };
    gateway = await gatewayWith(keys, 'usd.sqlite');
    const client = await open(gateway, 'rg-capped');
    await turn(client);
    assert.deepEqual(await client.closed, { code: 1008, reason: 'budget spent' });
    await gateway.close();

    // A new gateway on the same ledger, with a fresh store: the spend is still there.
    gateway = await gatewayWith(keys, 'usd.sqlite');
    try {
      const refused = await expectRefused(
        `${gateway.address!.realtimeUrl}?model=${MODEL}`,
        bearer('rg-capped'),
      );
      assert.equal(refused.status, 429);
      assert.match(
        JSON.parse(refused.body).error.message,
        /this month's budget \(\$\d+\.\d\d of \$\d+\.\d\d\)/,
      );
    } finally {
      await gateway.close();
    }
  });

  test('needs the ledger: a budget with the ledger off is a configuration error', () => {
    assert.throws(
      () =>
        testConfig({
          auth: { keys: [keyEntry('a', 'rg-a', { budget: { usd: 1, period: 'day' as const } })] },
          ledger: { enabled: false },
        }),
      /auth\.keys\[0\]\.budget: Budgets are counted from the usage ledger/,
    );
    assert.throws(
      () =>
        testConfig({
          auth: { keys: [keyEntry('a', 'rg-a', { budget: { period: 'day' as const } })] },
          ledger: { sqlite: { path: join(dir, 'x.sqlite') } },
        }),
      /needs usd, tokens or both/,
    );
  });
});
