import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { base64DecodedLength, REDACTED, redactForLog, renderForLog } from '@realtime-gateway/protocol';
import fc from 'fast-check';
import { AUDIO_20MS, CLIENT_EVENT_FIXTURES, SERVER_EVENT_FIXTURES } from './fixtures/events.js';

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

describe('base64DecodedLength', () => {
  test('matches the decoded length for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(base64DecodedLength(toBase64(bytes)), bytes.length);
      }),
    );
  });
  test('ignores whitespace and handles both paddings', () => {
    assert.equal(base64DecodedLength('AAEC\nAAEC'), 6);
    assert.equal(base64DecodedLength('AA=='), 1);
    assert.equal(base64DecodedLength('AAE='), 2);
    assert.equal(base64DecodedLength(''), 0);
  });
  test('20 ms of 24 kHz PCM16 is 960 bytes', () => {
    assert.equal(base64DecodedLength(AUDIO_20MS), 960);
  });
});

describe('redactForLog: media', () => {
  test('an audio append shows its size, not its bytes', () => {
    const rendered = renderForLog({ type: 'input_audio_buffer.append', event_id: 'e', audio: AUDIO_20MS });
    assert.equal(
      rendered,
      '{"type":"input_audio_buffer.append","event_id":"e","audio":"[audio: 960 bytes]"}',
    );
  });
  test('an output audio delta shows its size; text deltas are kept', () => {
    assert.deepEqual(redactForLog({ type: 'response.output_audio.delta', delta: 'AAEC' }), {
      type: 'response.output_audio.delta',
      delta: '[audio: 3 bytes]',
    });
    assert.deepEqual(redactForLog({ type: 'response.output_text.delta', delta: 'AAEC' }), {
      type: 'response.output_text.delta',
      delta: 'AAEC',
    });
  });
  test('audio and images in conversation items, at any depth', () => {
    const png = 'iVBORw0KGgo=';
    const event = {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_audio', audio: AUDIO_20MS, transcript: 'hello' },
          { type: 'input_image', image_url: `data:image/png;base64,${png}` },
          { type: 'input_image', image_url: 'https://example.com/cat.png' },
        ],
      },
    };
    assert.deepEqual(redactForLog(event), {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_audio', audio: '[audio: 960 bytes]', transcript: 'hello' },
          { type: 'input_image', image_url: 'data:image/png;base64,[8 bytes]' },
          { type: 'input_image', image_url: 'https://example.com/cat.png' },
        ],
      },
    });
  });
  test('no fixture event renders with a base64 payload left in it', () => {
    for (const event of [...Object.values(CLIENT_EVENT_FIXTURES), ...Object.values(SERVER_EVENT_FIXTURES)]) {
      const rendered = renderForLog(event);
      assert.ok(!rendered.includes(AUDIO_20MS.slice(0, 64)), `audio left in ${rendered.slice(0, 80)}`);
    }
  });
});

describe('redactForLog: secrets', () => {
  test('MCP authorization and header values', () => {
    const update = {
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [
          {
            type: 'mcp',
            server_label: 'crm',
            server_url: 'https://mcp.example.com',
            authorization: 'Bearer sk-secret',
            headers: { 'X-Api-Key': 'k-secret', Other: 'v' },
          },
        ],
      },
    };
    const rendered = renderForLog(update);
    assert.ok(!rendered.includes('secret'), rendered);
    assert.deepEqual((redactForLog(update) as typeof update).session.tools[0], {
      type: 'mcp',
      server_label: 'crm',
      server_url: 'https://mcp.example.com',
      authorization: REDACTED,
      headers: { 'X-Api-Key': REDACTED, Other: REDACTED },
    });
  });
  test('client secret values, top level and nested, keep their expiry', () => {
    assert.deepEqual(redactForLog({ value: 'ek_123', expires_at: 1, session: { type: 'realtime' } }), {
      value: REDACTED,
      expires_at: 1,
      session: { type: 'realtime' },
    });
    assert.deepEqual(redactForLog({ client_secret: { value: 'ek_123', expires_at: 1 } }), {
      client_secret: { value: REDACTED, expires_at: 1 },
    });
  });
  test('a value without an expiry is not a secret', () => {
    assert.deepEqual(redactForLog({ value: 'plain' }), { value: 'plain' });
  });
});

describe('redactForLog: robustness', () => {
  test('does not change its input', () => {
    const event = { type: 'input_audio_buffer.append', audio: 'AAEC' };
    redactForLog(event);
    assert.equal(event.audio, 'AAEC');
  });
  test('cuts hostile nesting instead of overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let k = 0; k < 10_000; k++) deep = { a: deep };
    assert.doesNotThrow(() => renderForLog(deep));
    assert.ok(renderForLog(deep).includes('[too deep]'));
  });
  test('never throws on any JSON value and keeps values without media or secrets', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const rendered = renderForLog(value);
        assert.equal(typeof rendered, 'string');
      }),
    );
    const plain = {
      type: 'response.done',
      response: { id: 'resp_1', output: [], usage: { total_tokens: 3 } },
    };
    assert.deepEqual(redactForLog(plain), plain);
  });
});
