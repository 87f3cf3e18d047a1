/**
 * The usage ledger's write throughput: 400 sessions' worth of records (each session 20
 * responses, 20 transcriptions and its session record: 16,400 records) recorded through the
 * gateway's writer at once, timed to the last one written, for SQLite (a file in a temporary
 * directory) and PostgreSQL (a server started for the run, test/support/postgres.ts; skipped
 * when not installed). The stable figure is CPU per record: this process's CPU time
 * (`process.cpuUsage()`, user + system, GC included) over the records written; records/s is
 * shown beside it (PostgreSQL's own CPU, in its processes, is not in the figure; SQLite's
 * worker thread is in this process, so its CPU is), and so is the longest the event loop was
 * held while the queue was being written (the longest gap between turns: the sessions' view).
 *
 *   node --conditions=source --import tsx bench/ledger.bench.ts   (BENCH_ROUNDS, default 3)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ledger, LedgerRecord } from '../src/ledger/ledger.js';
import { meteredRecord } from '../src/ledger/metering.js';
import { PostgresLedger } from '../src/ledger/postgres-ledger.js';
import { sessionRecord } from '../src/ledger/session-records.js';
import { SqliteLedger } from '../src/ledger/sqlite-ledger.js';
import { tokensOfResponse, tokensOfTranscription } from '../src/ledger/tokens.js';
import { LedgerWriter } from '../src/ledger/writer.js';
import { priceTable } from '../src/pricing/prices.js';
import { postgresBin, startTestPostgres } from '../test/support/postgres.js';

const SESSIONS = 400;
const RESPONSES = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const prices = priceTable();

function records(): LedgerRecord[] {
  const out: LedgerRecord[] = [];
  const now = Date.now();
  for (let s = 0; s < SESSIONS; s++) {
    const info = {
      sessionId: `sess_${randomUUID()}`,
      model: 'gpt-realtime',
      upstreamModel: 'gpt-realtime',
      upstreamName: 'openai',
      keyId: `key-${s % 20}`,
      intent: 'conversation' as const,
    };
    for (let r = 0; r < RESPONSES; r++) {
      out.push(
        meteredRecord(
          info,
          'response',
          'gpt-realtime',
          tokensOfResponse({
            total_tokens: 1500 + r,
            input_tokens: 1200,
            output_tokens: 300 + r,
            input_token_details: { text_tokens: 700, audio_tokens: 500, cached_tokens: 640 },
            output_token_details: { text_tokens: 60, audio_tokens: 240 + r },
          }),
          prices,
          now,
        ),
      );
      out.push(
        meteredRecord(
          info,
          'transcription',
          'whisper-1',
          tokensOfTranscription({ type: 'duration', seconds: 2.4 }),
          prices,
          now,
        ),
      );
    }
    out.push(
      sessionRecord(
        info,
        'client_closed',
        60_000,
        { clientFrames: 3000, clientBytes: 4e6, upstreamFrames: 3500, upstreamBytes: 5e6 },
        now,
      ),
    );
  }
  return out;
}

interface Round {
  perSecond: number;
  cpuPerRecord: number;
  /** The longest the event loop was held while the queue was written, ms. */
  holdMs: number;
}

/** The longest gap between turns of the event loop from now until `stop()`, in ms. */
function watchLoop(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  let watching = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (watching) setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      watching = false;
      return Math.max(longest, performance.now() - last);
    },
  };
}

async function round(ledger: Ledger): Promise<Round> {
  const batch = records();
  const writer = new LedgerWriter(ledger);
  await writer.flush(); // open and migrate outside the measured window
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const record of batch) writer.record(record);
  // Recording is the sessions' own work; what is watched is what writing costs the loop.
  const watch = watchLoop();
  await writer.whenWritten();
  const holdMs = watch.stop();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await writer.close();
  return {
    perSecond: batch.length / seconds,
    cpuPerRecord: (used.user + used.system) / batch.length,
    holdMs,
  };
}

async function measure(name: string, make: () => Ledger): Promise<void> {
  const results = [];
  for (let i = 0; i < ROUNDS; i++) results.push(await round(make()));
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `${name.padEnd(10)} | ${String(SESSIONS * (2 * RESPONSES + 1)).padStart(7)} | ${Math.round(
      median(results.map((r) => r.perSecond)),
    )
      .toLocaleString('en-US')
      .padStart(9)} | ${median(results.map((r) => r.cpuPerRecord))
      .toFixed(1)
      .padStart(12)} | ${median(results.map((r) => r.holdMs))
      .toFixed(1)
      .padStart(12)}`,
  );
}

console.log(`node ${process.version}; ${ROUNDS} rounds, medians`);
console.log('ledger     | records | records/s | CPU/record µs | loop hold ms');
console.log('---------- | ------: | --------: | -----------: | -----------:');
const dir = mkdtempSync(join(tmpdir(), 'rg-ledger-bench-'));
let n = 0;
try {
  await measure('sqlite', () => new SqliteLedger({ path: join(dir, `ledger-${n++}.sqlite`) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (postgresBin() === null)
  console.log('postgres   | skipped: install postgresql (apt-get install postgresql)');
else {
  const server = await startTestPostgres();
  try {
    await measure('postgres', () => new PostgresLedger({ url: server.url, password: server.password }));
  } finally {
    await server.close();
  }
}
