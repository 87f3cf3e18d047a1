/**
 * The two ledger stores against the same expectations, each a real database: a SQLite file in
 * a temporary directory, and a PostgreSQL server started for the test (test/support/postgres.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { GuardrailRecord, Ledger, SessionRecord, UsageRecord } from '../src/ledger/ledger.js';
import { MIGRATIONS } from '../src/ledger/migrations.js';
import { PostgresLedger } from '../src/ledger/postgres-ledger.js';
import { SqliteLedger } from '../src/ledger/sqlite-ledger.js';
import { NO_TOKENS } from '../src/ledger/tokens.js';
import { postgresOrSkip, type TestPostgres } from './support/postgres.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');
let ids = 0;

function usage(
  fields: Partial<Omit<UsageRecord, 'tokens'>> & { tokens?: Partial<UsageRecord['tokens']> },
): UsageRecord {
  return {
    type: 'usage',
    id: `u${++ids}`,
    at: T0,
    sessionId: 's1',
    keyId: 'a',
    model: 'gpt-realtime',
    sessionModel: 'gpt-realtime',
    upstream: 'openai',
    source: 'response',
    costUsd: 0.5,
    priced: true,
    ...fields,
    tokens: { ...NO_TOKENS, totalTokens: 10, inputText: 4, outputAudio: 6, ...fields.tokens },
  };
}

function session(fields: Partial<SessionRecord>): SessionRecord {
  return {
    type: 'session',
    id: `s${++ids}`,
    sessionId: 's1',
    keyId: 'a',
    model: 'gpt-realtime',
    upstreamModel: 'gpt-realtime',
    upstream: 'openai',
    intent: 'conversation',
    startedAt: T0,
    endedAt: T0 + 1000,
    durationMs: 1000,
    cause: 'client_closed',
    clientFrames: 3,
    clientBytes: 300,
    upstreamFrames: 5,
    upstreamBytes: 500,
    ...fields,
  };
}

function guardrail(fields: Partial<GuardrailRecord>): GuardrailRecord {
  return {
    type: 'guardrail',
    id: `g${++ids}`,
    at: T0,
    sessionId: 's1',
    keyId: 'a',
    model: 'gpt-realtime',
    upstream: 'openai',
    guardrail: 'pii',
    direction: 'input',
    action: 'block',
    cause: 'deny',
    ...fields,
  };
}

interface StoreUnderTest {
  make(): Ledger;
  /** The versions recorded in ledger_schema, read past the ledger. */
  versions(): Promise<number[]>;
  /** The session rows, read past the ledger. */
  sessions(): Promise<Record<string, unknown>[]>;
}

