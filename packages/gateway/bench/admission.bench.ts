/**
 * What a shared Redis store costs a session's admission. Two gateways in this process in front
 * of one reference engine, identical but for the store: the in-memory one (the baseline) and a
 * Redis one (a real redis-server on loopback, started here). The key has a session limit and a
 * rate so that admission does everything it does in production: authenticate, take a rate
 * token, take the deployment, key and upstream slots, enter the session in the directory.
 *
 * Two figures per store, measured in the same run, interleaved round by round so that the
 * machine's drift falls on both:
 *
 * - latency: the upgrade's wall time, from the request to `session.created`, sequential (each
 *   once the previous session has ended and given its slots back), p50 and p99; the difference
 *   is the latency Redis adds (the target is under 2 ms at p99). Both percentiles carry the
 *   whole admission's noise (the dial, the upgrade, this shared machine), so the time admission
 *   itself waited for the store is given too, from the gateway's own histogram
 *   (`realtime_gateway_admission_store_seconds`): the part of admission that differs;
 * - throughput: admissions per second with `BENCH_CONCURRENCY` opens at a time, and the CPU per
 *   admission of this process and of redis-server (the stable figure on a shared machine).
 *
 * Beside the store waits, the floor under them: a bare PING's round trip from this process to
 * the same redis-server, one every few ms during the sequential rounds on a connection of its
 * own. No admission that asks Redis once can add less than that round trip.
 *
 * This process (clients, gateways, engine) is pinned to CPU 0 and redis-server to CPU 1 (see
 * `pinning.ts`; `BENCH_PIN=0` turns it off): unpinned, a round trip to Redis waits whenever the
 * scheduler puts both on one core, and the tail measures that instead of the store.
 *
 *   node --conditions=source --import tsx bench/admission.bench.ts   (BENCH_ROUNDS=2000 BENCH_CONCURRENCY=20)
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { hashKey } from '../src/auth/credentials.js';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisBus } from '../src/store/redis-bus.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { PIN, pin } from './pinning.js';
import { type Bucket, histogramQuantile, percentile } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);
const BLOCKS = 5;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const KEY = 'sk-bench-admission';
const MODEL = 'gpt-realtime';

interface Rig {
  readonly name: string;
  readonly gateway: Gateway;
  readonly url: string;
  readonly close: () => Promise<void>;
}

async function startRig(
  name: string,
  engine: RunningEngine,
  store: Store,
  redis: TestRedis | null,
): Promise<Rig> {
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      ledger: { enabled: false },
      // On in both, for the store-wait histogram; the same cost on each side.
      metrics: { enabled: true },
      log: { level: 'silent' },
      limits: { maxSessions: 100_000 },
      auth: {
        keys: [
          { id: 'bench', hash: `sha256:${hashKey(KEY)}`, maxSessions: 10_000, sessionsPerMinute: 1_000_000 },
        ],
      },
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, maxSessions: 100_000 }],
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const bus = redis === null ? null : new RedisBus({ url: redis.url, keyPrefix: 'bench:' });
  const gateway = createGateway({
    config: resolved.config,
    store,
    holderId: `bench-${name}`,
    ...(bus === null || !(store instanceof RedisStore)
      ? {}
      : { deployment: { bus, storeAvailable: () => store.available } }),
  });
  const address = await gateway.listen();
  return {
    name,
    gateway,
    url: `${address.realtimeUrl}?model=${MODEL}`,
    async close() {
      await gateway.close();
      await bus?.close();
      await store.close();
    },
  };
}

/** The gateway's `realtime_gateway_admission_store_seconds` buckets so far, bounds in ms. */
async function storeWait(rig: Rig): Promise<Bucket[]> {
  const metric = await rig.gateway
    .metrics!.registry.getSingleMetric('realtime_gateway_admission_store_seconds')!
    .get();
  // A histogram's values name their series (`…_bucket`, `…_sum`, `…_count`); prom-client's type omits it.
  return (metric.values as { metricName?: string; labels: Record<string, string | number>; value: number }[])
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({
      le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le) * 1000,
      count: v.value,
    }));
}

/** What a store made admission wait, from its histogram: p50, p99 and the share within 2 ms. */
function describeWait(buckets: readonly Bucket[]): string {
  const total = buckets.at(-1)?.count ?? 0;
  const within = buckets.find((b) => b.le === 2)?.count ?? 0;
  return (
    `store wait p50 ${histogramQuantile(buckets, 0.5).toFixed(2)} ms, p99 ${histogramQuantile(buckets, 0.99).toFixed(2)} ms, ` +
    `${((100 * within) / total).toFixed(1)} % within 2 ms`
  );
}

