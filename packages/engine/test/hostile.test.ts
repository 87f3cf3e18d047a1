/**
 * The engine under hostile input, over real sockets: explicit nulls in every field of every
 * client event, fuzzed frames, and a fault inside the engine itself. Whatever a client sends,
 * the engine answers it as OpenAI would (an `invalid_request_error`) or accepts it; it never
 * fails inside (no `server_error`, no fault reported), and no other session notices.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { CLIENT_EVENT_FIXTURES } from '../../protocol/test/fixtures/events.js';
import { fuzzParameters, hostileClientFrame, nullSweep } from '../../protocol/test/support/hostile.js';
import { type RunningEngine, startEngine } from '../src/index.js';

type Event = Record<string, unknown> & { type: string };

/** A raw client: sends any frame, and can prove the session still answers, in order. */
class RawClient {
  readonly events: Event[] = [];
  private probes = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.events.push(JSON.parse(String(data)) as Event);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<RawClient> {
    const socket = new WebSocket(`${url}?model=gpt-realtime`);
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return client;
  }

  send(frame: string | Uint8Array): void {
    this.socket.send(frame, { binary: typeof frame !== 'string' });
  }

  /** Events that are errors the engine raised for a fault of its own. */
  serverErrors(): Event[] {
    return this.events.filter(
      (event) => event.type === 'error' && (event.error as { type: string }).type === 'server_error',
    );
  }

  /**
   * Sends an event that must be answered with an error naming it, and waits for that answer:
   * every frame sent before it has been handled by then.
   */
  async probe(): Promise<void> {
    const id = `probe_${++this.probes}`;
    this.send(JSON.stringify({ type: 'conversation.item.retrieve', item_id: 'item_missing', event_id: id }));
    const answered = () =>
      this.events.some(
        (event) => event.type === 'error' && (event.error as { event_id?: unknown }).event_id === id,
      );
    const deadline = Date.now() + 10_000;
    while (!answered()) {
      assert.ok(this.socket.readyState === WebSocket.OPEN, 'the session was closed');
      assert.ok(Date.now() < deadline, `no answer to ${id}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

const faults: string[] = [];
let engine: RunningEngine;

before(async () => {
  engine = await startEngine({
    onFault: (error, sessionId) => faults.push(`${sessionId}: ${String(error)}`),
  });
});
after(() => engine.close());

describe('engine under hostile input', () => {
  test('"audio": null in a session.update is an invalid_type error and the session goes on', async () => {
    const client = await RawClient.open(engine.url);
    client.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', audio: null } }));
    await client.probe();
    const error = client.events.find((event) => event.type === 'error')?.error as Record<string, unknown>;
    assert.deepEqual(
      { type: error.type, code: error.code, param: error.param },
      { type: 'invalid_request_error', code: 'invalid_type', param: 'session.audio' },
    );
    client.send(
      JSON.stringify({ type: 'session.update', session: { type: 'realtime', instructions: 'Hi.' } }),
    );
    await client.probe();
    assert.ok(client.events.some((event) => event.type === 'session.updated'));
    client.close();
  });

  test('nulls the API allows turn things off', async () => {
    const client = await RawClient.open(engine.url);
    client.send(
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          tracing: null,
          audio: { input: { transcription: null, noise_reduction: null, turn_detection: null } },
        },
      }),
    );
    await client.probe();
    const updated = client.events.find((event) => event.type === 'session.updated') as Event;
    assert.ok(updated, JSON.stringify(client.events.map((event) => event.error ?? event.type)));
    const input = (updated.session as { audio: { input: Record<string, unknown> } }).audio.input;
    assert.equal(input.turn_detection, null);
    assert.equal('transcription' in input, false);
    client.close();
  });

  test('every field of every client event set to null: answered or accepted, never a fault', async () => {
    const client = await RawClient.open(engine.url);
    const bystander = await RawClient.open(engine.url);
    const frames = nullSweep(Object.values(CLIENT_EVENT_FIXTURES));
    assert.ok(frames.length > 100, `${frames.length} frames`);
    for (const frame of frames) client.send(JSON.stringify(frame));
    await client.probe();
    await bystander.probe();
    assert.deepEqual(faults, []);
    assert.deepEqual(client.serverErrors(), []);
    client.close();
    bystander.close();
  });

  test('fuzzed frames: the session answers after each, nothing faults, another session is untouched', async () => {
    const client = await RawClient.open(engine.url);
    const bystander = await RawClient.open(engine.url);
    await fc.assert(
      fc.asyncProperty(fc.array(hostileClientFrame, { minLength: 1, maxLength: 4 }), async (frames) => {
        for (const frame of frames) client.send(frame);
        await client.probe();
      }),
      fuzzParameters(150),
    );
    await bystander.probe();
    assert.deepEqual(faults, []);
    assert.deepEqual(client.serverErrors(), []);
    assert.deepEqual(bystander.serverErrors(), []);
    client.close();
    bystander.close();
  });

  test('a fault inside the engine costs one event a server_error; that session and the others go on', async () => {
    const seen: string[] = [];
    const faulty = await startEngine({
      onEvent: (event) => {
        if (event.type === 'conversation.item.added' && JSON.stringify(event).includes('explode')) {
          throw new Error('fault while sending');
        }
      },
      onFault: (error, sessionId) => seen.push(`${sessionId} ${(error as Error).message}`),
    });
    try {
      const victim = await RawClient.open(faulty.url);
      const other = await RawClient.open(faulty.url);
      const userText = (text: string, id: string) =>
        JSON.stringify({
          type: 'conversation.item.create',
          event_id: id,
          item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
        });
      victim.send(userText('explode', 'event_bad'));
      await victim.probe();
      const failure = victim.serverErrors()[0]?.error as Record<string, unknown> | undefined;
      assert.equal(failure?.event_id, 'event_bad');
      assert.equal(seen.length, 1);
      assert.match(seen[0]!, /^sess_\S+ fault while sending$/);
      victim.send(userText('fine', 'event_good'));
      other.send(userText('fine too', 'event_other'));
      await victim.probe();
      await other.probe();
      assert.ok(victim.events.some((event) => event.type === 'conversation.item.done'));
      assert.ok(other.events.some((event) => event.type === 'conversation.item.done'));
      assert.deepEqual(other.serverErrors(), []);
      victim.close();
      other.close();
    } finally {
      await faulty.close();
    }
  });
});
