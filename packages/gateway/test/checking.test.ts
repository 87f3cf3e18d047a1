import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientEvent, parseServerEvent } from '@realtime-gateway/protocol';
import fc from 'fast-check';
import { checkClientFrame, isPlainAppend } from '../src/session/checking.js';
import { connect, startRig } from './support/harness.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('client frame checking', () => {
  it('recognises plain audio appends without parsing them', () => {
    assert.ok(isPlainAppend(bytes('{"type":"input_audio_buffer.append","audio":"AAAA"}')));
    assert.ok(
      isPlainAppend(
        bytes(' { "audio" : "AA==" , "event_id":"event_1", "type":"input_audio_buffer.append" } '),
      ),
    );
    assert.equal(checkClientFrame(bytes('{"type":"input_audio_buffer.append","audio":"AA"}'), 1000).ok, true);
  });

  it('leaves anything unusual to the full check', () => {
    for (const text of [
      '{"type":"input_audio_buffer.append"}',
      '{"type":"input_audio_buffer.append","audio":"A\\u0041"}',
      '{"type":"input_audio_buffer.append","audio":"AA","audio":"BB"}',
      '{"type":"input_audio_buffer.append","audio":"AA","extra":"x"}',
      '{"type":"input_audio_buffer.append","audio":1}',
      '{"type":"input_audio_buffer.commit","audio":"AA"}',
      '{"type":"input_audio_buffer.append","audio":"AA"',
      '{"type":"input_audio_buffer.append","audio":"AA"}x',
      '[]',
    ]) {
      assert.equal(isPlainAppend(bytes(text)), false, text);
    }
  });

  it('never accepts on the fast path what the full check rejects', () => {
    const key = fc.constantFrom('type', 'audio', 'event_id', 'other');
    const value = fc.oneof(fc.constant('input_audio_buffer.append'), fc.string(), fc.integer());
    const frame = fc
      .array(fc.tuple(key, value), { maxLength: 4 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
    const mangled = fc
      .tuple(frame, fc.nat(), fc.string({ maxLength: 2 }))
      .map(
        ([text, at, insert]) =>
          text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)),
      );
    fc.assert(
      fc.property(fc.oneof(frame, mangled), (text) => {
        if (isPlainAppend(bytes(text))) {
          const full = parseClientEvent(text);
          assert.ok(full.ok && full.known && full.event.type === 'input_audio_buffer.append', text);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects bad frames with errors naming the field and carrying the event_id', () => {
    const notJson = checkClientFrame(bytes('{nope'), 1000);
    assert.ok(!notJson.ok);
    assert.equal(notJson.error.code, 'invalid_json');
    const badShape = checkClientFrame(
      bytes('{"type":"session.update","event_id":"event_9","session":{"type":"realtime","instructions":5}}'),
      1000,
    );
    assert.ok(!badShape.ok);
    assert.equal(badShape.error.param, 'session.instructions');
    assert.equal(badShape.error.eventId, 'event_9');
    const tooBig = checkClientFrame(
      bytes(`{"type":"input_audio_buffer.append","event_id":"e","audio":"${'A'.repeat(100)}"}`),
      50,
    );
    assert.ok(!tooBig.ok);
    assert.match(tooBig.error.message, /at most 50 bytes/);
    assert.equal(tooBig.error.eventId, 'e');
  });

  it('passes unknown event types on, parsed', () => {
    const check = checkClientFrame(bytes('{"type":"vendor.custom","x":1}'), 1000);
    assert.ok(check.ok);
    assert.equal(check.event?.type, 'vendor.custom');
  });
});

describe('input checking over a live session', () => {
  const bad = {
    notJson: '{"type":"input_audio_buffer.append",',
    badShape:
      '{"type":"session.update","event_id":"event_bad","session":{"type":"realtime","instructions":42}}',
    tooBig: `{"type":"input_audio_buffer.append","event_id":"event_big","audio":"${'A'.repeat(1500)}"}`,
  };
  const good = '{"type":"input_audio_buffer.append","event_id":"event_ok","audio":"AAAA"}';

  async function run(mode: 'off' | 'warn' | 'enforce') {
    const rig = await startRig({ inputChecking: mode, limits: { maxFrameBytes: 1024 } });
    try {
      const client = await connect(`${rig.url}?model=gpt-realtime`);
      const conn = await rig.upstream.nextConnection();
      await client.waitFor('session.created');
      for (const frame of [bad.notJson, bad.badShape, bad.tooBig, good]) client.send(frame);
      // The good frame's answer proves the session went on after the bad ones.
      await client.waitFor('response.output_audio.delta');
      const errors = client.frames
        .map((f) => JSON.parse(f.data.toString('utf8')) as Record<string, unknown>)
        .filter((e) => e.type === 'error');
      const upstreamSaw = conn.frames.map((f) => f.text);
      client.socket.close();
      await client.closed;
      return { errors, upstreamSaw };
    } finally {
      await rig.close();
    }
  }

  it('enforce: answers each malformed frame with a spec-shaped error carrying its event_id and does not forward it', async () => {
    const { errors, upstreamSaw } = await run('enforce');
    assert.deepEqual(upstreamSaw, [good]);
    assert.equal(errors.length, 3);
    for (const error of errors) {
      const parsed = parseServerEvent(error);
      assert.ok(parsed.ok && parsed.known, JSON.stringify(error));
    }
    const details = errors.map((e) => e.error as Record<string, unknown>);
    assert.deepEqual(
      details.map((d) => [d.code, d.event_id, d.param]),
      [
        ['invalid_json', null, null],
        ['invalid_type', 'event_bad', 'session.instructions'],
        ['invalid_event', 'event_big', null],
      ],
    );
  });

  it('warn: forwards malformed frames and sends no error of its own', async () => {
    const { errors, upstreamSaw } = await run('warn');
    assert.deepEqual(upstreamSaw, [bad.notJson, bad.badShape, bad.tooBig, good]);
    // The only errors are the upstream's own answers (the test upstream rejects the bad update).
    assert.ok(errors.every((e) => (e.error as Record<string, unknown>).code !== 'invalid_json'));
  });

  it('off: forwards everything unchecked', async () => {
    const { upstreamSaw } = await run('off');
    assert.deepEqual(upstreamSaw, [bad.notJson, bad.badShape, bad.tooBig, good]);
  });
});
