/**
 * Protocol benchmark: events per second for peeking, for full parse and validation, and for
 * plain `JSON.parse` as the floor, on a realistic mix of events and on a 100 KB audio frame,
 * all in one run on one machine so the ratios are comparable.
 *
 *   npm run bench -w @realtime-gateway/protocol
 *   BENCH_SECONDS=3 npm run bench -w @realtime-gateway/protocol
 *
 * Each line also counts the garbage collections during it: 0 means the operation allocated
 * nothing on the JavaScript heap in millions of calls.
 */
import { cpus, totalmem } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseClientEvent, parseServerEvent, peekEventType } from '@realtime-gateway/protocol';
import { AUDIO_20MS, CLIENT_EVENT_FIXTURES, SERVER_EVENT_FIXTURES } from '../test/fixtures/events.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

interface Frame {
  readonly side: 'client' | 'server';
  readonly text: string;
  readonly bytes: Uint8Array;
}

// Bytes are Buffers, as the `ws` library delivers them; one line below measures a plain
// Uint8Array, as a browser or worker would have after `new Uint8Array(arrayBuffer)`.
const frame = (side: Frame['side'], event: unknown): Frame => {
  const text = JSON.stringify(event);
  return { side, text, bytes: Buffer.from(text) };
};

/**
 * A voice session's traffic: per second, 50 audio appends up and 50 audio deltas down, with
 * transcript deltas, a few control events and the rest of the protocol at a low rate.
 */
