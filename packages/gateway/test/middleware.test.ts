import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerEvent } from '@realtime-gateway/protocol';
import {
  DROP,
  FORWARD,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
} from '../src/session/middleware.js';
import type { SessionInfo } from '../src/vocabulary/session.js';
import { connect, eventually, startRig } from './support/harness.js';

/**
 * A small real middleware: it prefixes the instructions of every session.update, hides text
 * deltas containing a banned word, greets the client on open, and after each response tells
 * the upstream to clear its input buffer.
 */
function moderation(log: string[]): MiddlewareFactory {
  return (info: SessionInfo): Middleware | null => {
    if (info.model === 'unmoderated') return null;
    let signal: AbortSignal | null = null;
    return {
      name: 'moderation',
      client: new Set(['session.update']),
      upstream: new Set(['response.output_text.delta', 'response.done']),
      open(ctx: MiddlewareContext) {
        signal = ctx.signal;
        log.push(`open ${ctx.info.model} via ${ctx.info.upstreamName}`);
        ctx.sendClient({
          type: 'conversation.item.added',
          event_id: 'event_ext_greeting',
          previous_item_id: null,
          item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'moderated' }] },
        } as ServerEvent);
      },
      onClient(frame) {
        const event = frame.event;
        if (event?.type !== 'session.update' || event.session.type !== 'realtime') return FORWARD;
        const instructions = `Be kind. ${event.session.instructions ?? ''}`;
        return { action: 'replace', event: { ...event, session: { ...event.session, instructions } } };
      },
      onUpstream(frame, ctx) {
        const event = frame.event;
        if (event?.type === 'response.output_text.delta')
          return event.delta.includes('word1') ? DROP : FORWARD;
        if (event?.type === 'response.done') ctx.sendUpstream({ type: 'input_audio_buffer.clear' });
        return FORWARD;
      },
      close() {
        log.push(`close aborted=${signal?.aborted}`);
        return undefined;
      },
    };
  };
}

describe('session middleware', () => {
  it('see only the types they asked for, and can replace, drop and inject in order', async () => {
    const log: string[] = [];
    const rig = await startRig({}, { middleware: [moderation(log)] });
    try {
      const client = await connect(`${rig.url}?model=gpt-realtime`);
      const conn = await rig.upstream.nextConnection();
      // The injected greeting comes before anything the upstream sent.
      const first = await client.next();
      assert.equal(first.event_id, 'event_ext_greeting');
      assert.equal((await client.next()).type, 'session.created');

      client.send({
        type: 'session.update',
        event_id: 'event_u',
        session: { type: 'realtime', instructions: 'Hi.' },
      });
      const updated = await client.waitFor('session.updated');
      assert.equal((updated.session as Record<string, unknown>).instructions, 'Be kind. Hi.');
      const sentUp = await conn.waitForEvent('session.update');
      assert.equal(sentUp.event_id, 'event_u');

      // Audio appends are not listed: they pass as bytes, untouched.
      const append = '{"type":"input_audio_buffer.append",  "audio":"AAAA"}';
      client.send(append);
      await client.waitFor('response.output_audio.delta');
      assert.ok(conn.frames.some((f) => f.text === append));

      client.send({ type: 'response.create' });
      const deltas: string[] = [];
      for (;;) {
        const event = await client.next();
        if (event.type === 'response.output_text.delta') deltas.push(String(event.delta));
        if (event.type === 'response.done') break;
      }
      assert.deepEqual(deltas, ['word0 ', 'word2 ']);
      await conn.waitForEvent('input_audio_buffer.clear');

      client.socket.close();
      await client.closed;
      await eventually(() => log.length === 2, 2000, 'onClose');
      assert.deepEqual(log, ['open gpt-realtime via test', 'close aborted=true']);
    } finally {
      await rig.close();
    }
  });

  it('are skipped for sessions their factory declines', async () => {
    const log: string[] = [];
    const rig = await startRig({}, { middleware: [moderation(log)] });
    try {
      const client = await connect(`${rig.url}?model=unmoderated`);
      await rig.upstream.nextConnection();
      assert.equal((await client.next()).type, 'session.created');
      client.send({ type: 'response.create' });
      const deltas: string[] = [];
      for (;;) {
        const event = await client.next();
        if (event.type === 'response.output_text.delta') deltas.push(String(event.delta));
        if (event.type === 'response.done') break;
      }
      assert.equal(deltas.length, 3);
      assert.deepEqual(log, []);
      client.socket.close();
      await client.closed;
    } finally {
      await rig.close();
    }
  });

  it('a throwing middleware fails only the event it threw on; the session goes on', async () => {
    const rig = await startRig(
      {},
      {
        middleware: [
          () => ({
            name: 'buggy',
            client: new Set(['response.create']),
            onClient(frame) {
              if (frame.eventId === 'event_bug') throw new Error('middleware bug');
              return FORWARD;
            },
          }),
        ],
      },
    );
    try {
      const client = await connect(`${rig.url}?model=gpt-realtime`);
      await rig.upstream.nextConnection();
      client.send({ type: 'response.create', event_id: 'event_bug' });
      const failed = (await client.waitFor('error')).error as Record<string, unknown>;
      assert.equal(failed.event_id, 'event_bug');
      assert.equal(failed.type, 'server_error');
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      client.socket.close();
      await client.closed;
    } finally {
      await rig.close();
    }
  });

  it('injecting into a client that does not read overflows the bounded buffer and closes 1013', async () => {
    let ctxRef: MiddlewareContext | null = null;
    const rig = await startRig(
      { limits: { highWaterBytes: 16 * 1024, maxBufferedBytes: 256 * 1024 } },
      {
        middleware: [
          () => ({
            name: 'injector',
            open(ctx) {
              ctxRef = ctx;
            },
          }),
        ],
      },
    );
    try {
      const client = await connect(`${rig.url}?model=gpt-realtime`);
      const conn = await rig.upstream.nextConnection();
      client.socket.pause();
      await eventually(() => ctxRef !== null, 2000, 'middleware open');
      const delta = 'A'.repeat(64 * 1024);
      // Far more than the socket buffers of the loopback can absorb.
      for (let i = 0; i < 2000 && rig.gateway.registry.size > 0; i++) {
        ctxRef!.sendClient({
          type: 'response.output_audio.delta',
          event_id: `e${i}`,
          response_id: 'r',
          item_id: 'i',
          output_index: 0,
          content_index: 0,
          delta,
        });
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.deepEqual(await conn.closed, { code: 1000, reason: '' });
      client.socket.resume();
      const closed = await client.closed;
      assert.equal(closed.code, 1013);
      assert.equal(closed.reason, 'client send buffer overflow');
    } finally {
      await rig.close();
    }
  });
});
