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
    assert.ok(
      isPlainAppend(
        bytes(`{"type":"input_audio_buffer.append","audio":"AA","event_id":"${'x'.repeat(512)}"}`),
      ),
    );
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
      // Over the protocol's 512 characters: the full check refuses it.
      `{"type":"input_audio_buffer.append","audio":"AA","event_id":"${'x'.repeat(513)}"}`,
      '[]',
    ]) {
      assert.equal(isPlainAppend(bytes(text)), false, text);
    }
  });

  it('never accepts on the fast path what the full check rejects', () => {
    const key = fc.constantFrom('type', 'audio', 'event_id', 'other');
    const value = fc.oneof(
      fc.constant('input_audio_buffer.append'),
      fc.string(),
      fc.integer(),
      // Ids about the protocol's 512-character bound, in ASCII and in wider characters.
      fc
        .constantFrom('x', 'é', '😀')
        .chain((c) => fc.integer({ min: 500, max: 520 }).map((n) => c.repeat(n))),
    );
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

/**
 * The plain-append check as it was first written: one byte at a time, every rule spelled out.
 * The fast scan must answer exactly as this does.
 */
function referencePlainAppend(data: Uint8Array): boolean {
  const space = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  const text = (start: number, end: number) => Buffer.from(data.subarray(start, end)).toString('latin1');
  const n = data.length;
  let i = 0;
  while (i < n && space(data[i])) i++;
  if (data[i++] !== 0x7b) return false;
  const seen = new Set<string>();
  for (;;) {
    while (i < n && space(data[i])) i++;
    if (data[i++] !== 0x22) return false;
    const keyStart = i;
    while (i < n && data[i] !== 0x22) {
      if (data[i] === 0x5c) return false;
      i++;
    }
    if (i >= n) return false;
    const key = text(keyStart, i);
    if (!['type', 'audio', 'event_id'].includes(key) || seen.has(key)) return false;
    seen.add(key);
    i++;
    while (i < n && space(data[i])) i++;
    if (data[i++] !== 0x3a) return false;
    while (i < n && space(data[i])) i++;
    if (data[i++] !== 0x22) return false;
    const valueStart = i;
    while (i < n && data[i] !== 0x22) {
      if (data[i] === 0x5c || data[i]! < 0x20) return false;
      i++;
    }
    if (i >= n) return false;
    if (key === 'type' && text(valueStart, i) !== 'input_audio_buffer.append') return false;
    i++;
    while (i < n && space(data[i])) i++;
    const next = data[i++];
    if (next === 0x2c) continue;
    if (next !== 0x7d) return false;
    while (i < n && space(data[i])) i++;
    return i === n && seen.has('type') && seen.has('audio');
  }
}

describe('the plain-append scan against the reference', () => {
  const space = fc.constantFrom('', '', ' ', '\n', '\t\r ');
  // Long values cross the word-at-a-time path; the odd bytes land anywhere in it.
  const base64 = fc.integer({ min: 0, max: 700 }).map((length) => 'QUJD'.repeat(length).slice(0, length));
  const odd = fc.constantFrom(
    '\\',
    '"',
    '\u0000',
    '\u001f',
    '\u0020',
    '\n',
    '\u007f',
    'é',
    '\u0080',
    '\u00ff',
  );
  const audio = fc
    .tuple(base64, fc.array(fc.tuple(fc.nat(), odd), { maxLength: 2 }))
    .map(([value, inserts]) =>
      inserts.reduce(
        (v, [at, c]) => v.slice(0, at % (v.length + 1)) + c + v.slice(at % (v.length + 1)),
        value,
      ),
    );
  const key = fc.constantFrom('type', 'audio', 'event_id', 'typ', 'Audio', 'event_ix', 'eventXid', 'other');
  const value = fc.oneof(
    fc.constant('"input_audio_buffer.append"'),
    fc.constantFrom('"input_audio_buffer.appenD"', '"input_audio_buffer.commit"', '1', 'null', '"a\\"b"'),
    audio.map((v) => `"${v}"`),
  );
  const frame = fc
    .tuple(space, fc.array(fc.tuple(space, key, space, space, value, space), { maxLength: 4 }), space)
    .map(
      ([before, pairs, after]) =>
        `${before}{${pairs.map(([a, k, b, c, v, d]) => `${a}"${k}"${b}:${c}${v}${d}`).join(',')}}${after}`,
    );
  // Mostly well-formed appends, so that both answers come up often.
  const plain = fc
    .tuple(fc.boolean(), audio, fc.boolean(), space)
    .map(
      ([withId, a, typeFirst, s]) =>
        `{${typeFirst ? `"type":${s}"input_audio_buffer.append",` : ''}${withId ? `"event_id":"event_${a.length}",` : ''}"audio":"${a}"${typeFirst ? '' : `,${s}"type":"input_audio_buffer.append"`}}`,
    );
  const mangled = fc
    .tuple(fc.oneof(frame, plain), fc.nat(), fc.string({ maxLength: 2 }), fc.nat({ max: 2 }))
    .map(([text, at, insert, cut]) => {
      const k = at % (text.length + 1);
      return text.slice(0, k) + insert + text.slice(k + cut);
    });

  it('answers exactly as the byte-at-a-time reference, at any alignment, on Buffers and Uint8Arrays', () => {
    fc.assert(
      fc.property(fc.oneof(frame, plain, mangled), fc.nat({ max: 7 }), (text, offset) => {
        const encoded = new TextEncoder().encode(text);
        // The same bytes at an offset inside a larger buffer, as ws delivers slices of a read.
        const backing = Buffer.alloc(encoded.length + offset + 3, 0x41);
        backing.set(encoded, offset);
        const slice = backing.subarray(offset, offset + encoded.length);
        const expected = referencePlainAppend(encoded);
        assert.equal(isPlainAppend(slice), expected, text);
        assert.equal(isPlainAppend(encoded), expected, text);
        assert.equal(
          isPlainAppend(new Uint8Array(backing.buffer, backing.byteOffset + offset, encoded.length)),
          expected,
        );
      }),
      { seed: 0x5eed, numRuns: 3000 },
    );
  });

  it('finds a control byte wherever it sits in a long value', () => {
    const value = 'A'.repeat(300);
    for (let at = 0; at <= value.length; at++) {
      for (const c of ['\u0000', '\u001f', '\n']) {
        const text = `{"type":"input_audio_buffer.append","audio":"${value.slice(0, at)}${c}${value.slice(at)}"}`;
        for (let offset = 0; offset < 4; offset++) {
          const backing = Buffer.alloc(text.length + offset);
          backing.write(text, offset, 'latin1');
          assert.equal(isPlainAppend(backing.subarray(offset)), false, `${at} ${offset}`);
        }
      }
    }
    // A space (0x20) is the first byte that is not a control character.
    assert.ok(isPlainAppend(bytes(`{"type":"input_audio_buffer.append","audio":"${value} ${value}"}`)));
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
