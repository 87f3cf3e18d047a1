/**
 * The gateway under hostile input, over real sockets: fuzzed client frames through the gateway
 * to an upstream that echoes what it gets (so every frame is seen to be either answered by the
 * gateway or forwarded byte for byte) and to the reference engine (so nothing a client sends
 * can fault the engine behind it); oversized fields that must not flood the log; and a fault
 * inside one session's handling that must cost only that event.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { parseClientEvent } from '@realtime-gateway/protocol';
import fc from 'fast-check';
import { fuzzParameters, hostileClientFrame } from '../../protocol/test/support/hostile.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { MAX_LOG_STRING } from '../src/observability/log-bounds.js';
import { createLogger } from '../src/observability/logger.js';
import { FORWARD, type MiddlewareFactory } from '../src/session/middleware.js';
import { connect, eventually, type Rig, startRig, type TestClient, testConfig } from './support/harness.js';

/** A logger whose lines the test can read. */
function capturedLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

const decoder = new TextDecoder();
const asText = (frame: string | Uint8Array): string =>
  typeof frame === 'string' ? frame : decoder.decode(frame);

/** Frames since `from`, as text, with their parsed value when they are JSON. */
function framesSince(
  client: TestClient,
  from: number,
): { text: string; event: Record<string, unknown> | null }[] {
  return client.frames.slice(from).map(({ data }) => {
    const text = data.toString('utf8');
    try {
      return { text, event: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { text, event: null };
    }
  });
}

let probes = 0;

/** Sends a valid event the upstream echoes, and waits for the echo: everything before it is answered. */
async function echoProbe(client: TestClient): Promise<void> {
  const probe = JSON.stringify({ type: 'input_audio_buffer.clear', event_id: `probe_${++probes}` });
  client.send(probe);
  await eventually(() => client.frames.some(({ data }) => data.toString('utf8') === probe), 10_000, probe);
}

describe('gateway under hostile input, to an echoing upstream', () => {
  let rig: Rig;
  let lines: string[];

  before(async () => {
    const captured = capturedLogger();
    lines = captured.lines;
    // MCP emulation off: this upstream runs client-declared MCP tools itself, so the gateway
    // only checks and relays (the engine suite below covers the MCP extension).
    rig = await startRig(
      { limits: { maxFrameBytes: 1024 * 1024 } },
      { log: captured.log },
      { mode: 'echo' },
      { mcpTools: 'native' },
    );
  });
  after(() => rig.close());

  test('every fuzzed frame is answered with an error or forwarded unchanged; a bystander is untouched', async () => {
    const client = await connect(`${rig.url}?model=gpt-realtime`);
    const bystander = await connect(`${rig.url}?model=gpt-realtime`);
    await echoProbe(client);
    await fc.assert(
      fc.asyncProperty(fc.array(hostileClientFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const from = client.frames.length;
        for (const frame of frames) client.send(typeof frame === 'string' ? frame : Buffer.from(frame));
        await echoProbe(client);
        const received = framesSince(client, from).slice(0, -1);
        const unechoed = frames.filter((frame) => parseClientEvent(frame).ok).map(asText);
        for (const { text, event } of received) {
          const echo = unechoed.indexOf(text);
          if (echo !== -1) unechoed.splice(echo, 1);
          else {
            assert.equal(event?.type, 'error', text.slice(0, 200));
            assert.equal((event?.error as { type?: unknown } | undefined)?.type, 'invalid_request_error');
          }
        }
        assert.deepEqual(unechoed, [], 'every valid frame comes back from the upstream unchanged');
        assert.equal(received.length, frames.length, 'one frame back per frame sent: its echo or an error');
      }),
      fuzzParameters(100),
    );
    await echoProbe(bystander);
    assert.equal(bystander.frames.length, 2, 'the bystander saw its greeting and its probe only');
    assert.equal(rig.gateway.registry.size, 2);
    client.socket.close();
    bystander.socket.close();
  });

  test('no log line grows with what a client sends', async () => {
    const client = await connect(`${rig.url}?model=gpt-realtime`);
    const before = lines.length;
    const huge = 'x'.repeat(1024 * 1024);
    // Over the frame limit (a peeked 1 MiB type), and a 1 MiB field name in the error's param.
    for (let i = 0; i < 10; i++) client.send(JSON.stringify({ type: huge }));
    for (let i = 0; i < 10; i++)
      client.send(JSON.stringify({ type: 'response.create', response: { metadata: { [huge]: 1 } } }));
    await echoProbe(client);
    const written = lines.slice(before);
    const bytes = written.reduce((n, line) => n + line.length, 0);
    assert.ok(bytes < 20 * 1024, `20 malformed 1 MiB frames wrote ${bytes} bytes of log`);
    const warned = written.filter((line) => line.includes('malformed client frame'));
    assert.equal(warned.length, 10, 'a session logs its first ten malformed frames, then counts them');
    const cut = `x{${MAX_LOG_STRING}}…\\[${1024 * 1024 - MAX_LOG_STRING} more characters\\]`;
    assert.match(warned[0]!, new RegExp(`"type":"${cut}"`));
    client.socket.close();
    await eventually(() => lines.slice(before).some((line) => line.includes('"malformedFrames":20')));
    for (const line of lines) assert.ok(line.length < 4096, `a log line of ${line.length} characters`);
  });
});

describe('gateway under hostile input, to the reference engine', () => {
  const faults: string[] = [];
  let engine: RunningEngine;
  let gateway: Gateway;
  let url: string;

  before(async () => {
    engine = await startEngine({
      onFault: (error, sessionId) => faults.push(`${sessionId}: ${String(error)}`),
    });
    const config = testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
    });
    gateway = createGateway({ config });
    url = (await gateway.listen()).realtimeUrl;
  });
  after(async () => {
    await gateway.close();
    await engine.close();
  });

  /** An event the engine answers with an error naming it: the session has handled all before it. */
  async function engineProbe(client: TestClient): Promise<void> {
    const id = `probe_${++probes}`;
    client.send({ type: 'conversation.item.retrieve', item_id: 'item_missing', event_id: id });
    await eventually(
      () =>
        framesSince(client, 0).some(
          ({ event }) => event?.type === 'error' && (event.error as { event_id?: unknown }).event_id === id,
        ),
      10_000,
      id,
    );
  }

  const serverErrors = (client: TestClient) =>
    framesSince(client, 0).filter(
      ({ event }) => event?.type === 'error' && (event.error as { type?: unknown }).type === 'server_error',
    );

  test('"audio": null reaches the engine, which answers invalid_type; the session goes on', async () => {
    const client = await connect(`${url}?model=gpt-realtime`);
    client.send({ type: 'session.update', session: { type: 'realtime', audio: null } });
    const error = (await client.waitFor('error')).error as Record<string, unknown>;
    assert.equal(error.code, 'invalid_type');
    assert.equal(error.param, 'session.audio');
    client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Go on.' } });
    await client.waitFor('session.updated');
    client.socket.close();
  });

  test('fuzzed frames never fault the engine behind the gateway; a bystander is untouched', async () => {
    const client = await connect(`${url}?model=gpt-realtime`);
    const bystander = await connect(`${url}?model=gpt-realtime`);
    await fc.assert(
      fc.asyncProperty(fc.array(hostileClientFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
        for (const frame of frames) client.send(typeof frame === 'string' ? frame : Buffer.from(frame));
        await engineProbe(client);
      }),
      fuzzParameters(100),
    );
    await engineProbe(bystander);
    assert.deepEqual(faults, []);
    assert.deepEqual(serverErrors(client), []);
    assert.deepEqual(serverErrors(bystander), []);
    client.socket.close();
    bystander.socket.close();
  });
});

