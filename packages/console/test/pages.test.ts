/**
 * The pages' pure parts: the conversation read from a session's events, and a waveform's peaks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsoleEvent } from '../src/model.js';
import { transcriptLine } from '../src/transcript.js';
import { waveformPeaks } from '../src/waveform.js';

function event(type: string, payload: unknown): ConsoleEvent {
  return {
    seq: 7,
    at: '2026-12-06T10:00:00.000Z',
    side: 'upstream',
    type,
    bytes: 100,
    frames: 1,
    payload: typeof payload === 'string' ? payload : JSON.stringify({ type, ...(payload as object) }),
  };
}

test('the transcript: user, assistant, tool calls and results, guardrail hits and errors', () => {
  const lines = [
    event('conversation.item.input_audio_transcription.completed', { transcript: 'Hello' }),
    event('conversation.item.create', {
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Typed' }] },
    }),
    event('response.output_audio_transcript.done', { transcript: 'Hi there' }),
    event('response.output_text.done', { text: 'In text' }),
    event('response.function_call_arguments.done', { name: 'get_weather', arguments: '{"city":"Paris"}' }),
    event('conversation.item.create', { item: { type: 'function_call_output', output: '{"temp":21}' } }),
    event('error', { error: { code: 'guardrail_triggered', message: "Blocked by guardrail 'pii'." } }),
    event('error', { error: { code: 'invalid_value', message: 'Bad value.' } }),
  ].map((e) => {
    const line = transcriptLine(e);
    return line && [line.speaker, line.text];
  });
  assert.deepEqual(lines, [
    ['user', 'Hello'],
    ['user', 'Typed'],
    ['assistant', 'Hi there'],
    ['assistant', 'In text'],
    ['tool call', 'get_weather({"city":"Paris"})'],
    ['tool result', '{"temp":21}'],
    ['guardrail', "Blocked by guardrail 'pii'."],
    ['error', 'Bad value.'],
  ]);
});

test('no line for other events, audio, an item without text, or a payload cut short', () => {
  assert.equal(transcriptLine(event('response.done', {})), null);
  assert.equal(transcriptLine({ ...event('response.output_audio.delta', {}), payload: null }), null);
  assert.equal(
    transcriptLine(
      event('conversation.item.create', { item: { type: 'message', role: 'user', content: [] } }),
    ),
    null,
  );
  assert.equal(
    transcriptLine(event('response.output_text.done', '{"type":"x","text":"cut… [90 more characters]')),
    null,
  );
});

test('waveform peaks: the lowest and highest sample of each column', () => {
  assert.deepEqual(waveformPeaks(new Float32Array([0, 0.5, -0.5, 1]), 2), [
    [0, 0.5],
    [-0.5, 1],
  ]);
  assert.equal(waveformPeaks(new Float32Array(1000), 100).length, 100);
  assert.deepEqual(waveformPeaks(new Float32Array([0.25]), 10), [[0, 0.25]]);
});
