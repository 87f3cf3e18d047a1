/**
 * Relay benchmark: N concurrent sessions each stream 20 ms frames of 24 kHz PCM16 (1,280 bytes
 * of base64 per `input_audio_buffer.append`) every 20 ms; the upstream answers each with a
 * `response.output_audio.delta` of the same size, so audio flows both ways. The same load runs
 * through (a) a bare relay of a few lines on `ws` and (b) the gateway with its default settings,
 * each in its own process; this process plays clients and upstream.
 *
 * Reported per level: frames per second delivered (both directions), p50/p99 round trip through
 * the relay (client → upstream → client) and the latency the relay adds over a direct
 * connection; then memory per idle session.
 *
 *   npm run bench -w @realtime-gateway/gateway
 *   BENCH_LEVELS=100,400 BENCH_SECONDS=5 BENCH_IDLE=1000 npm run bench -w @realtime-gateway/gateway
 *   BENCH_PROFILE=/tmp/prof BENCH_LEVELS=800 npm run bench -w @realtime-gateway/gateway
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { percentile } from './stats.js';

const LEVELS = (process.env.BENCH_LEVELS ?? '100,400,800').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IDLE = Number(process.env.BENCH_IDLE ?? 1000);
const FRAME_MS = 20;
const AUDIO = Buffer.alloc(960, 1).toString('base64'); // 20 ms at 24 kHz, 16-bit mono

/** The upstream: greets, then answers every append with an audio delta carrying its id. */
async function startUpstream(): Promise<{ port: number; close(): void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.send(
      JSON.stringify({
        type: 'session.created',
        event_id: 'event_0',
        session: { type: 'realtime', id: 'sess_bench', object: 'realtime.session' },
      }),
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const id = /"event_id":"([^"]+)"/.exec(text)?.[1] ?? 'x';
      ws.send(
        `{"type":"response.output_audio.delta","event_id":"${id}","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"${AUDIO}"}`,
      );
    });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  return { port: (wss.address() as AddressInfo).port, close: () => wss.close() };
}

interface Relay {
  readonly port: number;
  readonly child: ChildProcess | null;
}

/**
 * On Linux with two or more CPUs the relay is pinned to CPU 1 and this process (clients and
 * upstream) to CPU 0, so that they do not take turns on one core and blur each other's
 * latencies. `BENCH_PIN=0` turns that off.
 */
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;

async function startRelay(kind: 'bare' | 'gateway', upstreamPort: number): Promise<Relay> {
  const script = fileURLToPath(new URL('./relay-server.ts', import.meta.url));
  const execArgv = [
    '--expose-gc',
    '--conditions=source',
    '--import',
    'tsx',
    // BENCH_PROFILE=dir writes a CPU profile of each relay process there.
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
  ];
  const command = PIN ? ['taskset', '-c', '1', process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), ...execArgv, script, kind, String(upstreamPort)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  return { port, child };
}

function memoryOf(relay: Relay): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve) => {
    relay.child!.once('message', (m: { memory: NodeJS.MemoryUsage }) => resolve(m.memory));
    relay.child!.send({ cmd: 'memory' });
  });
}