/** The expectations every store meets; `setup` returns null when the store is not available. */
function contract(
  name: string,
  setup: (t: import('node:test').TestContext) => Promise<StoreUnderTest | null>,
  teardown: () => Promise<void>,
) {
  describe(`the ${name} ledger`, () => {
    let store: StoreUnderTest | null = null;
    let ledger: Ledger;
    before(async (t) => {
      store = await setup(t as unknown as import('node:test').TestContext);
    });
    after(teardown);

    test('migrations apply on an empty database, once, and again on one already migrated', async (t) => {
      if (store === null) return t.skip('no database');
      ledger = store.make();
      await ledger.open();
      assert.deepEqual(
        await store.versions(),
        MIGRATIONS.map((m) => m.version),
      );
      await ledger.write([usage({ id: 'kept' })]);
      await ledger.close();
      // Two more opens, one at a time and two at once (two nodes starting together).
      const again = store.make();
      const other = store.make();
      await Promise.all([again.open(), other.open()]);
      await other.close();
      assert.deepEqual(
        await store.versions(),
        MIGRATIONS.map((m) => m.version),
      );
      const [totals] = await again.usage({});
      assert.equal(totals!.tokens.totalTokens, 10, 'the record written before is still there');
      ledger = again;
    });

    test('writes are idempotent by record id, and totals group and filter', async (t) => {
      if (store === null) return t.skip('no database');
      const records = [
        usage({ id: 'r1', keyId: 'a', at: T0 + 1, sessionId: 's1' }),
        usage({
          id: 'r2',
          keyId: 'a',
          at: T0 + DAY,
          sessionId: 's2',
          costUsd: 0.25,
          tokens: { totalTokens: 7, cachedText: 2 },
        }),
        usage({
          id: 'r3',
          keyId: 'b',
          at: T0 + 2,
          sessionId: 's3',
          model: 'whisper-1',
          source: 'transcription',
          costUsd: 0.001,
          tokens: { totalTokens: 0, inputText: 0, outputAudio: 0, audioSeconds: 2.5 },
        }),
        usage({
          id: 'r4',
          keyId: null,
          at: T0 + 3,
          sessionId: 's4',
          model: 'mystery',
          costUsd: 0,
          priced: false,
        }),
        session({ id: 'x1', sessionId: 's1', keyId: 'a' }),
        session({
          id: 'x5',
          sessionId: 's5',
          keyId: 'b',
          startedAt: T0 + DAY,
          upstreamModel: 'gpt-realtime-mini',
        }),
      ];
      await ledger.write(records);
      await ledger.write(records.slice(0, 2)); // an acknowledgement lost: the batch again
      const [all] = await ledger.usage({ from: T0 - 1000 });
      assert.equal(
        all!.tokens.totalTokens,
        10 + 7 + 0 + 10 + 10,
        'each record once (and the one from before)',
      );
      assert.ok(Math.abs(all!.costUsd - (0.5 + 0.25 + 0.001 + 0 + 0.5)) < 1e-12);
      assert.equal(all!.tokens.audioSeconds, 2.5);
      assert.equal(all!.unpriced, 1);
      // s1 (the first test's record, r1 and x1: once), s2, s3, s4, and s5 (a session record alone).
      assert.equal(all!.sessions, 5);

      const byKey = await ledger.usage({ from: T0, groupBy: 'key' });
      assert.deepEqual(
        byKey.map((row) => [row.group, row.tokens.totalTokens, row.sessions]),
        [
          [null, 10, 1],
          ['a', 27, 2], // with the first test's record
          ['b', 0, 2],
        ],
      );
      const byModel = await ledger.usage({ from: T0, groupBy: 'model' });
      assert.deepEqual(
        byModel.map((row) => [row.group, row.sessions]),
        [
          ['gpt-realtime', 2],
          ['gpt-realtime-mini', 1],
          ['mystery', 1],
          ['whisper-1', 1],
        ],
      );
      const byDay = await ledger.usage({ from: T0, groupBy: 'day' });
      assert.deepEqual(
        byDay.map((row) => [row.group, row.tokens.totalTokens]),
        [
          ['2026-12-01', 30],
          ['2026-12-02', 7],
        ],
      );
      const [aOnDayTwo] = await ledger.usage({ keyId: 'a', from: T0 + DAY, to: T0 + 2 * DAY });
      assert.equal(aOnDayTwo!.tokens.totalTokens, 7);
      assert.equal(aOnDayTwo!.tokens.cachedText, 2);
      const [whisper] = await ledger.usage({ model: 'whisper-1' });
      assert.equal(whisper!.tokens.audioSeconds, 2.5);
      assert.deepEqual(await ledger.usage({ model: 'nothing', groupBy: 'key' }), []);
    });

    test("spendSince is a key's cost and tokens from a time on", async (t) => {
      if (store === null) return t.skip('no database');
      const a = await ledger.spendSince('a', T0 + 1);
      assert.equal(a.tokens, 17);
      assert.ok(Math.abs(a.usd - 0.75) < 1e-12);
      assert.deepEqual(await ledger.spendSince('a', T0 + DAY + 1), { usd: 0, tokens: 0 });
      assert.deepEqual(await ledger.spendSince(null, 0), { usd: 0, tokens: 10 });
      assert.deepEqual(await ledger.spendSince('nobody', 0), { usd: 0, tokens: 0 });
    });

    test('guardrail decisions are counted by action and direction, grouped and filtered', async (t) => {
      if (store === null) return t.skip('no database');
      const once = guardrail({ id: 'gr-once' });
      await ledger.write([
        once,
        guardrail({ sessionId: 's2', direction: 'output', action: 'end_session', at: T0 + 1000 }),
        guardrail({ guardrail: 'moderation', cause: 'moderation', keyId: 'b', at: T0 + DAY }),
        guardrail({ guardrail: 'moderation', cause: 'moderation_failed', action: 'fail_open', keyId: null }),
      ]);
      await ledger.write([once]);
      const [all] = await ledger.guardrailDecisions({});
      assert.deepEqual(all, {
        group: null,
        decisions: 4,
        block: 2,
        endSession: 1,
        failOpen: 1,
        input: 3,
        output: 1,
        sessions: 2,
      });
      const byGuardrail = await ledger.guardrailDecisions({ groupBy: 'guardrail' });
      assert.deepEqual(
        byGuardrail.map((row) => [row.group, row.decisions, row.sessions]),
        [
          ['moderation', 2, 1],
          ['pii', 2, 2],
        ],
      );
      const byAction = await ledger.guardrailDecisions({ groupBy: 'action', keyId: 'a' });
      assert.deepEqual(
        byAction.map((row) => [row.group, row.decisions]),
        [
          ['block', 1],
          ['end_session', 1],
        ],
      );
      const byDay = await ledger.guardrailDecisions({ groupBy: 'day', guardrail: 'moderation' });
      assert.deepEqual(
        byDay.map((row) => [row.group, row.decisions]),
        [
          ['2026-12-01', 1],
          ['2026-12-02', 1],
        ],
      );
      const byKey = await ledger.guardrailDecisions({ groupBy: 'key', from: T0, to: T0 + DAY });
      assert.deepEqual(
        byKey.map((row) => [row.group, row.decisions]),
        [
          [null, 1],
          ['a', 2],
        ],
      );
      const [none] = await ledger.guardrailDecisions({ guardrail: 'nobody' });
      assert.equal(none!.decisions, 0, 'nothing matched: one row of zeros');
      const [usageAfter] = await ledger.usage({ keyId: 'nobody' });
      assert.equal(usageAfter!.sessions, 0, 'guardrail records are not usage');
    });

    test('session records keep duration, frames and bytes each way', async (t) => {
      if (store === null) return t.skip('no database');
      const rows = await store.sessions();
      const row = rows.find((r) => r.id === 'x5')!;
      assert.deepEqual(
        [
          row.duration_ms,
          row.client_frames,
          row.client_bytes,
          row.upstream_frames,
          row.upstream_bytes,
          row.cause,
        ].map(String),
        ['1000', '3', '300', '5', '500', 'client_closed'],
      );
      await ledger.close();
    });
  });
}