/** One admission: the upgrade until `session.created`; the session is closed after. */
async function admit(url: string): Promise<number> {
  const started = performance.now();
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${KEY}` } });
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
  const took = performance.now() - started;
  socket.close();
  await new Promise((resolve) => socket.once('close', resolve));
  return took;
}

/**
 * What the second store adds, p50 and p99: over the whole run, and the median and range over
 * BLOCKS consecutive blocks of rounds. A p99 is a run's few slowest admissions, so one stall of
 * the shared machine moves it; the blocks show how far.
 */
function addedLatency(base: readonly number[], samples: readonly number[]): string {
  const added = (p: number, from: number, to: number) =>
    percentile(samples.slice(from, to), p) - percentile(base.slice(from, to), p);
  const size = Math.floor(samples.length / BLOCKS);
  const blocks = (p: number) =>
    Array.from({ length: BLOCKS }, (_, k) => added(p, k * size, (k + 1) * size)).sort((a, b) => a - b);
  const describe = (p: number) => {
    if (size < 20) return `p${p} ${added(p, 0, samples.length).toFixed(2)} ms`;
    const each = blocks(p);
    return (
      `p${p} ${added(p, 0, samples.length).toFixed(2)} ms ` +
      `(median of ${BLOCKS} blocks ${percentile(each, 50).toFixed(2)}, ${each[0]!.toFixed(2)} to ${each.at(-1)!.toFixed(2)})`
    );
  };
  return `added ${describe(50)}, ${describe(99)}`;
}

/** Until the previous session has ended on the gateway and its slots are given back. */
async function settled(rig: Rig): Promise<void> {
  while (rig.gateway.registry.size > 0) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 2));
}

const PROBE_MS = 3;

/** PINGs `url` every {@link PROBE_MS} until stopped; answers the round trips in ms. */
async function pingProbe(url: string): Promise<{ stop(): Promise<number[]> }> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await client.ping();
      rtts.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      client.disconnect();
      return rtts;
    },
  };
}

/** CPU seconds redis-server has used so far (utime + stime from /proc). */
function redisCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function main(): Promise<void> {
  const engine = await startEngine({});
  const redis = await startTestRedis();
  pin(process.pid, 0);
  pin(redis.pid!, 1);
  const rigs = [
    await startRig('memory', engine, new MemoryStore(), null),
    await startRig(
      'redis',
      engine,
      new RedisStore({ url: redis.url, keyPrefix: 'bench:', timeoutMs: 2000 }),
      redis,
    ),
  ];
  const latency = new Map<string, number[]>(rigs.map((rig) => [rig.name, []]));
  try {
    // Warm both: the first sessions compile and load what later ones reuse.
    for (const rig of rigs) for (let k = 0; k < 20; k++) await admit(rig.url);
    // How late this process's event loop ran meanwhile: a wait for Redis spans a turn of the
    // loop, and waits for whatever else that turn runs.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    // The floor under a store wait: a bare PING's round trip from this process to the same
    // redis-server meanwhile, one every PROBE_MS (its own connection, so it queues behind nothing).
    const probe = await pingProbe(redis.url);
    for (let round = 0; round < ROUNDS; round++)
      for (const rig of round % 2 === 0 ? rigs : [...rigs].reverse()) {
        latency.get(rig.name)!.push(await admit(rig.url));
        await settled(rig);
      }
    const pings = await probe.stop();
    loopDelay.disable();

    console.log(
      `admission: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.versions.node}, ` +
        `${ROUNDS} sequential admissions per store, then ${ROUNDS} at ${CONCURRENCY} at a time, ` +
        (PIN ? 'this process pinned to CPU 0 and redis-server to CPU 1' : 'not pinned'),
    );
    const ms = (ns: number) => (ns / 1e6).toFixed(2);
    console.log(
      `  event loop delay during the sequential rounds: p50 ${ms(loopDelay.percentile(50))} ms, ` +
        `p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms (1 ms resolution)`,
    );
    const within = (samples: readonly number[]) => samples.filter((t) => t <= 2).length / samples.length;
    console.log(
      `  a bare PING meanwhile (${pings.length}, one every ${PROBE_MS} ms): p50 ${percentile(pings, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(pings, 99).toFixed(2)} ms, ${(100 * within(pings)).toFixed(1)} % within 2 ms`,
    );
    const base = latency.get('memory')!;
    // The sequential rounds' store waits, before the concurrent ones add theirs.
    const waits = new Map(
      await Promise.all(rigs.map(async (rig) => [rig.name, await storeWait(rig)] as const)),
    );
    for (const rig of rigs) {
      const samples = latency.get(rig.name)!;
      const p50 = percentile(samples, 50);
      const p99 = percentile(samples, 99);
      console.log(
        `  ${rig.name.padEnd(6)} latency p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms ` +
          (rig.name === 'memory' ? '(baseline)' : addedLatency(base, samples)),
      );
      console.log(`         ${describeWait(waits.get(rig.name)!)}`);
    }
    const throughput = new Map<string, { perSecond: number; cpuMs: number; redisMs: number }>();
    for (const rig of rigs) {
      const cpuBefore = process.cpuUsage();
      const redisBefore = redisCpuMs(redis.pid!);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < ROUNDS) await admit(rig.url);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      throughput.set(rig.name, {
        perSecond: ROUNDS / seconds,
        cpuMs: (cpu.user + cpu.system) / 1000 / ROUNDS,
        redisMs: (redisCpuMs(redis.pid!) - redisBefore) / ROUNDS,
      });
    }
    const memory = throughput.get('memory')!;
    for (const [name, figures] of throughput)
      console.log(
        `  ${name.padEnd(6)} ${figures.perSecond.toFixed(0)} admissions/s (×${(figures.perSecond / memory.perSecond).toFixed(2)}), ` +
          `process CPU ${figures.cpuMs.toFixed(3)} ms per admission (×${(figures.cpuMs / memory.cpuMs).toFixed(2)}), ` +
          `redis-server CPU ${figures.redisMs.toFixed(3)} ms per admission`,
      );
  } finally {
    for (const rig of rigs) await rig.close();
    await redis.close();
    await engine.close();
  }
}

await main();
