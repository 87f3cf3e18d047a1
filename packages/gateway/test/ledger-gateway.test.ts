/**
 * The usage ledger inside a running gateway, against real components: the reference engine as
 * the upstream (its usage varies with what each response says and how much audio was sent), a
 * SQLite ledger file in a temporary directory, WebSocket clients, and the admin and metrics
 * endpoints over HTTP. What the clients saw in `response.done` and transcription usage is added
 * up independently of the ledger and compared with what `/admin/usage` answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import type { ResponseUsage, TranscriptionUsage } from '@realtime-gateway/protocol';
import { hashKey } from '../src/auth/credentials.js';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import {
  addTokens,
  NO_TOKENS,
  type TokenCounts,
  tokensOfResponse,
  tokensOfTranscription,
} from '../src/ledger/tokens.js';
import { costOf } from '../src/pricing/cost.js';
import { BUILT_IN_PRICES } from '../src/pricing/prices.js';
import { spokenTurn } from './support/audio.js';
import { connect, eventually, keyEntry, type TestClient, testConfig } from './support/harness.js';

const ADMIN_KEY = 'rg-admin-secret';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/** What the clients saw, by key and model, added up by the test. */
class Seen {
  readonly byKey = new Map<string, { tokens: TokenCounts; usd: number }>();
  readonly byModel = new Map<string, { tokens: TokenCounts; usd: number }>();
  readonly byKeyAndModel = new Map<string, { tokens: TokenCounts; usd: number }>();

  add(key: string, model: string, tokens: TokenCounts, usd: number): void {
    for (const [map, name] of [
      [this.byKey, key],
      [this.byModel, model],
      [this.byKeyAndModel, `${key} ${model}`],
    ] as const) {
      const entry = map.get(name) ?? { tokens: NO_TOKENS, usd: 0 };
      map.set(name, { tokens: addTokens(entry.tokens, tokens), usd: entry.usd + usd });
    }
  }

  total(): { tokens: TokenCounts; usd: number } {
    let tokens = NO_TOKENS;
    let usd = 0;
    for (const entry of this.byKey.values()) {
      tokens = addTokens(tokens, entry.tokens);
      usd += entry.usd;
    }
    return { tokens, usd };
  }
}

/** 200 ms of 24 kHz PCM16 silence with a tone, as base64. */
const AUDIO = Buffer.alloc(9600, 0x10).toString('base64');

/**
 * One session: `responses` responses to text, each after a committed audio turn that is
 * transcribed with whisper-1; every usage the client sees is added to `seen`.
 */
async function runSession(
  url: string,
  key: string,
  keyId: string,
  responses: number,
  seen: Seen,
): Promise<void> {
  const client = await connect(`${url}?model=gpt-realtime`, { headers: { authorization: `Bearer ${key}` } });
  await client.waitFor('session.created');
  client.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['text'],
      audio: { input: { turn_detection: null, transcription: { model: 'whisper-1' } } },
    },
  });
  await client.waitFor('session.updated');
  for (let i = 0; i < responses; i++) {
    client.send({ type: 'input_audio_buffer.append', audio: AUDIO });
    client.send({ type: 'input_audio_buffer.commit' });
    const transcribed = await client.waitFor('conversation.item.input_audio_transcription.completed');
    const tUsage = transcribed.usage as TranscriptionUsage;
    const tTokens = tokensOfTranscription(tUsage);
    seen.add(keyId, 'whisper-1', tTokens, costOf(tTokens, BUILT_IN_PRICES['whisper-1']!));
    client.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `question ${i} ${'word '.repeat(i * 7)}` }],
      },
    });
    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done');
    const usage = (done.response as { usage: ResponseUsage }).usage;
    const tokens = tokensOfResponse(usage);
    seen.add(keyId, 'gpt-realtime', tokens, costOf(tokens, BUILT_IN_PRICES['gpt-realtime']!));
  }
  client.socket.close();
  await client.closed;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read the answers' fields as they go
type Json = any;

