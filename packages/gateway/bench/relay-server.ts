/**
 * The relay under test, in its own process: a bare relay of a few lines on `ws` (as a user
 * would write it, or tuned as the gateway's legs are), the gateway with its default settings,
 * or the gateway with one more middleware that wants only `response.done`. Prints its port,
 * then answers over IPC: `memory` (after a full GC) and `stats` (this process's CPU time, its
 * GC counts and the heap left after its full GCs, and whether `ws` loaded bufferutil).
 *
 *   node --expose-gc --import tsx bench/relay-server.ts bare|bare-tuned|gateway|gateway-done <upstream-port>
 *   BENCH_BASELINE=/path/to/checkout node --expose-gc --import tsx bench/relay-server.ts gateway-before <upstream-port>
 *
 * It imports the gateway by its package name without the `source` condition, so it runs the
 * compiled dist/ (the bench builds it first). `gateway-before` imports the dist/ of the checkout
 * BENCH_BASELINE names instead, which must have been built there.
 *
 * The bench runs the bare relay with WS_NO_BUFFER_UTIL=1 and WS_NO_UTF_8_VALIDATE=1: the relay
 * as a user would write it with `ws` installed alone.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
// The gateway as shipped: its build (dist/), which the bench makes first. (Run from source
// through tsx, every closure the gateway creates would carry a `name` property that the
// transpiler defines, and an idle session would weigh twice what it does.)
// The bare relay's process loads `ws` alone: the gateway is imported only by the gateway's.
import type { Middleware } from '@realtime-gateway/gateway';

const [kind, upstreamPort] = process.argv.slice(2);
const LEDGER_FILE = join(tmpdir(), `rg-bench-ledger-${process.pid}.sqlite`);

/**
 * The baseline: accept, dial the upstream, pipe frames both ways.
 *
 * `tuned` (the relay `bare-tuned`): the same relay with every transport choice the gateway's
 * WebSocket legs make (bufferutil, which the bench leaves loadable for it; no UTF-8 pass over
 * the upstream's frames; the legs' frame masks) and none of the gateway's own work: the least
 * any relay built on `ws` can cost.
 */
async function bare(tuned: boolean): Promise<number> {
  // Imported here, so that a gateway's process loads only the `ws` of the gateway it runs (and
  // the bufferutil check below reports that one).
  const { WebSocket, WebSocketServer } = await import('ws');
  // Only the tuned relay loads anything besides `ws`.
  const FrameMasks = tuned ? (await import('../src/legs/websocket-leg.js')).FrameMasks : null;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (client, req) => {
    const masks = FrameMasks === null ? null : new FrameMasks();
    const upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}${req.url}`, {
      perMessageDeflate: false,
      ...(masks !== null ? { skipUTF8Validation: true, generateMask: masks.generate } : {}),
    });
    const early: [Buffer, boolean][] = [];
    const send = (data: Buffer, isBinary: boolean) => {
      masks?.next(data.length);
      upstream.send(data, { binary: isBinary });
    };
    client.on('message', (data: Buffer, isBinary) => {
      if (upstream.readyState === WebSocket.OPEN) send(data, isBinary);
      else early.push([data, isBinary]);
    });
    upstream.on('open', () => {
      for (const [data, isBinary] of early.splice(0)) send(data, isBinary);
    });
    upstream.on('message', (data: Buffer, isBinary) => client.send(data, { binary: isBinary }));
    client.on('close', () => upstream.close());
    upstream.on('close', () => client.close());
    upstream.on('error', () => client.close());
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  return (wss.address() as AddressInfo).port;
}

async function gateway(
  withMiddleware: boolean,
  baseline?: string,
  ledger = true,
  withConsole = false,
): Promise<number> {
  // `gateway-before`: the build of another checkout (BENCH_BASELINE), with its own dependencies.
  const { applyHeapGrowth, createGateway, FORWARD, resolveConfig } = (
    baseline === undefined
      ? await import('@realtime-gateway/gateway')
      : await import(pathToFileURL(join(baseline, 'packages/gateway/dist/index.js')).href)
  ) as typeof import('@realtime-gateway/gateway');
  // As the gateway's command line does when it starts (a build from before it had none).
  applyHeapGrowth?.();
  /** A middleware as a user would add one: it wants `response.done` and nothing else. */
  const wantsDone: Middleware = {
    name: 'wants-response-done',
    upstream: new Set(['response.done']),
    onUpstream: () => FORWARD,
  };
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      upstreams: [{ name: 'bench', baseUrl: `http://127.0.0.1:${upstreamPort}/v1` }],
      limits: { maxSessions: 100_000, maxSessionsPerKey: 100_000 },
      log: { level: 'silent' },
      // `gateway-console`: the admin API on, so the console's taps see every session.
      ...(withConsole ? { admin: { keyHash: `sha256:${'0'.repeat(64)}` } } : {}),
      // The usage ledger is on by default; `gateway-noledger` turns it off for the comparison.
      // Its file goes to a temporary directory, not the working directory's data directory.
      ...(baseline === undefined
        ? {
            ledger: ledger ? { sqlite: { path: LEDGER_FILE } } : { enabled: false },
          }
        : {}),
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const gw = createGateway({
    config: resolved.config,
    ...(withMiddleware ? { middleware: [() => wantsDone] } : {}),
  });
  return (await gw.listen()).port;
}