describe('a fault inside one session', () => {
  test('costs that event an error naming it; the session and another session go on', async () => {
    const faulty: MiddlewareFactory = () => ({
      name: 'faulty',
      client: new Set(['response.create']),
      onClient(frame) {
        if (frame.eventId === 'event_boom') throw new Error('middleware defect');
        return FORWARD;
      },
    });
    const captured = capturedLogger();
    const rig = await startRig({}, { middleware: [faulty], log: captured.log }, { mode: 'echo' });
    try {
      const victim = await connect(`${rig.url}?model=gpt-realtime`);
      const other = await connect(`${rig.url}?model=gpt-realtime`);
      victim.send({ type: 'response.create', event_id: 'event_boom' });
      other.send({ type: 'response.create', event_id: 'event_other' });
      await echoProbe(victim);
      await echoProbe(other);
      const failure = framesSince(victim, 0).find(({ event }) => event?.type === 'error')?.event;
      assert.deepEqual(failure?.error, {
        type: 'server_error',
        code: 'internal_error',
        message: 'The gateway failed to handle this event.',
        param: null,
        event_id: 'event_boom',
      });
      const echoed = (client: TestClient) =>
        framesSince(client, 0).filter(({ event }) => event?.type === 'response.create').length;
      assert.equal(echoed(victim), 0, 'the failed event is not forwarded');
      assert.equal(echoed(other), 1, 'the other session is untouched');
      assert.deepEqual(
        framesSince(other, 0).filter(({ event }) => event?.type === 'error'),
        [],
      );
      victim.send({ type: 'response.create', event_id: 'event_fine' });
      await echoProbe(victim);
      assert.equal(echoed(victim), 1, 'the session goes on');
      const logged = captured.lines.filter((line) => line.includes('relaying a frame failed'));
      assert.equal(logged.length, 1);
      const counted = await rig.gateway.metrics?.registry.getSingleMetricAsString(
        'realtime_gateway_relay_errors_total',
      );
      assert.match(counted ?? '', /reason="internal_error"} 1$/m);
      assert.match(logged[0]!, /"sessionId":"sess_[^"]+".*"err":"middleware defect"/);
      assert.equal(rig.gateway.registry.size, 2);
    } finally {
      await rig.close();
    }
  });
});
