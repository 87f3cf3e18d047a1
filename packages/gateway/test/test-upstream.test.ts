import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServerEvent } from '@realtime-gateway/protocol';
import { WebSocket } from 'ws';
import { startTestUpstream, type TestUpstream } from './support/test-upstream.js';

/** Collects a client's messages so a test can await them in order. */
function collect(ws: WebSocket): () => Promise<Record<string, unknown>> {
  const queue: Record<string, unknown>[] = [];
  const waiters: ((event: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data) => {
    const event = JSON.parse(String(data)) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter) waiter(event);
    else queue.push(event);
  });
  return () => {
    const next = queue.shift();
    return next ? Promise.resolve(next) : new Promise((resolve) => waiters.push(resolve));
  };
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

describe('test upstream', () => {
  let upstream: TestUpstream;
  before(async () => {
    upstream = await startTestUpstream();
  });
  after(() => upstream.close());

  it('greets with a spec-valid session.created and answers response.create with a valid stream', async () => {
    const ws = new WebSocket(`${upstream.url}/v1/realtime?model=gpt-realtime`);
    const next = collect(ws);
    await opened(ws);
    const created = await next();
    const parsed = parseServerEvent(created, { strict: false });
    assert.ok(parsed.ok && parsed.known, JSON.stringify(parsed));
    assert.equal(created.type, 'session.created');
    ws.send(JSON.stringify({ type: 'response.create', event_id: 'event_1' }));
    const types: string[] = [];
    for (;;) {
      const event = await next();
      const result = parseServerEvent(event);
      assert.ok(result.ok && result.known, JSON.stringify(result));
      types.push(String(event.type));
      if (event.type === 'response.done') break;
    }
    assert.deepEqual(types, [
      'response.created',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.done',
    ]);
    const conn = upstream.connections.at(-1)!;
    assert.equal(conn.query.get('model'), 'gpt-realtime');
    assert.equal(conn.events[0]?.event_id, 'event_1');
    ws.close(4001, 'bye');
    assert.deepEqual(await conn.closed, { code: 4001, reason: 'bye' });
  });

  it('refuses an upgrade with the chosen status and a JSON body', async () => {
    upstream.behaviour.refuse = { status: 429 };
    try {
      const ws = new WebSocket(`${upstream.url}/v1/realtime`);
      const status = await new Promise<number>((resolve) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
      assert.equal(status, 429);
    } finally {
      upstream.behaviour.refuse = undefined;
    }
  });

  it('echoes text and binary frames unchanged in echo mode', async () => {
    upstream.behaviour.mode = 'echo';
    upstream.behaviour.sessionCreated = false;
    try {
      const ws = new WebSocket(upstream.url);
      const received: { data: Buffer; isBinary: boolean }[] = [];
      const done = new Promise<void>((resolve) => {
        ws.on('message', (data, isBinary) => {
          received.push({ data: data as Buffer, isBinary });
          if (received.length === 2) resolve();
        });
      });
      await opened(ws);
      ws.send('{"type":"x"}');
      ws.send(Buffer.from([1, 2, 3]));
      await done;
      assert.equal(received[0]!.isBinary, false);
      assert.equal(received[0]!.data.toString(), '{"type":"x"}');
      assert.equal(received[1]!.isBinary, true);
      assert.deepEqual([...received[1]!.data], [1, 2, 3]);
      ws.close();
    } finally {
      upstream.behaviour.mode = 'answer';
      upstream.behaviour.sessionCreated = true;
    }
  });

  it('dies mid-response without a close frame when told to', async () => {
    upstream.behaviour.dieAfterResponseEvents = 2;
    try {
      const ws = new WebSocket(upstream.url);
      const next = collect(ws);
      await opened(ws);
      await next();
      ws.send(JSON.stringify({ type: 'response.create' }));
      const code = await new Promise<number>((resolve) => ws.once('close', resolve));
      assert.equal(code, 1006);
    } finally {
      upstream.behaviour.dieAfterResponseEvents = undefined;
    }
  });

  it('answers REST calls with an SDP answer and a Location header', async () => {
    const res = await fetch(`${upstream.httpUrl}/v1/realtime/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    assert.equal(res.status, 201);
    assert.match(res.headers.get('location') ?? '', /^\/v1\/realtime\/calls\/rtc_/);
    assert.equal(res.headers.get('content-type'), 'application/sdp');
    assert.equal(upstream.requests.at(-1)?.body.toString(), 'v=0\r\n');
  });
});
