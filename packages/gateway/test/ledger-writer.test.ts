/**
 * The ledger writer when its store is unavailable: against a SQLite ledger whose file cannot be
 * made (its directory is a regular file), and against a real PostgreSQL server stopped while
 * sessions run through a gateway and started again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createGateway } from '../src/gateway.js';
import type { UsageRecord } from '../src/ledger/ledger.js';
import { SqliteLedger } from '../src/ledger/sqlite-ledger.js';
import { NO_TOKENS } from '../src/ledger/tokens.js';
import { LedgerWriter, type LedgerWriterObserver, type LossReason } from '../src/ledger/writer.js';
import type { SessionLog } from '../src/vocabulary/session.js';
import { connect, eventually, keyEntry, testConfig } from './support/harness.js';
import { postgresOrSkip } from './support/postgres.js';
import { startTestUpstream } from './support/test-upstream.js';

/** A log whose lines the test reads, each as the JSON a logger would write. */
function capturedLog(): SessionLog & { lines: { level: string; message: string; fields: object }[] } {
  const lines: { level: string; message: string; fields: object }[] = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

class CountingObserver implements LedgerWriterObserver {
  writtenCount = 0;
  failures = 0;
  readonly lostBy = new Map<LossReason, number>();
  written(count: number) {
    this.writtenCount += count;
  }
  lost(count: number, reason: LossReason) {
    this.lostBy.set(reason, (this.lostBy.get(reason) ?? 0) + count);
  }
  writeFailed() {
    this.failures++;
  }
  queued() {}
}

let n = 0;
const record = (keyId = 'a'): UsageRecord => ({
  type: 'usage',
  id: `r${++n}`,
  at: Date.now(),
  sessionId: 's',
  keyId,
  model: 'gpt-realtime',
  sessionModel: 'gpt-realtime',
  upstream: 'u',
  source: 'response',
  tokens: { ...NO_TOKENS, totalTokens: 5 },
  costUsd: 0.01,
  priced: true,
});

describe('the ledger writer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rg-writer-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('past its bound, the queue loses records, and counts and logs the loss without flooding the log', async () => {
    const notADirectory = join(dir, 'file');
    writeFileSync(notADirectory, 'not a directory');
    const log = capturedLog();
    const observer = new CountingObserver();
    const writer = new LedgerWriter(new SqliteLedger({ path: join(notADirectory, 'ledger.sqlite') }), {
      maxQueued: 3,
      retryMs: 60_000,
      log,
      observer,
    });
    const told: string[] = [];
    writer.onRecord((r) => told.push(r.id));
    for (let i = 0; i < 5; i++) writer.record(record());
    assert.equal(await writer.flush(), false, 'the ledger cannot be opened');
    assert.equal(writer.queued, 3);
    assert.equal(observer.lostBy.get('queue_full'), 2);
    assert.equal(observer.failures, 1);
    assert.equal(told.length, 5, 'listeners hear of every metered record, written or lost');
    for (let i = 0; i < 1000; i++) writer.record(record());
    assert.equal(observer.lostBy.get('queue_full'), 1002);
    const errors = () => log.lines.filter((line) => line.level === 'error');
    assert.deepEqual(
      errors().map((line) => line.message),
      [
        'usage records lost: the ledger queue is full or the ledger closed',
        'the usage ledger is unavailable; records are kept queued and retried',
      ],
      'one line for the first loss, one for the outage: 1000 more losses wait for the summary',
    );
    await writer.close();
    assert.equal(observer.lostBy.get('closed'), 3, 'what was queued when it closed is lost, and counted');
    const summary = errors().at(-1)!;
    assert.match(summary.message, /lost since the last report/);
    assert.equal(
      (summary.fields as { lost: number }).lost,
      1004,
      '1001 while full, then the 3 queued at close',
    );
    await assert.rejects(writer.spendSince('a', 0));
  });

  test('spend includes what is still queued, and nothing twice once it is written', async () => {
    const writer = new LedgerWriter(new SqliteLedger({ path: join(dir, 'spend.sqlite') }), {
      flushIntervalMs: 60_000,
    });
    writer.record(record('k'));
    writer.record(record('k'));
    writer.record(record('other'));
    assert.deepEqual(await writer.spendSince('k', 0), { usd: 0.02, tokens: 10 });
    await writer.whenWritten();
    assert.equal(writer.queued, 0);
    assert.deepEqual(await writer.spendSince('k', 0), { usd: 0.02, tokens: 10 });
    await writer.close();
  });
});

describe('a PostgreSQL ledger down and back', () => {
  test('sessions run while it is down lose no record, and its password is never logged', async (t) => {
    const server = await postgresOrSkip(t);
    if (server === null) return;
    const upstream = await startTestUpstream();
    const log = capturedLog();
    const gateway = createGateway({
      config: testConfig(
        {
          upstreams: [{ name: 'test', baseUrl: `${upstream.httpUrl}/v1` }],
          auth: { keys: [keyEntry('team', 'rg-team')] },
          ledger: {
            postgres: { url: server.url, passwordEnv: 'LEDGER_PG_PASSWORD' },
            retryMs: 50,
            flushIntervalMs: 20,
          },
        },
        { LEDGER_PG_PASSWORD: server.password },
      ),
      log,
    });
    try {
      const url = (await gateway.listen()).realtimeUrl;
      const ledger = gateway.ledger!;
      assert.equal((await ledger.usage({}))[0]!.sessions, 0, 'reachable, migrated and empty');
      await server.stop();
      let seenTokens = 0;
      for (let i = 0; i < 3; i++) {
        const client = await connect(`${url}?model=gpt-realtime`, {
          headers: { authorization: 'Bearer rg-team' },
        });
        await client.waitFor('session.created');
        for (let r = 0; r < 2; r++) {
          client.send({ type: 'response.create' });
          const done = await client.waitFor('response.done');
          seenTokens += (done.response as { usage: { total_tokens: number } }).usage.total_tokens;
        }
        client.socket.close();
        await client.closed;
      }
      await eventually(() => gateway.registry.size === 0, 5000, 'the sessions to end');
      assert.equal(ledger.queued, 9, 'six usage records and three session records wait');
      await eventually(
        () => log.lines.some((line) => line.message.startsWith('the usage ledger is unavailable')),
        5000,
        'the outage to be logged',
      );
      await server.start();
      await ledger.whenWritten();
      const [totals] = await ledger.usage({});
      assert.equal(totals!.tokens.totalTokens, seenTokens);
      assert.equal(totals!.sessions, 3);
      assert.deepEqual(await ledger.spendSince('team', 0), { usd: totals!.costUsd, tokens: seenTokens });
      assert.ok(log.lines.some((line) => line.message.startsWith('the usage ledger is available again')));
      const logged = JSON.stringify(log.lines);
      assert.ok(!logged.includes(server.password), 'the password appears in no log line');
    } finally {
      await gateway.close();
      await upstream.close();
      await server.close();
    }
  });
});