// Full (mark-compact) GCs, and the heap in use just after each: what survived into the old
// generation. Scavenges are counted too.
const gc = { major: 0, minor: 0, heapAfterMajor: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const gcKind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (gcKind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.major++;
      gc.heapAfterMajor += process.memoryUsage().heapUsed;
    } else if (gcKind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
  }
}).observe({ entryTypes: ['gc'] });

const sampling = new Session();
sampling.connect();
const port =
  kind === 'bare' || kind === 'bare-tuned'
    ? await bare(kind === 'bare-tuned')
    : await gateway(
        kind === 'gateway-done',
        kind === 'gateway-before' ? process.env.BENCH_BASELINE : undefined,
        kind !== 'gateway-noledger',
        kind === 'gateway-console',
      );
process.send?.({ port });
process.once('SIGINT', () => process.exit(0));
// The gateway's ledger file (and its WAL) is this run's only.
process.once('exit', () => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${LEDGER_FILE}${suffix}`, { force: true });
});
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'memory') {
    for (let k = 0; k < 3; k++) (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ memory: process.memoryUsage() });
  } else if (message.cmd === 'sample') {
    // BENCH_SAMPLE: an allocation sampling profile of a level, counting only what survived the
    // young generation (collected by a full GC, or still alive): what reaches the old generation.
    // BENCH_SAMPLE=all counts everything allocated: what makes the scavenges.
    sampling.post('HeapProfiler.enable', () =>
      sampling.post(
        'HeapProfiler.startSampling',
        {
          samplingInterval: 1024,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: process.env.BENCH_SAMPLE === 'all',
        },
        () => process.send?.({ sample: 'started' }),
      ),
    );
  } else if (message.cmd === 'sample-stop') {
    sampling.post('HeapProfiler.stopSampling', (error, result) => {
      const path = join(tmpdir(), `relay-${kind}-${process.pid}-${Date.now()}.heapprofile`);
      writeFileSync(path, JSON.stringify(error ? {} : result.profile));
      process.send?.({ sampled: path });
    });
  } else if (message.cmd === 'cpu') {
    // BENCH_CPU: a CPU profile of the measured window only (BENCH_PROFILE covers the process's life).
    sampling.post('Profiler.enable', () =>
      sampling.post('Profiler.setSamplingInterval', { interval: 100 }, () =>
        sampling.post('Profiler.start', () => process.send?.({ cpu: 'started' })),
      ),
    );
  } else if (message.cmd === 'cpu-stop') {
    sampling.post('Profiler.stop', (error, result) => {
      const path = join(tmpdir(), `relay-${kind}-${process.pid}-${Date.now()}.cpuprofile`);
      writeFileSync(path, JSON.stringify(error ? {} : result.profile));
      process.send?.({ profiled: path });
    });
  } else if (message.cmd === 'snapshot') {
    // BENCH_SNAPSHOT: a heap snapshot of the relay, for finding what a session keeps.
    process.send?.({ snapshot: writeHeapSnapshot() });
  } else if (message.cmd === 'stats') {
    // `ws` requires bufferutil when it loads, unless WS_NO_BUFFER_UTIL is set or it is missing.
    const modules = Object.keys(createRequire(import.meta.url).cache);
    const bufferutil = modules.some((path) => path.includes('/node_modules/bufferutil/'));
    process.send?.({ stats: { cpu: process.cpuUsage(), gc: { ...gc }, bufferutil } });
  }
});