let dir: string;
contract(
  'SQLite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-sqlite-'));
    const path = join(dir, 'nested', 'ledger.sqlite');
    const read = <T>(sql: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };
    return {
      make: () => new SqliteLedger({ path }),
      versions: async () =>
        read<{ version: number }>('SELECT version FROM ledger_schema ORDER BY version').map((r) => r.version),
      sessions: async () => read<Record<string, unknown>>('SELECT * FROM session_records'),
    };
  },
  async () => rmSync(dir, { recursive: true, force: true }),
);

let server: TestPostgres | null = null;
contract(
  'PostgreSQL',
  async (t) => {
    server = await postgresOrSkip(t);
    if (server === null) return null;
    const { url, password } = server;
    const read = async (sql: string) => {
      const client = new pg.Client({ connectionString: url.replace('postgres@', `postgres:${password}@`) });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    return {
      make: () => new PostgresLedger({ url, password }),
      versions: async () =>
        (await read('SELECT version FROM ledger_schema ORDER BY version')).map((r) => Number(r.version)),
      sessions: () => read('SELECT * FROM session_records'),
    };
  },
  async () => server?.close(),
);

describe('the SQLite ledger thread', () => {
  let threadDir: string;
  before(() => {
    threadDir = mkdtempSync(join(tmpdir(), 'rg-sqlite-thread-'));
  });
  after(() => rmSync(threadDir, { recursive: true, force: true }));

  test('a large batch is written while the event loop goes on turning', async () => {
    const ledger = new SqliteLedger({ path: join(threadDir, 'large.sqlite') });
    await ledger.open();
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const records = Array.from({ length: 20_000 }, () => usage({}));
    await ledger.write(records);
    spinning = false;
    assert.ok(turns > 1, `the loop turned ${turns} times while 20,000 records were written`);
    const [all] = await ledger.usage({});
    assert.equal(all!.tokens.totalTokens, 200_000);
    await ledger.close();
  });

  test('a failed open is tried anew, and requests outside open … close are refused', async () => {
    const blocker = join(threadDir, 'blocker');
    writeFileSync(blocker, 'a file where the directory should be');
    const ledger = new SqliteLedger({ path: join(blocker, 'ledger.sqlite') });
    await assert.rejects(ledger.write([usage({})]), /not open/);
    await assert.rejects(ledger.open(), (error: Error & { code?: string }) => error.code === 'EEXIST');
    rmSync(blocker);
    await ledger.open();
    await ledger.write([usage({})]);
    assert.equal((await ledger.spendSince('a', 0)).tokens, 10);
    await ledger.close();
    await assert.rejects(ledger.spendSince('a', 0), /not open/);
    await ledger.close();
  });

  test('a worker that dies fails what it was asked, and the next request starts a new one', async () => {
    const workers: Worker[] = [];
    const started = (worker: Worker) => workers.push(worker);
    process.on('worker', started);
    try {
      const ledger = new SqliteLedger({ path: join(threadDir, 'dies.sqlite') });
      await ledger.open();
      await ledger.write([usage({})]);
      assert.equal(workers.length, 1);
      const writing = ledger.write(Array.from({ length: 20_000 }, () => usage({})));
      await workers[0]!.terminate();
      await assert.rejects(writing, /worker thread stopped/);
      assert.equal((await ledger.spendSince('a', 0)).tokens, 10, 'the unfinished batch left nothing behind');
      assert.equal(workers.length, 2, 'a new worker answered');
      await ledger.close();
    } finally {
      process.off('worker', started);
    }
  });

  test('an open ledger never closed does not keep its process alive', async () => {
    const script = join(threadDir, 'unclosed.mts');
    const module = new URL('../src/ledger/sqlite-ledger.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { SqliteLedger } from ${JSON.stringify(module)};\n` +
        `const ledger = new SqliteLedger({ path: ${JSON.stringify(join(threadDir, 'unclosed.sqlite'))} });\n` +
        `await ledger.open();\n` +
        `console.log(JSON.stringify(await ledger.spendSince(null, 0)));\n`,
    );
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.error, undefined, 'the process ended by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { usd: 0, tokens: 0 });
  });
});
