/**
 * The fast path: a frame whose translation is only a new `type` is renamed in place, as text
 * or bytes, without parsing its payload. Whatever the frame's layout — whitespace, key order,
 * escapes, a `"type"` inside the payload or a nested object — the renamed frame parses to what
 * the full translation gives, and the payload's bytes are untouched.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BetaServerEvent,
  betaServerEventToGa,
  gaServerEventToBeta,
  newItemLifecycle,
  peekEventTypeSpan,
  renameFrameType,
  retypeFrame,
  retypeFrameInPlace,
  type ServerEvent,
} from '@realtime-gateway/protocol';
import fc from 'fast-check';
import { AUDIO_20MS } from './fixtures/events.js';
import { fuzzParameters } from './support/hostile.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const delta = {
  type: 'response.audio.delta',
  event_id: 'event_1',
  response_id: 'resp_1',
  item_id: 'item_1',
  output_index: 0,
  content_index: 0,
  delta: AUDIO_20MS,
};
const renamedDelta = { ...delta, type: 'response.output_audio.delta' };

/** Renames through retypeFrame as text, bytes and ArrayBuffer; all three must agree. */
function renamedAll(frame: string): unknown {
  const text = retypeFrame(frame, 'server', 'beta-to-ga');
  assert.equal(text.kind, 'renamed', frame);
  const bytes = encoder.encode(frame);
  for (const input of [bytes, bytes.slice().buffer]) {
    const out = retypeFrame(input, 'server', 'beta-to-ga');
    assert.ok(out.kind === 'renamed' && out.frame instanceof Uint8Array);
    assert.equal(decoder.decode(out.frame), text.kind === 'renamed' ? text.frame : '');
  }
  return text.kind === 'renamed' ? JSON.parse(text.frame) : undefined;
}

describe('retypeFrame renames audio deltas in place', () => {
  test('compact, with the type first or last', () => {
    assert.deepEqual(renamedAll(JSON.stringify(delta)), renamedDelta);
    const { type, ...rest } = delta;
    assert.deepEqual(renamedAll(JSON.stringify({ ...rest, type })), renamedDelta);
  });

  test('whitespace anywhere', () => {
    assert.deepEqual(renamedAll(JSON.stringify(delta, null, 2)), renamedDelta);
    assert.deepEqual(renamedAll(`\n { "type" :\t"response.audio.delta" , "delta": "AAAA" }\r\n`), {
      type: 'response.output_audio.delta',
      delta: 'AAAA',
    });
  });

  test('a "type" inside the payload, inside a nested object, and escaped strings', () => {
    const tricky = {
      note: '{"type":"response.audio.delta"} \\" \\\\',
      nested: { type: 'response.audio.delta', deeper: [{ type: 'x' }] },
      ...delta,
      extra: 'type',
    };
    assert.deepEqual(renamedAll(JSON.stringify(tricky)), { ...tricky, type: 'response.output_audio.delta' });
    const text = `{"delta":"\\"type\\":\\"x\\"","type":"response.audio.delta","more":"\\u0074ype"}`;
    assert.deepEqual(renamedAll(text), {
      delta: '"type":"x"',
      type: 'response.output_audio.delta',
      more: 'type',
    });
  });

  test('a type value written with escapes is still the type, and is replaced whole', () => {
    const text = '{"type":"response.audio\\u002edelta","delta":"AAAA"}';
    assert.equal(peekEventTypeSpan(text)?.type, 'response.audio.delta');
    assert.deepEqual(renamedAll(text), { type: 'response.output_audio.delta', delta: 'AAAA' });
  });

  test('with duplicate type keys the last one counts, as in JSON.parse', () => {
    const text = '{"type":"error","delta":"AAAA","type":"response.audio.delta"}';
    const out = retypeFrame(text, 'server', 'beta-to-ga');
    assert.equal(out.kind, 'renamed');
    assert.deepEqual(out.kind === 'renamed' && JSON.parse(out.frame), {
      type: 'response.output_audio.delta',
      delta: 'AAAA',
    });
  });

  test('a 30 KB delta keeps its payload byte for byte', () => {
    const big = { ...delta, delta: AUDIO_20MS.repeat(24) };
    const bytes = encoder.encode(JSON.stringify(big));
    assert.ok(bytes.length > 30_000);
    const out = retypeFrame(bytes, 'server', 'beta-to-ga');
    assert.ok(out.kind === 'renamed');
    const payloadAt = (frame: Uint8Array) => decoder.decode(frame).indexOf(big.delta);
    assert.equal(
      decoder.decode(out.frame).slice(payloadAt(out.frame)),
      decoder.decode(bytes).slice(payloadAt(bytes)),
    );
    assert.equal(out.frame.length, bytes.length + 'output_'.length);
  });

  test('renameFrameType works from a span peeked by the caller', () => {
    const frame = JSON.stringify(delta);
    const span = peekEventTypeSpan(frame);
    assert.ok(span);
    assert.equal(frame.slice(span.start, span.end), '"response.audio.delta"');
    assert.deepEqual(JSON.parse(renameFrameType(frame, span, 'response.output_audio.delta')), renamedDelta);
  });
});

