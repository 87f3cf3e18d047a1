import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLIENT_EVENT_TYPES,
  isClientEventType,
  isServerEventType,
  type ParseResult,
  type ProtocolError,
  parseClientEvent,
  parseServerEvent,
  SERVER_EVENT_TYPES,
  serializeEvent,
  toErrorEvent,
} from '@realtime-gateway/protocol';
import { CLIENT_EVENT_FIXTURES, EXTRA_ITEMS, SERVER_EVENT_FIXTURES } from './fixtures/events.js';

const encoder = new TextEncoder();

function roundTrip(json: string, parse: (input: unknown) => ParseResult<unknown>): string {
  const result = parse(json);
  assert.ok(result.ok, `expected ${json.slice(0, 80)} to parse: ${!result.ok && result.error.message}`);
  return serializeEvent(result.event as never);
}

function failure(result: ParseResult<unknown>): ProtocolError {
  assert.equal(result.ok, false, 'expected the frame to be rejected');
  return (result as { error: ProtocolError }).error;
}

describe('fixtures cover the whole protocol', () => {
  test('one fixture per client event type and per server event type', () => {
    assert.deepEqual(Object.keys(CLIENT_EVENT_FIXTURES).sort(), [...CLIENT_EVENT_TYPES].sort());
    assert.deepEqual(Object.keys(SERVER_EVENT_FIXTURES).sort(), [...SERVER_EVENT_TYPES].sort());
    assert.equal(CLIENT_EVENT_TYPES.length, 12);
    assert.equal(SERVER_EVENT_TYPES.length, 47);
  });

  test('type guards know every type and nothing else', () => {
    for (const type of CLIENT_EVENT_TYPES) assert.ok(isClientEventType(type));
    for (const type of SERVER_EVENT_TYPES) assert.ok(isServerEventType(type));
    assert.equal(isClientEventType('response.done'), false);
    assert.equal(isServerEventType('session.update'), false);
    assert.equal(isServerEventType('toString'), false);
  });
});

describe('every event parses and serializes back to equal JSON', () => {
  for (const [type, event] of Object.entries(CLIENT_EVENT_FIXTURES)) {
    test(`client ${type}`, () => {
      const json = JSON.stringify(event);
      const result = parseClientEvent(json);
      assert.ok(result.ok && result.known, `${type}: ${!result.ok && result.error.message}`);
      assert.equal(result.event.type, type);
      assert.deepEqual(JSON.parse(roundTrip(json, parseClientEvent)), event);
    });
  }
  for (const [type, event] of Object.entries(SERVER_EVENT_FIXTURES)) {
    test(`server ${type}`, () => {
      const json = JSON.stringify(event);
      const result = parseServerEvent(json);
      assert.ok(result.ok && result.known, `${type}: ${!result.ok && result.error.message}`);
      assert.equal(result.event.type, type);
      assert.deepEqual(JSON.parse(roundTrip(json, parseServerEvent)), event);
    });
  }

  test('every item kind round-trips inside conversation.item.create', () => {
    for (const item of EXTRA_ITEMS) {
      const json = JSON.stringify({ type: 'conversation.item.create', item });
      assert.equal(roundTrip(json, parseClientEvent), json);
    }
  });
});

describe('input forms', () => {
  const event = CLIENT_EVENT_FIXTURES['conversation.item.truncate'];
  const json = JSON.stringify(event);

  test('string, bytes, ArrayBuffer and an already-parsed value give the same event', () => {
    const bytes = encoder.encode(json);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const input of [json, bytes, buffer, JSON.parse(json)]) {
      const result = parseClientEvent(input);
      assert.ok(result.ok && result.known);
      assert.deepEqual(result.event, event);
    }
  });

  test('bytes that are not UTF-8 are rejected as invalid JSON', () => {
    const error = failure(parseClientEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    assert.equal(error.code, 'invalid_json');
    assert.equal(error.param, null);
  });
});

