/**
 * The WebRTC media path under load: N concurrent calls terminated by the gateway, each hearing
 * a long answer in audio (Opus encoded and paced by the gateway) while its microphone sends
 * quiet audio (decoded by the gateway). The gateway and the embedded engine run in one process,
 * the callers (werift peers) in another.
 *
 * Reported per level: the gateway process's CPU per call-second (process CPU time over the
 * window ÷ calls ÷ seconds), and how late a 20 ms clock on the gateway's event loop ticks (p50,
 * p99), the lateness every call's packet pacing shares; then how many calls fit before p99
 * lateness passes 20 ms.
 *
 *   BENCH_CALLS=1,5,10,20 BENCH_SECONDS=10 npm run bench:calls -w @realtime-gateway/gateway
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const LEVELS = (process.env.BENCH_CALLS ?? '1,5,10,20').split(',').filter(Boolean).map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** The lateness a call's audio may have before a listener hears gaps. */
const LATE_MS = 20;

type Message =
  | { readonly kind: 'listening'; readonly url: string }
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'measured';
      readonly cpuMs: number;
      readonly wallS: number;
      readonly p50: number;
      readonly p99: number;
      readonly sessions: number;
    };

function child(role: 'gateway' | 'callers', args: string[] = []): ChildProcess {
  return fork(SELF, [role, ...args], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next(process: ChildProcess, kind: Message['kind']): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message.kind !== kind) return;
      process.off('message', onMessage);
      resolve(message);
    };
    process.on('message', onMessage);
    process.once('exit', (code) => reject(new Error(`${kind}: the process exited (${code})`)));
  });
}

/** The gateway process: gateway + engine, a probe clock, and the measurement on request. */
async function runGateway(): Promise<void> {
  const { startEmbeddedEngine } = await import('../src/embedded-engine.js');
  const { createGateway } = await import('../src/gateway.js');
  const { resolveConfig } = await import('../src/config/resolve.js');
  const { Pacer } = await import('../src/media/pacer.js');
  const engine = (await startEmbeddedEngine())!;
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
      webrtc: { iceAddresses: ['127.0.0.1'] },
      log: { level: 'silent' },
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const gateway = createGateway({ config: resolved.config });
  const { url } = await gateway.listen();
  // A clock of its own on the same event loop: it ticks as late as the calls' pacing does.
  const probe = new Pacer();
  probe.add(() => {});
  let started = { cpu: process.cpuUsage(), at: Date.now() };
  process.on('message', (command: string) => {
    if (command === 'start') {
      (probe as unknown as { recorded: number }).recorded = 0;
      started = { cpu: process.cpuUsage(), at: Date.now() };
    } else if (command === 'stop') {
      const cpu = process.cpuUsage(started.cpu);
      const { p50, p99 } = probe.latenessPercentiles();
      process.send!({
        kind: 'measured',
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallS: (Date.now() - started.at) / 1000,
        p50,
        p99,
        sessions: gateway.registry.size,
      } satisfies Message);
    }
  });
  process.send!({ kind: 'listening', url } satisfies Message);
}

/** The callers' process: N werift peers, each hearing a long answer and sending quiet audio. */
async function runCallers(base: string, calls: number): Promise<void> {
  const { TestCaller, tone } = await import('../test/support/webrtc-client.js');
  const callers = [];
  for (let k = 0; k < calls; k++) {
    const caller = new TestCaller();
    callers.push(caller);
    const answer = await fetch(`${base}/v1/realtime/calls?model=gpt-realtime`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: await caller.offer(),
    });
    if (answer.status !== 201) throw new Error(await answer.text());
    await caller.accept(await answer.text());
    await caller.opened();
    // No turns from the microphone: the answer asked for below plays without interruption.
    caller.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { turn_detection: null } } },
    });
  }
  const text = 'A long stretch of speech that keeps the audio path busy for the measurement. '.repeat(30);
  for (const caller of callers) {
    caller.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    caller.send({ type: 'response.create' });
    void caller.speak(tone((SECONDS + 20) * 1000, 300, 0.002));
  }
  process.send!({ kind: 'ready' } satisfies Message);
}

async function measure(calls: number): Promise<Extract<Message, { kind: 'measured' }>> {
  const gateway = child('gateway');
  const { url } = (await next(gateway, 'listening')) as Extract<Message, { kind: 'listening' }>;
  const callers = child('callers', [url, String(calls)]);
  try {
    await next(callers, 'ready');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    gateway.send('start');
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    gateway.send('stop');
    return (await next(gateway, 'measured')) as Extract<Message, { kind: 'measured' }>;
  } finally {
    callers.kill('SIGKILL');
    gateway.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  process.stdout.write(
    `calls benchmark — node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim()}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}\n` +
      `${SECONDS} s per level; gateway and engine in one process, callers in another\n\n` +
      'calls | CPU ms per call-second | clock lateness p50 ms | p99 ms | live sessions\n' +
      '----- | ---------------------- | --------------------- | ------ | -------------\n',
  );
  let fit = 0;
  for (const calls of LEVELS) {
    const m = await measure(calls);
    const perCallSecond = m.cpuMs / (calls * m.wallS);
    process.stdout.write(
      `${String(calls).padStart(5)} | ${perCallSecond.toFixed(1).padStart(22)} | ${m.p50.toFixed(2).padStart(21)} | ${m.p99.toFixed(2).padStart(6)} | ${String(m.sessions).padStart(13)}\n`,
    );
    if (m.p99 <= LATE_MS) fit = Math.max(fit, calls);
  }
  process.stdout.write(
    `\ncalls that fit before p99 lateness passes ${LATE_MS} ms: ${fit} (of the levels run)\n`,
  );
}

const role = process.argv[2];
if (role === 'gateway') await runGateway();
else if (role === 'callers') await runCallers(process.argv[3]!, Number(process.argv[4]));
else await main();