describe('retypeFrame says when a frame needs more than a rename', () => {
  test('relays what is the same in both dialects, as it is', () => {
    const append = `{"type":"input_audio_buffer.append","audio":"${AUDIO_20MS}"}`;
    const out = retypeFrame(append, 'client', 'beta-to-ga');
    assert.deepEqual(out, { kind: 'relay', frame: append, type: 'input_audio_buffer.append' });
    assert.equal(retypeFrame(append, 'client', 'ga-to-beta').kind, 'relay');
  });

  test('sessions, items and responses need translating; so do frames it cannot read for certain', () => {
    for (const frame of [
      '{"type":"session.created","event_id":"e","session":{}}',
      '{"type":"response.done","event_id":"e","response":{}}',
      '{"type":"conversation.item.created","event_id":"e","item":{}}',
      '{"t\\u0079pe":"response.audio.delta"}',
      '{"type":5}',
      'not json',
      '{"type":"response.audio.delta"',
    ]) {
      assert.deepEqual(retypeFrame(frame, 'server', 'beta-to-ga'), { kind: 'translate' }, frame);
    }
  });

  test('GA names go back to beta ones the other way; GA names are not renamed beta to GA', () => {
    const ga = JSON.stringify(renamedDelta);
    const out = retypeFrame(ga, 'server', 'ga-to-beta');
    assert.ok(out.kind === 'renamed');
    assert.deepEqual(JSON.parse(out.frame), delta);
    assert.equal(retypeFrame(ga, 'server', 'beta-to-ga').kind, 'translate');
  });
});

/** A JSON text of `value` with its keys in the given order and arbitrary whitespace. */
function layout(value: Record<string, unknown>, order: readonly number[], spaces: readonly string[]): string {
  const keys = Object.keys(value);
  const sorted = order.map((i) => keys[i % keys.length]!).filter((k, i, all) => all.indexOf(k) === i);
  for (const key of keys) if (!sorted.includes(key)) sorted.push(key);
  const ws = (i: number) => spaces[i % spaces.length] ?? '';
  const members = sorted.map(
    (key, i) => `${ws(i)}${JSON.stringify(key)}${ws(i + 1)}:${ws(i + 2)}${JSON.stringify(value[key])}`,
  );
  return `${ws(0)}{${members.join(',')}${ws(3)}}${ws(4)}`;
}

const streamed = fc.record({
  event_id: fc.string({ maxLength: 12 }),
  response_id: fc.string({ maxLength: 12 }),
  item_id: fc.string({ maxLength: 12 }),
  output_index: fc.nat(),
  content_index: fc.nat(),
  delta: fc.string({ maxLength: 64, unit: 'binary' }),
});

describe('the fast path agrees with the full translation', () => {
  const betaTypes = [
    'response.audio.delta',
    'response.text.delta',
    'response.audio_transcript.delta',
  ] as const;
  test('for any layout of a streamed delta, both ways', () => {
    fc.assert(
      fc.property(
        streamed,
        fc.constantFrom(...betaTypes),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.constantFrom('', ' ', '\n', '\t', '\r\n  '), { minLength: 1, maxLength: 5 }),
        (fields, type, order, spaces) => {
          const beta = { ...fields, type } as BetaServerEvent;
          const frame = layout(beta, order, spaces);
          const fast = retypeFrame(frame, 'server', 'beta-to-ga');
          assert.ok(fast.kind === 'renamed', frame);
          const full = betaServerEventToGa(beta, newItemLifecycle()).value;
          assert.deepEqual([JSON.parse(fast.frame)], full);
          const back = retypeFrame(encoder.encode(fast.frame), 'server', 'ga-to-beta');
          assert.ok(back.kind === 'renamed');
          assert.deepEqual(
            [JSON.parse(decoder.decode(back.frame))],
            gaServerEventToBeta(full[0] as ServerEvent, newItemLifecycle()).value,
          );
          assert.deepEqual(JSON.parse(decoder.decode(back.frame)), beta);
        },
      ),
      fuzzParameters(300),
    );
  });

  test('in place: a shorter GA-to-beta name is written over the old and padded, the same bytes otherwise', () => {
    fc.assert(
      fc.property(
        streamed,
        fc.constantFrom(...betaTypes),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.constantFrom('', ' ', '\n', '\t'), { minLength: 1, maxLength: 5 }),
        (fields, type, order, spaces) => {
          const beta = { ...fields, type } as BetaServerEvent;
          const ga = betaServerEventToGa(beta, newItemLifecycle()).value[0] as ServerEvent;
          const bytes = encoder.encode(layout(ga as unknown as Record<string, unknown>, order, spaces));
          const length = bytes.length;
          const out = retypeFrameInPlace(bytes, 'server', 'ga-to-beta');
          assert.ok(out.kind === 'renamed');
          assert.equal(out.frame, bytes, 'no copy');
          assert.equal(out.frame.length, length);
          assert.deepEqual(JSON.parse(decoder.decode(out.frame)), beta);
          // Beta to GA names are longer: a renamed copy, the input left as it was.
          const input = encoder.encode(JSON.stringify(beta));
          const before = input.slice();
          const longer = retypeFrameInPlace(input, 'server', 'beta-to-ga');
          assert.ok(longer.kind === 'renamed' && longer.frame !== input);
          assert.deepEqual(input, before);
          assert.deepEqual(JSON.parse(decoder.decode(longer.frame)), ga);
        },
      ),
      fuzzParameters(300),
    );
  });

  test('never throws on arbitrary text or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 64 })), (frame) => {
        const out = retypeFrame(frame, 'server', 'beta-to-ga');
        assert.ok(['relay', 'renamed', 'translate'].includes(out.kind));
        const bytes = typeof frame === 'string' ? encoder.encode(frame) : frame;
        const inPlace = retypeFrameInPlace(bytes, 'server', 'ga-to-beta');
        assert.ok(['relay', 'renamed', 'translate'].includes(inPlace.kind));
      }),
      fuzzParameters(500),
    );
  });
});
