/**
 * The engine's upgrade edge, as a browser meets it: a client offering subprotocols must offer
 * `realtime`, the only one the engine answers; offering just its key subprotocol gets a 400 that
 * says so, rather than a handshake that completes without a subprotocol and then fails.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type RunningEngine, startEngine } from '../src/server.js';

const KEY = 'engine-key';

/** Opens a WebSocket; resolves with its subprotocol, or with the HTTP status and body it was refused with. */
function attempt(
  url: string,
  protocols: string[],
): Promise<{ protocol: string } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => {
      resolve({ protocol: ws.protocol });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('engine subprotocols', () => {
  let engine: RunningEngine;
  before(async () => {
    engine = await startEngine({ apiKey: KEY });
  });
  after(() => engine.close());

  it('refuses a key subprotocol offered without realtime with a 400 that says what to offer, and answers realtime offered with it', async () => {
    const result = await attempt(`${engine.url}?model=gpt-realtime`, [`openai-insecure-api-key.${KEY}`]);
    assert.ok('status' in result, 'refused');
    assert.equal(result.status, 400);
    const { error } = JSON.parse(result.body) as { error: { code: string; message: string } };
    assert.equal(error.code, 'missing_realtime_subprotocol');
    assert.match(error.message, /Offer 'realtime' alongside the key subprotocol/);
    const both = await attempt(`${engine.url}?model=gpt-realtime`, [
      'realtime',
      `openai-insecure-api-key.${KEY}`,
    ]);
    assert.deepEqual(both, { protocol: 'realtime' });
  });
});
