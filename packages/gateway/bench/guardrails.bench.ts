/**
 * What a clean answer pays for an output guardrail: a gateway in front of the reference engine,
 * one session on a model with an output guardrail (deny patterns that never match, the default
 * `maxMatchChars` of 64) and one on a model without, answering the same prompts in turns, in
 * the same run. Per modality (text; audio with its transcript):
 *
 * - first delta: from the client's `response.create` to its first text or transcript delta,
 *   median and p90. The guardrail holds back only a tail that could still begin a match (a word
 *   starting `secret`, say), so this is the unguarded latency plus any such tail's wait, at the
 *   engine's pace (BENCH_DELTA_MS between deltas, a model's word rate);
 * - CPU per delta: the process's CPU (gateway, engine and client alike, all in this process)
 *   over the deltas the upstream sent (counted on the unguarded arm: the guarded one releases
 *   held text in fewer, larger deltas); the difference between the two rows is the guardrail's.
 *
 *   npm run bench:guardrails -w @realtime-gateway/gateway   (BENCH_RESPONSES=30 BENCH_DELTA_MS=20)
 */
import { cpus } from 'node:os';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { WebSocket } from 'ws';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway } from '../src/gateway.js';
import { percentile } from './stats.js';

const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 30);
const DELTA_MS = Number(process.env.BENCH_DELTA_MS ?? 20);
const PROMPT =
  'please tell me about the weather tomorrow in the mountains, and whether the roads will be open for the drive';
const ARMS = [
  { label: 'no guardrail', model: 'plain' },
  { label: 'output guardrail', model: 'guarded' },
] as const;

/** A client socket whose events can be awaited by type. */
class Client {
  private readonly seen: { event: Record<string, unknown>; at: number }[] = [];
  private wake: (() => void) | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.seen.push({ event: JSON.parse(data.toString('utf8')), at: performance.now() });
      this.wake?.();
    });
  }

  static async open(url: string): Promise<Client> {
    // Listening from the start: the first event may come in the same read as the upgrade.
    const client = new Client(new WebSocket(url));
    await new Promise((resolve, reject) => client.socket.once('open', resolve).once('error', reject));
    return client;
  }

  /** Every event up to and including the first of `type`, with when each came. */
  async until(type: string): Promise<{ event: Record<string, unknown>; at: number }[]> {
    for (;;) {
      const k = this.seen.findIndex(({ event }) => event.type === type);
      if (k >= 0) return this.seen.splice(0, k + 1);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  send(event: object): void {
    this.socket.send(JSON.stringify(event));
  }
}

interface Tally {
  firstDeltaMs: number[];
  cpuMicros: number;
  /** Deltas the client received. */
  deltas: number;
  responses: number;
}

/** One response: the first delta's latency, the deltas received and the CPU they took. */
async function respond(client: Client, tally: Tally): Promise<void> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: PROMPT }] },
  });
  await client.until('conversation.item.added');
  const cpu = process.cpuUsage();
  const sent = performance.now();
  client.send({ type: 'response.create' });
  const events = await client.until('response.done');
  const used = process.cpuUsage(cpu);
  const isText = (type: unknown) =>
    type === 'response.output_text.delta' || type === 'response.output_audio_transcript.delta';
  const first = events.find(({ event }) => isText(event.type));
  if (first === undefined || (events.at(-1)!.event.response as { status: string }).status !== 'completed')
    throw new Error('the answer was not whole');
  tally.firstDeltaMs.push(first.at - sent);
  tally.cpuMicros += used.user + used.system;
  tally.responses++;
  tally.deltas += events.filter(({ event }) => String(event.type).endsWith('.delta')).length;
}

async function main(): Promise<void> {
  const engine: RunningEngine = await startEngine({ deltaDelayMs: DELTA_MS });
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      ledger: { enabled: false },
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
      guardrails: [{ name: 'never', on: 'output', deny: ['zq+x{3}', 'secret\\s+word'], models: ['guarded'] }],
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const gateway = createGateway({ config: resolved.config });
  const { realtimeUrl } = await gateway.listen();

  console.log(
    `guardrails bench: ${RESPONSES} responses per arm and modality, engine pacing ${DELTA_MS} ms per delta; ` +
      `${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`,
  );
  for (const modality of ['text', 'audio'] as const) {
    const clients = await Promise.all(ARMS.map((arm) => Client.open(`${realtimeUrl}?model=${arm.model}`)));
    for (const client of clients) {
      await client.until('session.created');
      client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: [modality] } });
      await client.until('session.updated');
    }
    const tallies: Tally[] = ARMS.map(() => ({ firstDeltaMs: [], cpuMicros: 0, deltas: 0, responses: 0 }));
    // The arms take turns, so that a disturbance of the machine falls on both.
    for (let round = 0; round < RESPONSES; round++)
      for (const [k, client] of clients.entries()) await respond(client, tallies[k]!);
    for (const client of clients) client.socket.close();

    // The same answer both ways: the unguarded arm received every delta the upstream sent.
    const sentPerResponse = tallies[0]!.deltas / tallies[0]!.responses;
    const rows = tallies.map((tally) => ({
      p50: percentile(tally.firstDeltaMs, 50),
      p90: percentile(tally.firstDeltaMs, 90),
      cpu: tally.cpuMicros / (tally.responses * sentPerResponse),
    }));
    console.log(
      `\n${modality}: first delta (ms) and process CPU per upstream delta (µs), ${sentPerResponse.toFixed(0)} deltas per answer`,
    );
    for (const [k, row] of rows.entries())
      console.log(
        `  ${ARMS[k]!.label.padEnd(17)} first p50 ${row.p50.toFixed(1).padStart(7)}  p90 ${row.p90
          .toFixed(1)
          .padStart(7)}  cpu/delta ${row.cpu.toFixed(1).padStart(6)}`,
      );
    const [plain, guarded] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log(
      `  ratio guarded/plain: first p50 ×${(guarded.p50 / plain.p50).toFixed(2)}, ` +
        `cpu/delta ×${(guarded.cpu / plain.cpu).toFixed(2)} (+${(guarded.cpu - plain.cpu).toFixed(1)} µs)`,
    );
  }
  await gateway.close();
  await engine.close();
}

await main();