async function openSessions(port: number, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let k = 0; k < count; k += 50) {
    const batch = Array.from({ length: Math.min(50, count - k) }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`, {
        perMessageDeflate: false,
      });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('message', () => resolve(ws));
        ws.once('error', reject);
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

interface LevelResult {
  readonly framesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/** Streams audio on `count` sessions for SECONDS; returns delivered frames/s and round trips. */
async function runLevel(port: number, count: number): Promise<LevelResult> {
  const sockets = await openSessions(port, count);
  const rtts: number[] = [];
  let delivered = 0;
  let measuring = false;
  for (const ws of sockets) {
    ws.on('message', (data: Buffer) => {
      if (!measuring) return;
      delivered += 2; // the append that reached the upstream, and the delta that came back
      const sent = Number(/"event_id":"t(\d+(?:\.\d+)?)"/.exec(data.toString('latin1', 0, 80))?.[1]);
      if (!Number.isNaN(sent)) rtts.push(performance.now() - sent);
    });
  }
  // Sessions are spread over the frame interval, as real callers are.
  let tick = 0;
  const slots = Math.max(1, Math.floor(FRAME_MS / 2));
  const timer = setInterval(() => {
    const slot = tick++ % slots;
    for (let k = slot; k < sockets.length; k += slots) {
      sockets[k]!.send(
        `{"type":"input_audio_buffer.append","event_id":"t${performance.now()}","audio":"${AUDIO}"}`,
      );
    }
  }, FRAME_MS / slots);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  measuring = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(timer);
  for (const ws of sockets) ws.terminate();
  // Let the relay finish tearing these sessions down before the next level starts.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return { framesPerSecond: delivered / elapsed, p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
}

async function idleMemory(relay: Relay): Promise<{ rss: number; heap: number }> {
  const before = await memoryOf(relay);
  const sockets = await openSessions(relay.port, IDLE);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await memoryOf(relay);
  for (const ws of sockets) ws.terminate();
  return {
    rss: (after.rss - before.rss) / IDLE,
    heap: (after.heapUsed + after.external - before.heapUsed - before.external) / IDLE,
  };
}

async function main(): Promise<void> {
  if (PIN) spawnSync('taskset', ['-cp', '0', String(process.pid)]);
  const upstream = await startUpstream();
  const direct: LevelResult[] = [];
  const results: Record<'bare' | 'gateway', LevelResult[]> = { bare: [], gateway: [] };
  const memory: Record<string, { rss: number; heap: number }> = {};
  for (const level of LEVELS) direct.push(await runLevel(upstream.port, Math.min(level, 100)));
  const relays = {
    bare: await startRelay('bare', upstream.port),
    gateway: await startRelay('gateway', upstream.port),
  };
  // Levels alternate between the relays, so that neither always runs first (or warmer).
  for (const level of LEVELS) {
    for (const kind of ['bare', 'gateway'] as const)
      results[kind].push(await runLevel(relays[kind].port, level));
  }
  for (const kind of ['bare', 'gateway'] as const) {
    const relay = relays[kind];
    memory[kind] = await idleMemory(relay);
    // SIGINT lets a profiled relay write its profile before it exits.
    relay.child!.kill('SIGINT');
    await new Promise((resolve) => relay.child!.once('exit', resolve));
  }
  upstream.close();

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `relay benchmark — node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(PIN ? 'relay pinned to CPU 1, clients and upstream to CPU 0' : 'processes not pinned');
  console.log(
    `${SECONDS} s per level, 20 ms frames (${AUDIO.length} bytes of base64) both ways; direct round trip p50 ${direct[0]!.p50.toFixed(2)} ms\n`,
  );
  console.log('sessions | relay   |   frames/s | p50 rtt ms | p99 rtt ms | throughput vs bare | p99 vs bare');
  console.log('-------- | ------- | ---------- | ---------- | ---------- | ------------------ | -----------');
  LEVELS.forEach((level, i) => {
    for (const kind of ['bare', 'gateway'] as const) {
      const r = results[kind][i]!;
      const b = results.bare[i]!;
      console.log(
        `${String(level).padStart(8)} | ${kind.padEnd(7)} | ${Math.round(r.framesPerSecond).toLocaleString('en-US').padStart(10)} | ${r.p50.toFixed(2).padStart(10)} | ${r.p99.toFixed(2).padStart(10)} | ${`${((r.framesPerSecond / b.framesPerSecond) * 100).toFixed(1)}%`.padStart(18)} | ${`${(r.p99 / b.p99).toFixed(2)}×`.padStart(11)}`,
      );
    }
  });
  console.log(`\nmemory per idle session (${IDLE} sessions, after GC):`);
  for (const kind of ['bare', 'gateway'] as const) {
    console.log(
      `  ${kind.padEnd(7)} RSS ${(memory[kind]!.rss / 1024).toFixed(1)} KB, heap + external ${(memory[kind]!.heap / 1024).toFixed(1)} KB`,
    );
  }
  const at = (level: number) => LEVELS.indexOf(level);
  const i400 = at(400);
  const worstThroughput = Math.min(
    ...LEVELS.map((_, i) => results.gateway[i]!.framesPerSecond / results.bare[i]!.framesPerSecond),
  );
  console.log('\ntarget                                   | measured | target  | result');
  const row = (name: string, measured: string, target: string, met: boolean) =>
    console.log(
      `${name.padEnd(40)} | ${measured.padStart(8)} | ${target.padEnd(7)} | ${met ? 'met' : 'MISSED'}`,
    );
  row(
    'throughput vs bare relay (worst level)',
    `${(worstThroughput * 100).toFixed(1)}%`,
    '≥ 90%',
    worstThroughput >= 0.9,
  );
  if (i400 !== -1) {
    const ratio = results.gateway[i400]!.p99 / results.bare[i400]!.p99;
    row('p99 round trip at 400 sessions vs bare', `${ratio.toFixed(2)}×`, '≤ 1.5×', ratio <= 1.5);
  }
  // RSS moves in allocator-sized steps, the heap in objects; the larger of the two is judged.
  const perIdle = Math.max(memory.gateway!.rss, memory.gateway!.heap) / 1024;
  row('memory per idle session', `${perIdle.toFixed(1)} KB`, '≤ 64 KB', perIdle <= 64);
}

await main();