describe('nothing lost: unknown types and unknown fields', () => {
  test('an unknown event type is kept as it came when not strict', () => {
    const json = '{"type":"session.future_feature","event_id":"evt_9","payload":{"a":[1,null,{"b":true}]}}';
    const result = parseServerEvent(json);
    assert.ok(result.ok);
    assert.equal(result.known, false);
    assert.equal(serializeEvent(result.event), json);
  });

  test('unknown fields on the event and on nested objects are kept', () => {
    const event = {
      type: 'response.done',
      event_id: 'event_x',
      server_extra: { trace: 'abc' },
      response: {
        ...SERVER_EVENT_FIXTURES['response.done'].response,
        new_field: 42,
        usage: { total_tokens: 3, future_details: { reasoning_tokens: 1 } },
        output: [
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'hi', annotations: [] }],
          },
        ],
      },
    };
    const json = JSON.stringify(event);
    assert.equal(roundTrip(json, parseServerEvent), json);
  });

  test('explicit nulls where real servers send them are accepted and kept', () => {
    const json = JSON.stringify(SERVER_EVENT_FIXTURES['response.created']);
    assert.equal(roundTrip(json, parseServerEvent), json);
  });

  test('strict mode rejects an unknown top-level field, naming it', () => {
    const error = failure(
      parseClientEvent({ type: 'input_audio_buffer.commit', event_id: 'evt_1', extra: 1 }, { strict: true }),
    );
    assert.equal(error.code, 'unknown_parameter');
    assert.equal(error.param, 'extra');
    assert.equal(error.eventId, 'evt_1');
  });

  test('strict mode rejects an unknown nested field with its full path', () => {
    const event = {
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi', colour: 'red' }] },
    };
    const error = failure(parseClientEvent(event, { strict: true }));
    assert.equal(error.code, 'unknown_parameter');
    assert.equal(error.param, 'item.content[0].colour');
    assert.deepEqual(error.path, ['item', 'content', 0, 'colour']);
  });

  test('strict mode rejects unknown event types and legacy names', () => {
    assert.equal(failure(parseServerEvent({ type: 'x.y', event_id: 'e' }, { strict: true })).param, 'type');
    const legacy = {
      type: 'conversation.item.create',
      item: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }] },
    };
    assert.ok(parseClientEvent(legacy).ok, 'legacy content names are accepted when lenient');
    const error = failure(parseClientEvent(legacy, { strict: true }));
    assert.equal(error.param, 'item.content[0].type');
  });

  test('strict mode accepts every event built only from spec fields', () => {
    const strictClean = [
      CLIENT_EVENT_FIXTURES['session.update'],
      CLIENT_EVENT_FIXTURES['conversation.item.truncate'],
      CLIENT_EVENT_FIXTURES['response.cancel'],
      SERVER_EVENT_FIXTURES['response.output_audio.delta'],
      SERVER_EVENT_FIXTURES['input_audio_buffer.dtmf_event_received'],
      SERVER_EVENT_FIXTURES['rate_limits.updated'],
    ];
    for (const event of strictClean) {
      const parse = isClientEventType(event.type) ? parseClientEvent : parseServerEvent;
      const result = parse(event, { strict: true });
      assert.ok(result.ok && result.known, `${event.type}: ${!result.ok && result.error.message}`);
    }
  });
});

