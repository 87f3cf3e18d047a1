import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PeekedEvent, peekEvent, peekEventType } from '@realtime-gateway/protocol';
import fc from 'fast-check';
import { AUDIO_20MS, CLIENT_EVENT_FIXTURES, SERVER_EVENT_FIXTURES } from './fixtures/events.js';

const encoder = new TextEncoder();

/** What a full parse says the frame's type and id are. */
function byFullParse(text: string): PeekedEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as { type?: unknown; event_id?: unknown };
  if (typeof record.type !== 'string') return null;
  return { type: record.type, eventId: typeof record.event_id === 'string' ? record.event_id : null };
}

/** Peeks the frame as text, as bytes and as an ArrayBuffer, and checks all three agree. */
function peekAll(text: string): PeekedEvent | null {
  const bytes = encoder.encode(text);
  const fromText = peekEvent(text);
  assert.deepEqual(peekEvent(bytes), fromText, 'bytes and text disagree');
  assert.deepEqual(peekEvent(bytes.slice().buffer), fromText, 'ArrayBuffer and text disagree');
  return fromText;
}

describe('peekEvent on real events', () => {
  const fixtures = [...Object.values(CLIENT_EVENT_FIXTURES), ...Object.values(SERVER_EVENT_FIXTURES)];
  test('agrees with a full parse on every fixture event, compact and indented', () => {
    for (const event of fixtures) {
      for (const text of [JSON.stringify(event), JSON.stringify(event, null, 2)]) {
        const peeked = peekAll(text);
        assert.deepEqual(peeked, byFullParse(text));
        assert.equal(peeked?.type, (event as { type: string }).type);
      }
    }
  });

  test('the DTMF event, which has no event_id, peeks with a null id', () => {
    assert.deepEqual(
      peekAll('{"type":"input_audio_buffer.dtmf_event_received","event":"5","received_at":1}'),
      {
        type: 'input_audio_buffer.dtmf_event_received',
        eventId: null,
      },
    );
  });

  test('a large audio append with the type after the payload', () => {
    const audio = AUDIO_20MS.repeat(100);
    const text = `{"audio":"${audio}","event_id":"event_1","type":"input_audio_buffer.append"}`;
    assert.deepEqual(peekAll(text), { type: 'input_audio_buffer.append', eventId: 'event_1' });
  });

  test('peekEventType gives the type alone', () => {
    assert.equal(peekEventType('{"type":"response.done","event_id":"e"}'), 'response.done');
    assert.equal(peekEventType('[]'), null);
  });
});

describe('peekEvent on unusual but valid JSON', () => {
  const cases: [string, string, PeekedEvent | null][] = [
    [
      'whitespace everywhere',
      ' \n{ "type" :\t"a.b" ,\r\n "event_id" : "e1" } \n',
      { type: 'a.b', eventId: 'e1' },
    ],
    ['escaped characters in the type', '{"type":"a\\"b\\\\c\\u0041"}', { type: 'a"b\\cA', eventId: null }],
    ['a value ending in an escaped backslash', '{"x":"a\\\\","type":"t"}', { type: 't', eventId: null }],
    [
      'an escaped quote inside another value',
      '{"x":"say \\"type\\":\\"no\\"","type":"yes"}',
      { type: 'yes', eventId: null },
    ],
    [
      'type inside nested objects is not the event type',
      '{"item":{"type":"message"},"a":[{"type":"x"}],"type":"t"}',
      { type: 't', eventId: null },
    ],
    ['brackets inside strings', '{"a":"}]","b":["[{",{"c":"}"}],"type":"t"}', { type: 't', eventId: null }],
    [
      'duplicate keys: the last wins, as in JSON.parse',
      '{"type":"first","event_id":"1","type":"last","event_id":"2"}',
      { type: 'last', eventId: '2' },
    ],
    [
      'a key spelled with escapes falls back to a full parse',
      '{"typ\\u0065":"escaped"}',
      { type: 'escaped', eventId: null },
    ],
    ['an escaped key that is not type', '{"\\u0061":1,"type":"t"}', { type: 't', eventId: null }],
    ['a non-string event_id', '{"type":"t","event_id":7}', { type: 't', eventId: null }],
    [
      'numbers, literals and empty containers',
      '{"n":-1.5e3,"t":true,"f":false,"z":null,"o":{},"l":[],"type":"t"}',
      { type: 't', eventId: null },
    ],
    ['non-ASCII text', '{"text":"héllo 👋","type":"t","event_id":"é"}', { type: 't', eventId: 'é' }],
    ['a non-string type', '{"type":1}', null],
    ['no type', '{"event_id":"e"}', null],
    ['an empty object', '{}', null],
    ['an array', '[{"type":"t"}]', null],
    ['a string', '"type"', null],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      assert.deepEqual(peekAll(text), expected);
      assert.deepEqual(expected, byFullParse(text));
    });
  }
});

describe('peekEvent on broken frames', () => {
  const broken = [
    '',
    '   ',
    '{',
    '{"type":"t"',
    '{"type":"t",}',
    '{"type" "t"}',
    '{"type":"unterminated}',
    '{"type":"t"} trailing',
    '{type:"t"}',
    '{"a":[1,2,"type":"t"}',
    '{"a":',
    // Compact and flat, as audio events are, but broken after the type.
    '{"type":"t","a":}',
    '{"type":"t","a":1]}',
    '{"type":"t","a":"x"}}',
    '{"type":"t","a":"x\\"}',
  ];
  for (const text of broken) {
    test(`${JSON.stringify(text)} gives null`, () => {
      assert.equal(peekAll(text), null);
    });
  }
  test('bytes that are not UTF-8 do not throw', () => {
    assert.doesNotThrow(() => peekEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
  });
});

describe('peekEvent properties', () => {
  const RUNS = { numRuns: 300 };
  // Objects that look like events: a type and an id among arbitrary other members, in any order.
  const eventLike = fc
    .record({
      type: fc.oneof(
        fc.string(),
        fc.constantFrom('input_audio_buffer.append', 'response.done'),
        fc.jsonValue(),
      ),
      event_id: fc.option(fc.oneof(fc.string(), fc.jsonValue()), { nil: undefined }),
      rest: fc.dictionary(fc.string(), fc.jsonValue()),
    })
    .chain(({ type, event_id, rest }) => {
      const entries = Object.entries({ ...rest, type, ...(event_id === undefined ? {} : { event_id }) });
      return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length });
    })
    .map((entries) => JSON.stringify(Object.fromEntries(entries)));

  test('agrees with a full parse on event-like objects', () => {
    fc.assert(
      fc.property(eventLike, (text) => {
        assert.deepEqual(peekAll(text), byFullParse(text));
      }),
      RUNS,
    );
  });

  test('agrees with a full parse on any JSON value, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        assert.deepEqual(peekAll(text), byFullParse(text));
      }),
      RUNS,
    );
  });

  test('agrees with a full parse whenever the input is JSON, and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          eventLike.map((t) => t.slice(0, -1)),
        ),
        (text) => {
          const peeked = peekAll(text);
          const parsed = byFullParse(text);
          let isJson = true;
          try {
            JSON.parse(text);
          } catch {
            isJson = false;
          }
          if (isJson) assert.deepEqual(peeked, parsed);
        },
      ),
      RUNS,
    );
  });
});
