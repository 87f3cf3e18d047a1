import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerEvent } from '@realtime-gateway/protocol';
import { connect, eventually, expectRefused, keyEntry, startRig } from './support/harness.js';

const MODEL = 'gpt-realtime';

describe('limits', () => {
  it('closes an idle session with 4000 and closes the upstream leg', async () => {
    const rig = await startRig({ limits: { idleTimeoutMs: 150, sessionWarningMs: 0 } });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      const conn = await rig.upstream.nextConnection();
      const started = Date.now();
      assert.deepEqual(await client.closed, { code: 4000, reason: 'idle timeout' });
      assert.ok(Date.now() - started >= 140);
      assert.equal((await conn.closed).code, 1000);
      await eventually(() => rig.gateway.registry.size === 0, 2000, 'registry empty');
    } finally {
      await rig.close();
    }
  });

  it('keeps a session alive while frames flow', async () => {
    const rig = await startRig({ limits: { idleTimeoutMs: 200, sessionWarningMs: 0 } });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      for (let i = 0; i < 8; i++) {
        client.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      assert.equal(rig.gateway.registry.list()[0]?.state, 'open');
      client.socket.close();
      await client.closed;
    } finally {
      await rig.close();
    }
  });

  it('warns with an error event before the maximum duration, then ends the session', async () => {
    const rig = await startRig({ limits: { maxSessionMs: 500, sessionWarningMs: 300 } });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      await client.waitFor('session.created');
      const warning = await client.waitFor('error');
      assert.ok(parseServerEvent(warning).ok);
      assert.equal((warning.error as Record<string, unknown>).code, 'session_expiring');
      const cut = await client.waitFor('error');
      assert.equal((cut.error as Record<string, unknown>).code, 'session_expired');
      assert.deepEqual(await client.closed, { code: 1008, reason: 'maximum session duration reached' });
    } finally {
      await rig.close();
    }
  });

  it('refuses sessions beyond the gateway total with 503', async () => {
    const rig = await startRig({ limits: { maxSessions: 2 } });
    try {
      const a = await connect(`${rig.url}?model=${MODEL}`);
      const b = await connect(`${rig.url}?model=${MODEL}`);
      const refused = await expectRefused(`${rig.url}?model=${MODEL}`);
      assert.equal(refused.status, 503);
      assert.equal(refused.json.error.code, 'gateway_at_capacity');
      a.socket.close();
      await a.closed;
      await eventually(() => rig.gateway.registry.size === 1, 2000, 'one session left');
      const c = await connect(`${rig.url}?model=${MODEL}`);
      b.socket.close();
      c.socket.close();
      await Promise.all([b.closed, c.closed]);
    } finally {
      await rig.close();
    }
  });

  it('applies limits.maxSessionsPerKey to keys without their own limit', async () => {
    const key = 'rg-default-limit';
    const rig = await startRig({
      auth: { keys: [keyEntry('k', key)] },
      limits: { maxSessionsPerKey: 1 },
    });
    try {
      const headers = { authorization: `Bearer ${key}` };
      const first = await connect(`${rig.url}?model=${MODEL}`, { headers });
      const refused = await expectRefused(`${rig.url}?model=${MODEL}`, { headers });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'too_many_sessions');
      first.socket.close();
      await first.closed;
    } finally {
      await rig.close();
    }
  });

  it('answers a frame over the size limit with an error event and goes on', async () => {
    const rig = await startRig({ limits: { maxFrameBytes: 2000 } });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      const conn = await rig.upstream.nextConnection();
      await client.waitFor('session.created');
      client.send({ type: 'input_audio_buffer.append', event_id: 'event_huge', audio: 'A'.repeat(3000) });
      const error = await client.waitFor('error');
      assert.equal((error.error as Record<string, unknown>).event_id, 'event_huge');
      assert.match(String((error.error as Record<string, unknown>).message), /at most 2000 bytes/);
      client.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
      await client.waitFor('response.output_audio.delta');
      assert.equal(conn.frames.length, 1);
      client.socket.close();
      await client.closed;
    } finally {
      await rig.close();
    }
  });

  it('closes with 1009 a frame beyond twice the size limit, before buffering it', async () => {
    const rig = await startRig({ limits: { maxFrameBytes: 1000 } });
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      const conn = await rig.upstream.nextConnection();
      client.send({ type: 'input_audio_buffer.append', audio: 'A'.repeat(5000) });
      assert.equal((await client.closed).code, 1009);
      await conn.closed;
      assert.equal(conn.frames.length, 0);
    } finally {
      await rig.close();
    }
  });
});
