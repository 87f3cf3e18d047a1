/**
 * MCP tool round trip benchmark: the gateway's own overhead when the model calls a gateway
 * tool, excluding the tool's time. A scripted upstream streams a response with one function
 * call and measures from its first event to the gateway's follow-up `response.create` (the
 * output injected before it). The same tool is called directly through an MCP client the same
 * number of times; the difference of the medians is the gateway's overhead.
 *
 *   node --conditions=source --import tsx bench/mcp.bench.ts
 *   BENCH_ITERATIONS=500 node --conditions=source --import tsx bench/mcp.bench.ts
 */
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway } from '../src/gateway.js';
import { McpConnection } from '../src/mcp/connection.js';
import { percentile } from './stats.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const STDIO_SERVER = fileURLToPath(new URL('../test/support/mcp-stdio-server.ts', import.meta.url));
const server = { command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER, 'bench'] };

/** One scripted response in which the model calls `crm__echo`. */
function functionCallResponse(n: number): string[] {
  const response = `resp_bench${n}`;
  const item = {
    id: `item_bench${n}`,
    object: 'realtime.item',
    type: 'function_call',
    status: 'completed',
    call_id: `call_${n}`,
    name: 'crm__echo',
    arguments: '{"text":"x"}',
  };
  const at = { response_id: response, item_id: item.id, output_index: 0, call_id: item.call_id };
  return [
    {
      type: 'response.created',
      event_id: `e${n}a`,
      response: { id: response, object: 'realtime.response', status: 'in_progress', output: [] },
    },
    {
      type: 'response.output_item.added',
      event_id: `e${n}b`,
      response_id: response,
      output_index: 0,
      item: { ...item, status: 'in_progress', arguments: '' },
    },
    {
      type: 'response.function_call_arguments.done',
      event_id: `e${n}c`,
      ...at,
      name: item.name,
      arguments: item.arguments,
    },
    { type: 'response.output_item.done', event_id: `e${n}d`, response_id: response, output_index: 0, item },
    {
      type: 'response.done',
      event_id: `e${n}e`,
      response: { id: response, object: 'realtime.response', status: 'completed', output: [item] },
    },
  ].map((e) => JSON.stringify(e));
}

async function main(): Promise<void> {
  // The scripted upstream: waits for the gateway's tools, then plays one call at a time.
  const samples: number[] = [];
  let upstreamSocket: WebSocket | null = null;
  let toolsReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (toolsReady = resolve));
  let awaiting: ((t: number) => void) | null = null;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    upstreamSocket = ws;
    ws.send(
      JSON.stringify({
        type: 'session.created',
        event_id: 'e0',
        session: { type: 'realtime', id: 'sess_b', object: 'realtime.session' },
      }),
    );
    ws.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString()) as { type: string; session?: { tools?: { name: string }[] } };
      if (event.type === 'session.update' && event.session?.tools?.some((t) => t.name === 'crm__echo'))
        toolsReady();
      if (event.type === 'response.create') awaiting?.(performance.now());
    });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      upstreams: [
        { name: 'scripted', baseUrl: `http://127.0.0.1:${(wss.address() as AddressInfo).port}/v1` },
      ],
      mcp: { servers: [{ name: 'crm', transport: 'stdio', ...server }] },
      log: { level: 'silent' },
    },
    { env: { PATH: process.env.PATH ?? '' }, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const gateway = createGateway({ config: resolved.config });
  const { realtimeUrl } = await gateway.listen();
  const client = new WebSocket(`${realtimeUrl}?model=gpt-realtime`);
  client.on('message', () => {});
  await ready;

  for (let n = 0; n < ITERATIONS + 20; n++) {
    const done = new Promise<number>((resolve) => (awaiting = resolve));
    const started = performance.now();
    for (const frame of functionCallResponse(n)) upstreamSocket!.send(frame);
    const ended = await done;
    if (n >= 20) samples.push(ended - started);
  }

  // The tool's own time, called the same way from a client in this process.
  const direct = new McpConnection({
    label: 'crm',
    transport: { kind: 'stdio', ...server, env: { PATH: process.env.PATH ?? '' } },
    allowedTools: null,
    callTimeoutMs: 10_000,
    connectTimeoutMs: 10_000,
  });
  const toolTimes: number[] = [];
  for (let n = 0; n < ITERATIONS + 20; n++) {
    const started = performance.now();
    await direct.callTool('echo', { text: 'x' });
    if (n >= 20) toolTimes.push(performance.now() - started);
  }
  await direct.close();
  client.close();
  await gateway.close();
  wss.close();

  const roundTrip50 = percentile(samples, 50);
  const tool50 = percentile(toolTimes, 50);
  const overhead50 = roundTrip50 - tool50;
  const overhead99 = percentile(samples, 99) - percentile(toolTimes, 99);
  console.log(
    `MCP tool round trip — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${ITERATIONS} calls`,
  );
  console.log(
    `round trip through the gateway  p50 ${roundTrip50.toFixed(3)} ms  p99 ${percentile(samples, 99).toFixed(3)} ms`,
  );
  console.log(
    `tool call alone (stdio)         p50 ${tool50.toFixed(3)} ms  p99 ${percentile(toolTimes, 99).toFixed(3)} ms`,
  );
  console.log(
    `gateway overhead                p50 ${overhead50.toFixed(3)} ms  p99 ${overhead99.toFixed(3)} ms`,
  );
  console.log(`target: overhead ≤ 2 ms at p50 — ${overhead50 <= 2 ? 'met' : 'MISSED'}`);
}

await main();
