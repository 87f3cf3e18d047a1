import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServerEvent } from '@realtime-gateway/protocol';
import { WebSocket } from 'ws';
import type { SessionObserver } from '../src/session/observer.js';
import { connect, delay, eventually, type Rig, startRig } from './support/harness.js';

const MODEL = 'gpt-realtime';

describe('relay', () => {
  let rig: Rig;
  before(async () => {
    // The relay alone: a lost upstream ends the session (continuity-e2e.test.ts replaces it).
    rig = await startRig({ continuity: { enabled: false } });
  });
  after(() => rig.close());

  it('delivers the greeting the upstream sent before the client upgrade completed', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    await rig.upstream.nextConnection();
    const created = await client.next();
    assert.equal(created.type, 'session.created');
    const parsed = parseServerEvent(created);
    assert.ok(parsed.ok && parsed.known);
    client.socket.close();
    await client.closed;
  });

  it('passes client text frames byte for byte and in order', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    const conn = await rig.upstream.nextConnection();
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      // Unusual but valid JSON: whitespace, unknown fields, explicit nulls, key order.
      const frame =
        i % 3 === 0
          ? `{ "audio": "${'QUJD'.repeat(i % 7)}" , "type" : "input_audio_buffer.append", "event_id": "event_${i}" }`
          : `{"type":"conversation.item.retrieve","item_id":"item_${i}","x-extra":{"n":${i}},"event_id":null}`;
      sent.push(frame);
      client.send(frame);
    }
    await eventually(() => conn.frames.length === 200, 5000, '200 frames upstream');
    assert.deepEqual(
      conn.frames.map((f) => f.text),
      sent,
    );
    assert.ok(conn.frames.every((f) => !f.isBinary));
    client.socket.close();
  });

  it('passes upstream frames byte for byte and in order', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    const conn = await rig.upstream.nextConnection();
    await client.nextFrame();
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const frame = `{"type":"response.output_audio.delta" ,"event_id":"e${i}","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"${'AAAA'.repeat(i)}","vendor":null}`;
      sent.push(frame);
      conn.send(frame);
    }
    const received: string[] = [];
    for (let i = 0; i < 200; i++) received.push((await client.nextFrame()).data.toString('utf8'));
    assert.deepEqual(received, sent);
    client.socket.close();
  });

  it('passes binary frames unchanged both ways', async () => {
    rig.upstream.behaviour.mode = 'echo';
    const client = await connect(`${rig.url}?model=${MODEL}`);
    try {
      await rig.upstream.nextConnection();
      await client.nextFrame();
      // A binary frame carrying a valid event passes input checking and stays binary.
      const bytes = Buffer.from('{"type":"input_audio_buffer.append","audio":"AAEC"}');
      client.send(bytes);
      const echoed = await client.nextFrame();
      assert.equal(echoed.isBinary, true);
      assert.deepEqual(echoed.data, bytes);
    } finally {
      client.socket.close();
      await client.closed;
      rig.upstream.behaviour.mode = 'answer';
    }
  });

  it("relays the client's close code and reason to the upstream", async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    const conn = await rig.upstream.nextConnection();
    client.socket.close(4321, 'client leaving');
    assert.deepEqual(await conn.closed, { code: 4321, reason: 'client leaving' });
    assert.equal((await client.closed).code, 4321);
  });

  it("relays the upstream's close code and reason to the client", async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    const conn = await rig.upstream.nextConnection();
    await client.nextFrame();
    conn.close(4100, 'upstream says bye');
    assert.deepEqual(await client.closed, { code: 4100, reason: 'upstream says bye' });
    await eventually(() => rig.gateway.registry.size === 0, 2000, 'registry empty');
  });

  it('sends an error event and closes 1011 when the upstream dies mid-response', async () => {
    rig.upstream.behaviour.dieAfterResponseEvents = 3;
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      await client.waitFor('session.created');
      client.send({ type: 'response.create', event_id: 'event_go' });
      const types: string[] = [];
      let error: Record<string, unknown> | undefined;
      for (;;) {
        const event = await client.next();
        if (event.type === 'error') {
          error = event;
          break;
        }
        types.push(String(event.type));
      }
      assert.deepEqual(types, [
        'response.created',
        'response.output_text.delta',
        'response.output_text.delta',
      ]);
      const parsed = parseServerEvent(error);
      assert.ok(parsed.ok && parsed.known, 'the error event is spec-shaped');
      assert.equal((error.error as Record<string, unknown>).code, 'upstream_lost');
      assert.equal((await client.closed).code, 1011);
    } finally {
      rig.upstream.behaviour.dieAfterResponseEvents = undefined;
    }
  });

  it('lists the session in the registry with its counters while it runs', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    await rig.upstream.nextConnection();
    await client.nextFrame();
    client.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
    await client.waitFor('response.output_audio.delta');
    const [snapshot] = rig.gateway.registry.list();
    assert.ok(snapshot);
    assert.equal(snapshot.model, MODEL);
    assert.equal(snapshot.upstream, 'test');
    assert.equal(snapshot.state, 'open');
    assert.equal(snapshot.clientFrames, 1);
    assert.equal(snapshot.upstreamFrames, 2);
    assert.ok(snapshot.clientBytes > 0 && snapshot.upstreamBytes > snapshot.clientBytes);
    client.socket.close();
    await eventually(() => rig.gateway.registry.size === 0, 2000, 'registry empty');
  });
});