async function getJson(
  url: string,
  headers: Record<string, string> = admin,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const TOKEN_FIELDS: readonly [string, keyof TokenCounts][] = [
  ['input_text_tokens', 'inputText'],
  ['input_audio_tokens', 'inputAudio'],
  ['input_image_tokens', 'inputImage'],
  ['cached_text_tokens', 'cachedText'],
  ['cached_audio_tokens', 'cachedAudio'],
  ['cached_image_tokens', 'cachedImage'],
  ['output_text_tokens', 'outputText'],
  ['output_audio_tokens', 'outputAudio'],
  ['total_tokens', 'totalTokens'],
];

function assertTotals(
  row: Record<string, number>,
  expected: { tokens: TokenCounts; usd: number },
  what: string,
) {
  for (const [field, kind] of TOKEN_FIELDS)
    assert.equal(row[field], expected.tokens[kind], `${what}: ${field}`);
  assert.ok(Math.abs(row.audio_seconds! - expected.tokens.audioSeconds) < 1e-9, `${what}: audio_seconds`);
  assert.ok(
    Math.abs(row.cost_usd! - expected.usd) < 1e-12,
    `${what}: cost_usd ${row.cost_usd} vs ${expected.usd}`,
  );
}

describe('the usage ledger in a gateway', () => {
  let engine: RunningEngine;
  let dir: string;
  let gateway: Gateway;
  let base: string;
  let url: string;
  const seen = new Seen();
  let input: GatewayConfigInput;

  before(async () => {
    engine = await startEngine({});
    dir = mkdtempSync(join(tmpdir(), 'rg-ledger-'));
    input = {
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
      auth: { keys: [keyEntry('team-a', 'rg-a'), keyEntry('team-b', 'rg-b'), keyEntry('team-c', 'rg-c')] },
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
      // Team C's audio turns are transcribed for the guardrail's check, which blocks every one.
      guardrails: [{ name: 'no-turns', on: 'input', deny: ['audio of'], keys: ['team-c'] }],
      ledger: { sqlite: { path: join(dir, 'usage.sqlite') }, flushIntervalMs: 20 },
    };
    gateway = createGateway({ config: testConfig(input) });
    const address = await gateway.listen();
    base = address.url;
    url = address.realtimeUrl;
    await Promise.all([
      runSession(url, 'rg-a', 'team-a', 3, seen),
      runSession(url, 'rg-a', 'team-a', 1, seen),
      runSession(url, 'rg-b', 'team-b', 2, seen),
    ]);
    await eventually(() => gateway.registry.size === 0, 5000, 'the sessions to end');
    await gateway.ledger!.whenWritten();
  });
  after(async () => {
    await gateway.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the totals equal the sum of the usage the clients saw, and cost what the price table says', async () => {
    const { status, body } = await getJson(`${base}/admin/usage`);
    assert.equal(status, 200);
    assert.equal(body.data.length, 1);
    const expected = seen.total();
    assert.ok(
      expected.tokens.totalTokens > 0 && expected.tokens.audioSeconds > 0,
      'the sessions produced usage',
    );
    assertTotals(body.data[0], expected, 'all');
    assert.equal(body.data[0].sessions, 3);
    assert.equal(body.data[0].unpriced_records, 0);
  });

  test('group_by=key and group_by=model split the same totals', async () => {
    const byKey = (await getJson(`${base}/admin/usage?group_by=key`)).body;
    assert.deepEqual(
      byKey.data.map((row: { key: string }) => row.key),
      ['team-a', 'team-b'],
    );
    for (const row of byKey.data) assertTotals(row, seen.byKey.get(row.key)!, row.key);
    assert.deepEqual(
      byKey.data.map((row: { sessions: number }) => row.sessions),
      [2, 1],
    );
    const byModel = (await getJson(`${base}/admin/usage?group_by=model`)).body;
    assert.deepEqual(
      byModel.data.map((row: { model: string }) => row.model),
      ['gpt-realtime', 'whisper-1'],
    );
    for (const row of byModel.data) assertTotals(row, seen.byModel.get(row.model)!, row.model);
  });

  test("group_by=day puts today's usage on today (UTC), and the filters narrow", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await getJson(`${base}/admin/usage?group_by=day`)).body;
    assert.equal(byDay.data.length, 1);
    assert.equal(byDay.data[0].day, today);
    const teamB = (await getJson(`${base}/admin/usage?key=team-b&model=whisper-1`)).body;
    assert.equal(teamB.key, 'team-b');
    assertTotals(teamB.data[0], seen.byKeyAndModel.get('team-b whisper-1')!, 'team-b whisper-1');
    assert.equal(teamB.data[0].sessions, 1);
    const future = (await getJson(`${base}/admin/usage?from=2999-01-01`)).body;
    assert.equal(future.data[0].total_tokens, 0);
    assert.equal(future.data[0].sessions, 0);
    const past = (await getJson(`${base}/admin/usage?to=2000-01-01T00:00:00Z`)).body;
    assert.equal(past.data[0].total_tokens, 0);
    const window = (await getJson(`${base}/admin/usage?from=2000-01-01&to=2999-01-01T00:00:00%2B01:00`)).body;
    assert.equal(window.data[0].total_tokens, seen.total().tokens.totalTokens);
  });

  test('bad parameters are 400s that name them; the API is behind the admin key', async () => {
    for (const [query, param] of [
      ['group_by=week', 'group_by'],
      ['from=yesterday', 'from'],
      ['to=2026-12-03T10:00:00', 'to'],
      ['from=2026-12-03&to=2026-12-01', 'from'],
      ['key=a&key=b', 'key'],
      ['colour=red', 'colour'],
      [`model=${'m'.repeat(300)}`, 'model'],
      ['key=', 'key'],
    ] as const) {
      const { status, body } = await getJson(`${base}/admin/usage?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.error.code, 'invalid_parameter', query);
      assert.equal(body.error.param, param, query);
    }
    assert.equal((await getJson(`${base}/admin/usage`, {})).status, 401);
    assert.equal((await getJson(`${base}/admin/usage`, { authorization: 'Bearer rg-a' })).status, 403);
    const post = await fetch(`${base}/admin/usage`, { method: 'POST', headers: admin });
    assert.equal(post.status, 405);
  });

  test('/metrics counts cost per key, with keys and models bounded', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const cost = (key: string, model: string) => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`realtime_gateway_cost_usd_total{model="${model}",key="${key}"}`));
      return line === undefined ? null : Number(line.split(' ')[1]);
    };
    const a = seen.byKey.get('team-a')!;
    assert.ok(Math.abs(cost('team-a', 'gpt-realtime')! + cost('team-a', 'whisper-1')! - a.usd) < 1e-9);
    assert.match(
      text,
      /realtime_gateway_transcription_audio_seconds_total\{model="whisper-1",key="team-b"\} \d/,
    );
    assert.match(text, /realtime_gateway_ledger_records_written_total \d+/);
    assert.doesNotMatch(
      text,
      /realtime_gateway_ledger_records_lost_total\{[^}]*\} [1-9]/,
      'nothing was lost',
    );
  });

  test('a model the price table does not know costs 0 and is flagged', async () => {
    const client = await connect(`${url}?model=mystery-model`, { headers: { authorization: 'Bearer rg-b' } });
    await client.waitFor('session.created');
    await respondOnce(client);
    client.socket.close();
    await client.closed;
    await eventually(() => gateway.registry.size === 0, 5000, 'the session to end');
    await gateway.ledger!.whenWritten();
    const { body } = await getJson(`${base}/admin/usage?model=mystery-model`);
    assert.ok(body.data[0].total_tokens > 0);
    assert.equal(body.data[0].cost_usd, 0);
    assert.equal(body.data[0].unpriced_records, 1);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /realtime_gateway_unpriced_usage_total\{model="other"\} 1/);
  });

  test('the transcription an input guardrail turns on is metered, though the client never sees it', async () => {
    const client = await connect(`${url}?model=gpt-realtime`, { headers: { authorization: 'Bearer rg-c' } });
    await client.waitFor('session.created');
    const turn = spokenTurn();
    for (let k = 0; k < turn.length; k += 4800)
      client.send({
        type: 'input_audio_buffer.append',
        audio: turn.subarray(k, k + 4800).toString('base64'),
      });
    const events = await client.until<Json>('error');
    assert.equal(events.at(-1).error.code, 'guardrail_triggered');
    assert.ok(!events.some((e) => e.type.startsWith('conversation.item.input_audio_transcription')));
    client.socket.close();
    await client.closed;
    await eventually(() => gateway.registry.size === 0, 5000, 'the session to end');
    await gateway.ledger!.whenWritten();
    const { body } = await getJson(`${base}/admin/usage?key=team-c&group_by=model`);
    const rows = new Map((body.data as Json[]).map((row) => [row.model, row]));
    // The engine reports transcription usage by duration; no response was made (the turn was blocked).
    assert.ok(rows.get('gpt-4o-transcribe')?.audio_seconds > 1, JSON.stringify(body.data));
    assert.equal(rows.get('gpt-4o-transcribe').unpriced_records, 0);
    assert.equal(rows.get('gpt-realtime')?.total_tokens ?? 0, 0);
    // The decision itself is in the ledger, by guardrail and action, never its text.
    const decisions = await getJson(`${base}/admin/guardrails?group_by=guardrail`);
    assert.equal(decisions.status, 200);
    assert.deepEqual(decisions.body.data, [
      {
        guardrail: 'no-turns',
        decisions: 1,
        block: 1,
        end_session: 0,
        fail_open: 0,
        input: 1,
        output: 0,
        sessions: 1,
      },
    ]);
    const byAction = (await getJson(`${base}/admin/guardrails?key=team-c&group_by=action`)).body;
    assert.deepEqual(
      byAction.data.map((row: Json) => [row.action, row.decisions]),
      [['block', 1]],
    );
    assert.equal((await getJson(`${base}/admin/guardrails?key=team-a`)).body.data[0].decisions, 0);
    const bad = await getJson(`${base}/admin/guardrails?group_by=week`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'group_by');
    assert.equal((await getJson(`${base}/admin/guardrails`, {})).status, 401);
  });

  test('a restart keeps the usage, and spendSince reads it back', async () => {
    const before = await gateway.ledger!.spendSince('team-a', 0);
    const expected = seen.byKey.get('team-a')!;
    assert.equal(before.tokens, expected.tokens.totalTokens);
    assert.ok(Math.abs(before.usd - expected.usd) < 1e-12);
    await gateway.close();
    gateway = createGateway({ config: testConfig(input) });
    base = (await gateway.listen()).url;
    const after = await gateway.ledger!.spendSince('team-a', 0);
    assert.deepEqual(after, before);
    assert.deepEqual(await gateway.ledger!.spendSince('team-a', Date.now() + 60_000), { usd: 0, tokens: 0 });
    const { body } = await getJson(`${base}/admin/usage?model=gpt-realtime`);
    assert.equal(body.data[0].total_tokens, seen.byModel.get('gpt-realtime')!.tokens.totalTokens);
  });
});

async function respondOnce(client: TestClient): Promise<void> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
  });
  client.send({ type: 'response.create' });
  await client.waitFor('response.done');
}
