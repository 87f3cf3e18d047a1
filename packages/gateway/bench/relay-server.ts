/**
 * The relay under test, in its own process so that it has a core to itself: either a bare
 * relay of a few lines on `ws`, or the gateway with its default settings. Prints its port,
 * then answers `memory` requests (after a full GC) over IPC.
 *
 *   node --expose-gc --import tsx bench/relay-server.ts bare|gateway <upstream-port>
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway } from '../src/gateway.js';

const [kind, upstreamPort] = process.argv.slice(2);

/** The baseline: accept, dial the upstream, pipe frames both ways. */
async function bare(): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (client, req) => {
    const upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}${req.url}`, { perMessageDeflate: false });
    const early: [Buffer, boolean][] = [];
    client.on('message', (data: Buffer, isBinary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else early.push([data, isBinary]);
    });
    upstream.on('open', () => {
      for (const [data, isBinary] of early.splice(0)) upstream.send(data, { binary: isBinary });
    });
    upstream.on('message', (data: Buffer, isBinary) => client.send(data, { binary: isBinary }));
    client.on('close', () => upstream.close());
    upstream.on('close', () => client.close());
    upstream.on('error', () => client.close());
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  return (wss.address() as AddressInfo).port;
}

async function gateway(): Promise<number> {
  const resolved = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      upstreams: [{ name: 'bench', baseUrl: `http://127.0.0.1:${upstreamPort}/v1` }],
      limits: { maxSessions: 100_000, maxSessionsPerKey: 100_000 },
      log: { level: 'silent' },
    },
    { env: {}, readFile: () => '' },
  );
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const gw = createGateway({ config: resolved.config });
  return (await gw.listen()).port;
}

const port = kind === 'gateway' ? await gateway() : await bare();
process.send?.({ port });
process.once('SIGINT', () => process.exit(0));
process.on('message', (message: { cmd: string }) => {
  if (message.cmd !== 'memory') return;
  for (let k = 0; k < 3; k++) (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ memory: process.memoryUsage() });
});