describe('keepalive', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ limits: { keepaliveMs: 40 }, continuity: { enabled: false } });
  });
  after(() => rig.close());

  it('pings both legs', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    let clientPings = 0;
    client.socket.on('ping', () => clientPings++);
    const conn = await rig.upstream.nextConnection();
    await eventually(() => clientPings >= 2 && conn.pings >= 2, 3000, 'pings on both legs');
    assert.equal(client.socket.readyState, WebSocket.OPEN);
    client.socket.close();
  });

  it('treats an upstream that stops answering pings as lost: error event, then 1011', async () => {
    rig.upstream.behaviour.answerPings = false;
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      const error = await client.waitFor('error');
      assert.equal((error.error as Record<string, unknown>).code, 'upstream_lost');
      assert.equal((await client.closed).code, 1011);
    } finally {
      rig.upstream.behaviour.answerPings = true;
    }
  });

  it('drops a client that stops answering pings and closes the upstream leg', async () => {
    const socket = new WebSocket(`${rig.url}?model=${MODEL}`, { autoPong: false });
    await new Promise((resolve) => socket.once('open', resolve));
    const conn = await rig.upstream.nextConnection();
    const closed = await conn.closed;
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, 'client connection lost');
    socket.terminate();
  });
});

describe('backpressure', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ limits: { highWaterBytes: 64 * 1024, maxBufferedBytes: 64 * 1024 * 1024 } });
  });
  after(() => rig.close());

  it('stops reading from the upstream while the client cannot keep up, then delivers everything in order', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`);
    const conn = await rig.upstream.nextConnection();
    await client.nextFrame();
    client.socket.pause();
    const count = 400;
    const payload = 'A'.repeat(64 * 1024);
    for (let i = 0; i < count; i++)
      conn.send(`{"type":"response.output_audio.delta","event_id":"e${i}","delta":"${payload}"}`);
    // 25 MB sent; the gateway must hold back rather than read it all.
    await eventually(() => rig.gateway.registry.list()[0]?.upstreamFrames !== undefined, 2000, 'session');
    await delay(300);
    const relayedWhilePaused = rig.gateway.registry.list()[0]!.upstreamFrames;
    assert.ok(relayedWhilePaused < count, `gateway read ${relayedWhilePaused} of ${count} frames`);
    assert.ok(
      conn.socket.bufferedAmount > 0,
      'the upstream has writes queued because the gateway stopped reading',
    );
    client.socket.resume();
    for (let i = 0; i < count; i++) {
      const frame = await client.nextFrame();
      assert.ok(
        frame.data.toString('utf8').startsWith(`{"type":"response.output_audio.delta","event_id":"e${i}"`),
      );
    }
    assert.equal(client.socket.readyState, WebSocket.OPEN);
    client.socket.close();
  });

  it('stops reading from the client while the upstream cannot keep up', async () => {
    rig.upstream.behaviour.pauseReading = true;
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      const conn = await rig.upstream.nextConnection();
      const payload = 'QUFB'.repeat(16 * 1024);
      const count = 400;
      for (let i = 0; i < count; i++) {
        client.send(`{"type":"input_audio_buffer.append","event_id":"e${i}","audio":"${payload}"}`);
      }
      await delay(300);
      const read = rig.gateway.registry.list()[0]!.clientFrames;
      assert.ok(read < count, `gateway read ${read} of ${count} frames`);
      conn.resumeReading();
      await eventually(() => conn.frames.length === count, 10_000, 'all frames upstream');
      assert.deepEqual(
        conn.frames.map((f) => JSON.parse(f.text).event_id),
        Array.from({ length: count }, (_, i) => `e${i}`),
      );
      client.socket.close();
    } finally {
      rig.upstream.behaviour.pauseReading = false;
    }
  });
});

describe('observer hooks', () => {
  it('reports session start and end, every frame with its type, token usage and relay errors', async () => {
    const seen = {
      started: [] as string[],
      ended: [] as string[],
      frames: [] as string[],
      usage: [] as number[],
      errors: [] as string[],
    };
    const observer: SessionObserver = {
      sessionStarted: (info) => seen.started.push(info.model),
      sessionEnded: (info, cause, durationMs) => {
        assert.ok(durationMs >= 0);
        seen.ended.push(`${info.upstreamName}:${cause}`);
      },
      frame: (_info, direction, type, bytes) => {
        assert.ok(bytes > 0);
        seen.frames.push(`${direction === 'client_to_upstream' ? '>' : '<'}${type}`);
      },
      usage: (_info, usage) => seen.usage.push(usage.total_tokens ?? -1),
      relayError: (_info, reason) => seen.errors.push(reason),
      upstreamReplaced: () => assert.fail('no upstream was replaced'),
      clientResume: () => assert.fail('no client could resume'),
    };
    const rig = await startRig({}, { observer });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      client.send('not json');
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      client.socket.close();
      await client.closed;
      await eventually(() => seen.ended.length === 1, 2000, 'session end');
      assert.deepEqual(seen.started, [MODEL]);
      assert.deepEqual(seen.ended, ['test:client_closed']);
      assert.deepEqual(seen.frames, [
        '<session.created',
        '>null',
        // The error input checking injected is counted like every frame that reaches the client.
        '<error',
        '>response.create',
        '<response.created',
        '<response.output_text.delta',
        '<response.output_text.delta',
        '<response.output_text.delta',
        '<response.output_text.done',
        '<response.done',
      ]);
      assert.deepEqual(seen.usage, [30]);
      assert.deepEqual(seen.errors, ['invalid_client_frame']);
    } finally {
      await rig.close();
    }
  });
});