describe('each class of bad input yields a precise error', () => {
  test('not JSON', () => {
    const error = failure(parseClientEvent('{"type": "response.create",'));
    assert.equal(error.code, 'invalid_json');
    assert.equal(error.param, null);
    assert.match(error.message, /^Invalid JSON/);
  });

  for (const [label, value] of [
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['null', 'null'],
    ['a string', '"response.create"'],
  ] as const) {
    test(`not an object: ${label}`, () => {
      const error = failure(parseClientEvent(value));
      assert.equal(error.code, 'invalid_event');
      assert.equal(error.expected, 'a JSON object');
    });
  }

  test('missing type', () => {
    const error = failure(parseClientEvent('{"event_id":"evt_7","audio":"AAAA"}'));
    assert.equal(error.code, 'missing_required_parameter');
    assert.equal(error.param, 'type');
    assert.equal(error.eventId, 'evt_7');
  });

  test('non-string type', () => {
    const error = failure(parseClientEvent({ type: 7, event_id: 'evt_8' }));
    assert.equal(error.code, 'invalid_type');
    assert.equal(error.param, 'type');
    assert.equal(error.eventId, 'evt_8');
  });

  test('wrong field type', () => {
    const error = failure(parseClientEvent({ type: 'input_audio_buffer.append', event_id: 'a1', audio: 5 }));
    assert.equal(error.code, 'invalid_type');
    assert.equal(error.param, 'audio');
    assert.match(error.message, /expected a string, but got an integer \(5\)/);
    assert.equal(error.eventId, 'a1');
  });

  test('wrong enum value, deep inside the session', () => {
    const event = {
      type: 'session.update',
      event_id: 'su1',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/wav' } } } },
    };
    const error = failure(parseClientEvent(event));
    assert.equal(error.code, 'invalid_value');
    assert.equal(error.param, 'session.audio.input.format.type');
    assert.match(error.message, /audio\/pcm/);
  });

  test('negative index', () => {
    const event = {
      type: 'conversation.item.truncate',
      event_id: 't1',
      item_id: 'i',
      content_index: -1,
      audio_end_ms: 0,
    };
    const error = failure(parseClientEvent(event));
    assert.equal(error.code, 'integer_below_min_value');
    assert.equal(error.param, 'content_index');
  });

  test('non-integer index', () => {
    const event = { type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: 1.5 };
    const error = failure(parseClientEvent(event));
    assert.equal(error.code, 'invalid_type');
    assert.equal(error.param, 'audio_end_ms');
    assert.equal(error.eventId, null);
  });

  test('missing required field', () => {
    const error = failure(parseClientEvent({ type: 'conversation.item.delete', event_id: 'd1' }));
    assert.equal(error.code, 'missing_required_parameter');
    assert.equal(error.param, 'item_id');
    assert.equal(error.message, "Missing required parameter: 'item_id'.");
  });

  test('a bad server event is reported the same way', () => {
    const event = { ...SERVER_EVENT_FIXTURES['response.output_audio.delta'], output_index: 'zero' };
    const error = failure(parseServerEvent(event));
    assert.equal(error.param, 'output_index');
    assert.equal(error.eventId, 'event_s34');
  });

  test('an unknown item type inside a known event is rejected with its path', () => {
    const error = failure(parseClientEvent({ type: 'conversation.item.create', item: { type: 'hologram' } }));
    assert.equal(error.code, 'invalid_value');
    assert.equal(error.param, 'item.type');
  });

  test('the error converts into a spec-shaped error event carrying the offending event_id', () => {
    const error = failure(parseClientEvent({ type: 'conversation.item.delete', event_id: 'd1' }));
    const event = toErrorEvent(error);
    assert.equal(event.type, 'error');
    assert.match(event.event_id, /^event_[0-9A-Za-z]{21}$/);
    assert.deepEqual(event.error, {
      type: 'invalid_request_error',
      code: 'missing_required_parameter',
      message: "Missing required parameter: 'item_id'.",
      param: 'item_id',
      event_id: 'd1',
    });
    const reparsed = parseServerEvent(JSON.stringify(event), { strict: true });
    assert.ok(reparsed.ok && reparsed.known);
  });
});

describe('rejectNulls: a server refuses nulls the spec does not allow, and nothing else strict would', () => {
  const update = (session: object) => JSON.stringify({ type: 'session.update', session });

  test('a null where the spec has none is an invalid_type naming the field', () => {
    const error = failure(parseClientEvent(update({ type: 'realtime', audio: null }), { rejectNulls: true }));
    assert.equal(error.code, 'invalid_type');
    assert.equal(error.param, 'session.audio');
    assert.equal(
      error.message,
      "Invalid type for 'session.audio': expected an object, but got null instead.",
    );
    const nested = failure(
      parseClientEvent(update({ type: 'realtime', audio: { output: { voice: null } } }), {
        rejectNulls: true,
      }),
    );
    assert.equal(nested.param, 'session.audio.output.voice');
  });

  test('nulls the API allows still mean "off", and unknown fields are still kept', () => {
    const allowed = update({
      type: 'realtime',
      tracing: null,
      prompt: null,
      x_future_field: 1,
      audio: { input: { transcription: null, noise_reduction: null, turn_detection: null } },
    });
    const result = parseClientEvent(allowed, { rejectNulls: true });
    assert.ok(result.ok, !result.ok ? result.error.message : '');
    assert.equal(serializeEvent(result.event as never), allowed);
  });

  test('without it, a proxy keeps explicit nulls as real peers send them', () => {
    assert.ok(parseClientEvent(update({ type: 'realtime', audio: null })).ok);
  });
});