function realisticMix(): Frame[] {
  const mix: Frame[] = [];
  const push = (count: number, side: Frame['side'], event: unknown): void => {
    for (let k = 0; k < count; k++) mix.push(frame(side, event));
  };
  push(50, 'client', CLIENT_EVENT_FIXTURES['input_audio_buffer.append']);
  push(50, 'server', SERVER_EVENT_FIXTURES['response.output_audio.delta']);
  push(20, 'server', SERVER_EVENT_FIXTURES['response.output_audio_transcript.delta']);
  push(10, 'server', SERVER_EVENT_FIXTURES['response.output_text.delta']);
  for (const event of Object.values(CLIENT_EVENT_FIXTURES)) push(1, 'client', event);
  for (const event of Object.values(SERVER_EVENT_FIXTURES)) push(1, 'server', event);
  // Interleave so that neither side's events run as one long block.
  return mix
    .map((f, k) => ({ f, key: (k * 7919) % mix.length }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.f);
}

/** A 100 KB audio append: about 1.04 s of 24 kHz PCM16, with the type first as SDKs send it. */
function largeAudioFrame(): Frame {
  const audio = AUDIO_20MS.repeat(Math.ceil(100_000 / AUDIO_20MS.length)).slice(0, 100_000 - 80);
  return frame('client', {
    type: 'input_audio_buffer.append',
    event_id: 'event_C9Gx4Wx5Yz6Ab7Cd8Ef9G',
    audio,
  });
}

let sink = 0;
let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Runs `fn` over `frames` round-robin for about SECONDS; returns frames per second and the GCs
 * in that time (the observer reports them asynchronously, so the loop settles before and after).
 */
async function measure(
  frames: readonly Frame[],
  fn: (f: Frame) => unknown,
): Promise<{ perSecond: number; gcs: number }> {
  const warmUntil = performance.now() + 200;
  let k = 0;
  while (performance.now() < warmUntil) {
    if (fn(frames[k++ % frames.length]!)) sink++;
  }
  let count = 0;
  await settle();
  collections = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let now = start;
  while (now < end) {
    for (let batch = 0; batch < 256; batch++) if (fn(frames[count++ % frames.length]!)) sink++;
    now = performance.now();
  }
  const perSecond = count / ((now - start) / 1000);
  await settle();
  return { perSecond, gcs: collections };
}

const decoder = new TextDecoder();
const parseEither = (f: Frame) =>
  (f.side === 'client' ? parseClientEvent(f.text) : parseServerEvent(f.text)).ok;
const parseEitherBytes = (f: Frame) =>
  (f.side === 'client' ? parseClientEvent(f.bytes) : parseServerEvent(f.bytes)).ok;

interface Row {
  readonly workload: string;
  readonly operation: string;
  readonly perSecond: number;
  /** Garbage collections while the line ran. */
  readonly gcs: number;
}

async function run(): Promise<void> {
  const mix = realisticMix();
  const large = [largeAudioFrame()];
  const rows: Row[] = [];
  const add = async (
    workload: string,
    operation: string,
    frames: readonly Frame[],
    fn: (f: Frame) => unknown,
  ) => {
    rows.push({ workload, operation, ...(await measure(frames, fn)) });
  };

  await add('mix', 'JSON.parse (text)', mix, (f) => JSON.parse(f.text));
  await add('mix', 'peekEventType (text)', mix, (f) => peekEventType(f.text));
  await add('mix', 'parse + validate (text)', mix, parseEither);
  await add('mix', 'JSON.parse (bytes, decoded)', mix, (f) => JSON.parse(decoder.decode(f.bytes)));
  await add('mix', 'peekEventType (bytes)', mix, (f) => peekEventType(f.bytes));
  await add('mix', 'parse + validate (bytes)', mix, parseEitherBytes);
  await add('100 KB audio', 'JSON.parse (text)', large, (f) => JSON.parse(f.text));
  await add('100 KB audio', 'peekEventType (text)', large, (f) => peekEventType(f.text));
  await add('100 KB audio', 'JSON.parse (bytes, decoded)', large, (f) => JSON.parse(decoder.decode(f.bytes)));
  await add('100 KB audio', 'peekEventType (bytes)', large, (f) => peekEventType(f.bytes));
  await add(
    '100 KB audio',
    'peekEventType (Uint8Array)',
    [{ ...large[0]!, bytes: new Uint8Array(large[0]!.bytes) }],
    (f) => peekEventType(f.bytes),
  );

  const rate = (workload: string, operation: string): number =>
    rows.find((r) => r.workload === workload && r.operation === operation)!.perSecond;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `protocol benchmark — node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(
    `mix: ${mix.length} frames, ${Math.round(mix.reduce((n, f) => n + f.text.length, 0) / mix.length)} bytes on average; large frame: ${large[0]!.text.length} bytes; ${SECONDS} s per line\n`,
  );
  console.log('workload      | operation                    |     events/s | vs JSON.parse |    GCs');
  console.log('------------- | ---------------------------- | ------------ | ------------- | ------');
  for (const row of rows) {
    const floor = rate(
      row.workload,
      row.operation.includes('(text)') ? 'JSON.parse (text)' : 'JSON.parse (bytes, decoded)',
    );
    console.log(
      `${row.workload.padEnd(13)} | ${row.operation.padEnd(28)} | ${Math.round(row.perSecond).toLocaleString('en-US').padStart(12)} | ${(row.perSecond / floor).toFixed(2).padStart(12)}× | ${String(row.gcs).padStart(6)}`,
    );
  }
  const targets: [string, number, number][] = [
    [
      'peek of the 100 KB frame (text) vs JSON.parse',
      rate('100 KB audio', 'peekEventType (text)') / rate('100 KB audio', 'JSON.parse (text)'),
      20,
    ],
    [
      'peek of the 100 KB frame (Buffer) vs JSON.parse',
      rate('100 KB audio', 'peekEventType (bytes)') / rate('100 KB audio', 'JSON.parse (bytes, decoded)'),
      20,
    ],
    [
      'parse + validate of the mix vs JSON.parse',
      rate('mix', 'parse + validate (text)') / rate('mix', 'JSON.parse (text)'),
      0.5,
    ],
  ];
  console.log('\ntarget                                           | measured | target | result');
  for (const [name, measured, target] of targets) {
    console.log(
      `${name.padEnd(48)} | ${measured.toFixed(2).padStart(7)}× | ≥ ${String(target).padStart(3)}× | ${measured >= target ? 'met' : 'MISSED'}`,
    );
  }
  if (sink < 0) console.log(sink);
}

await run();
