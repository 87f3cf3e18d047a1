/**
 * How long a session is without an upstream when it loses one: a gateway in front of two
 * reference engines, a conversation of N items built over one session, then the engine serving
 * it shut down. Two figures per size, median over the rounds:
 *
 * - replacement: from the gateway seeing the upstream gone to the new one confirmed and in
 *   place (the `durationMs` the gateway reports for it), that is until an answer is possible;
 * - first answer: from the gateway seeing the upstream gone to the client's `response.created`
 *   for a `response.create` it sent at that moment (what a user who asks at once waits).
 *
 * The baseline, measured in the same run, is a fresh session's start (the upgrade through the
 * gateway until `session.created`), so the ratio says what a replacement costs over connecting
 * anew. Wall time is the figure here (it is a latency), with the gateway's process CPU per
 * replacement beside it.
 *
 *   node --conditions=source --import tsx bench/continuity.bench.ts   (BENCH_ITEMS=10,50,200 BENCH_ROUNDS=5)
 */
import { cpus } from 'node:os';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { WebSocket } from 'ws';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { NO_LOG, NO_OBSERVER, type SessionLog, type SessionObserver } from '../src/session/observer.js';
import { percentile } from './stats.js';

const SIZES = (process.env.BENCH_ITEMS ?? '10,50,200').split(',').filter(Boolean).map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MODEL = 'gpt-realtime';

/** A client socket whose events can be awaited by type. */
class Client {
  private readonly seen: Record<string, unknown>[] = [];
  private readonly waiters: (() => void)[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.seen.push(JSON.parse(data.toString('utf8')));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<Client> {
    const socket = new WebSocket(url);
    const client = new Client(socket);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return client;
  }

  async next(type: string): Promise<Record<string, unknown>> {
    for (;;) {
      const at = this.seen.findIndex((event) => event.type === type);
      if (at >= 0) return this.seen.splice(0, at + 1).at(-1)!;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  send(event: object): void {
    this.socket.send(JSON.stringify(event));
  }
}

interface Rig {
  readonly gateway: Gateway;
  readonly engines: Map<string, RunningEngine>;
  readonly url: string;
  readonly replacements: number[];
  /** Called, once, when the gateway next sees an upstream gone (from its log line). */
  onLoss: (() => void) | null;
}

async function startRig(): Promise<Rig> {
  const engines = new Map<string, RunningEngine>();
  for (const name of ['alpha', 'beta']) engines.set(name, await startEngine({}));
  const replacements: number[] = [];
  const observer: SessionObserver = {
    ...NO_OBSERVER,
    upstreamReplaced: (_info, replacement) => {
      if (replacement.outcome === 'replaced') replacements.push(replacement.durationMs);
    },
  };
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      ledger: { enabled: false },
      metrics: { enabled: false },
      upstreams: [...engines].map(([name, engine]) => ({
        name,
        baseUrl: `http://127.0.0.1:${engine.port}/v1`,
      })),
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const rig: { -readonly [K in keyof Rig]: Rig[K] } = {
    gateway: null as unknown as Gateway,
    engines,
    url: '',
    replacements,
    onLoss: null,
  };
  const log: SessionLog = {
    ...NO_LOG,
    warn(_fields, message) {
      if (message !== 'the upstream ended; replacing it') return;
      const told = rig.onLoss;
      rig.onLoss = null;
      told?.();
    },
  };
  rig.gateway = createGateway({ config: resolved.config, observer, log });
  const address = await rig.gateway.listen();
  rig.url = `${address.realtimeUrl}?model=${MODEL}`;
  return rig;
}

/** Builds a conversation of `items` items: user text turns, half of them answered (in text, to be quick). */
async function converse(client: Client, items: number): Promise<void> {
  client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await client.next('session.updated');
  for (let made = 0; made < items; ) {
    client.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `turn ${made}: tell me more` }],
      },
    });
    await client.next('conversation.item.done');
    made++;
    if (made < items && made % 2 === 1) {
      client.send({ type: 'response.create' });
      await client.next('response.done');
      made++;
    }
  }
}

async function main(): Promise<void> {
  const rig = await startRig();
  const fresh: number[] = [];
  const rows: string[] = [];
  try {
    for (let r = 0; r < ROUNDS * 2; r++) {
      const started = performance.now();
      const client = await Client.open(rig.url);
      await client.next('session.created');
      fresh.push(performance.now() - started);
      client.socket.close();
    }
    const baseline = percentile(fresh, 50);
    rows.push(`fresh session start (baseline): ${baseline.toFixed(1)} ms median of ${fresh.length}`);
    for (const items of SIZES) {
      const replaced: number[] = [];
      const answered: number[] = [];
      const cpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const client = await Client.open(rig.url);
        await client.next('session.created');
        await converse(client, items);
        const serving = rig.gateway.registry.list()[0]!.upstream;
        const seen = rig.replacements.length;
        const cpuBefore = process.cpuUsage();
        let lostAt = 0;
        rig.onLoss = () => {
          lostAt = performance.now();
          client.send({ type: 'response.create' });
        };
        // Not awaited first: the engine's close takes its time, and the answer may come before it ends.
        const closing = rig.engines.get(serving)!.close();
        await client.next('response.created');
        answered.push(performance.now() - lostAt);
        await closing;
        const used = process.cpuUsage(cpuBefore);
        cpu.push((used.user + used.system) / 1000);
        replaced.push(rig.replacements[seen]!);
        await client.next('response.done');
        client.socket.close();
        // The engine that was shut down comes back where it was, for the next round.
        await restart(rig, serving);
      }
      const median = percentile(replaced, 50);
      rows.push(
        `${String(items).padStart(4)} items: replacement ${median.toFixed(1)} ms (×${(median / baseline).toFixed(2)} of a fresh start), ` +
          `first answer after the loss ${percentile(answered, 50).toFixed(1)} ms, process CPU ${percentile(cpu, 50).toFixed(1)} ms`,
      );
    }
  } finally {
    await rig.gateway.close();
    for (const engine of rig.engines.values()) await engine.close();
  }
  console.log(
    `continuity: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.versions.node}, ${ROUNDS} rounds`,
  );
  for (const row of rows) console.log(`  ${row}`);
}

/** Starts the named engine again on the port it had, so the gateway's configuration still names it. */
async function restart(rig: Rig, name: string): Promise<void> {
  const old = rig.engines.get(name)!;
  rig.engines.set(name, await startEngine({ port: old.port }));
}

await main();
