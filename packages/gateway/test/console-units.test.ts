/**
 * The console's pure parts: reading its cookie, which paths name a built file, how frames
 * become timeline entries (audio folded, payloads kept small and rendered log-safe), a tap's
 * bounds, and sessions counted per node.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folds, sourceOf, type TapEntry, toConsoleEvent } from '../src/console/console-event.js';
import { cookieToken } from '../src/console/cookie.js';
import { sessionsByNode } from '../src/console/rows.js';
import { SessionTaps } from '../src/console/session-taps.js';
import { staticFile } from '../src/console/static-files.js';
import type { SessionInfo } from '../src/vocabulary/session.js';

const INFO: SessionInfo = {
  sessionId: 'sess_1',
  model: 'gpt-realtime',
  upstreamModel: 'gpt-realtime',
  upstreamName: 'engine',
  keyId: null,
  intent: 'conversation',
};

function entry(fields: Partial<TapEntry>): TapEntry {
  return {
    seq: 1,
    at: 0,
    lastAt: 0,
    side: 'upstream',
    type: null,
    bytes: 0,
    frames: 1,
    source: null,
    ...fields,
  };
}

describe('the console cookie', () => {
  test('is read among other cookies; absent or empty is none', () => {
    assert.equal(cookieToken('theme=dark; rg_console=abc_-1; lang=en'), 'abc_-1');
    assert.equal(cookieToken('theme=dark'), null);
    assert.equal(cookieToken('rg_console='), null);
    assert.equal(cookieToken(undefined), null);
    assert.equal(cookieToken('not_rg_console=x'), null);
  });
});

describe('static files', () => {
  test('index.html and hashed assets; nothing else, nothing outside the build', () => {
    assert.deepEqual(staticFile('/console/'), { file: 'index.html', immutable: false });
    assert.deepEqual(staticFile('/console/assets/index-B1mGVxr8.js'), {
      file: 'assets/index-B1mGVxr8.js',
      immutable: true,
    });
    for (const path of [
      '/console/assets/../root.js',
      '/console/assets/..',
      '/console/assets/a/b.js',
      '/console/assets/.hidden.js',
      '/console/assets/x.map',
      '/console/root.js',
      '/console/assets/',
    ])
      assert.equal(staticFile(path), null, path);
  });
});

describe('timeline entries', () => {
  test('an audio frame folds into its side’s entry of the same type within a second of its start', () => {
    const audio = entry({ type: 'response.output_audio.delta', at: 1000 });
    assert.equal(folds(audio, 'response.output_audio.delta', 1900), true);
    assert.equal(folds(audio, 'response.output_audio.delta', 2001), false);
    assert.equal(folds(audio, 'input_audio_buffer.append', 1100), false);
    assert.equal(folds(undefined, 'response.output_audio.delta', 1100), false);
  });

  test('a small frame is kept as its bytes, a large one rendered and cut; both render log-safe', () => {
    const small = Buffer.from(
      JSON.stringify({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: 'AAECAw==' }] },
      }),
    );
    assert.equal(sourceOf(small, null, 4096), small);
    const shown = toConsoleEvent(entry({ source: small, bytes: small.length }), 4096);
    assert.match(shown.payload!, /"audio":"\[audio: 4 bytes\]"/);
    const secret = { type: 'session.update', session: { api_key: 'sk-live-SECRET' }, pad: 'x'.repeat(500) };
    const large = Buffer.from(JSON.stringify(secret));
    const kept = sourceOf(large, null, 300);
    assert.equal(typeof kept, 'string');
    assert.ok((kept as string).length < 400);
    assert.ok(!(kept as string).includes('SECRET'));
    assert.match(kept as string, /… \[\d+ more characters\]$/);
    assert.match(sourceOf(null, { type: 'error', error: { message: 'm' } }, 300) as string, /"message":"m"/);
    assert.equal(
      toConsoleEvent(entry({ source: Buffer.from('{not json') }), 100).payload,
      '[9 bytes, not JSON]',
    );
  });
});

describe('a session tap', () => {
  test('folds each side’s audio across other events, keeps its bounds, and the conversation apart', () => {
    let now = 0;
    const taps = new SessionTaps({ eventsPerSession: 10, eventPayloadChars: 256 }, () => now);
    const tapping = taps.middleware()(INFO)!;
    tapping.open?.({} as never);
    const tap = taps.get('sess_1')!;
    const shown: number[] = [];
    tap.watch({ event: (event) => shown.push(event.seq), ended: () => shown.push(-1) });
    const text = (type: string) => Buffer.from(JSON.stringify({ type, transcript: 'hi' }));
    for (let i = 0; i < 5; i++) {
      now += 20;
      tap.count('upstream', 'response.output_audio.delta', 100);
      tap.capture(
        'upstream',
        'response.output_audio_transcript.delta',
        text('response.output_audio_transcript.delta'),
        () => null,
      );
      tap.count('client', 'input_audio_buffer.append', 50);
    }
    tap.capture(
      'upstream',
      'response.output_audio_transcript.done',
      text('response.output_audio_transcript.done'),
      () => null,
    );
    const { timeline, conversation } = tap.history();
    const audio = timeline.filter((e) => e.payload === null);
    assert.deepEqual(
      audio.map((e) => [e.side, e.frames, e.bytes]),
      [
        ['upstream', 5, 500],
        ['client', 5, 250],
      ],
    );
    assert.equal(timeline.length, 8, 'two audio entries, five deltas, one done');
    for (let i = 0; i < 20; i++) tap.capture('client', 'session.update', text('session.update'), () => null);
    assert.equal(tap.history().timeline.length, 10, 'eventsPerSession bounds the timeline');
    assert.deepEqual(
      tap.history().conversation.map((e) => e.type),
      conversation.map((e) => e.type),
    );
    assert.equal(conversation.length, 1);
    taps.charge('sess_1', 30, 0.5);
    assert.deepEqual([tap.tokens, tap.costUsd], [30, 0.5]);
    tapping.close?.({} as never);
    assert.equal(taps.get('sess_1'), undefined);
    assert.equal(shown.at(-1), -1, 'watchers hear of the end');
  });

  test('translation sessions are not tapped', () => {
    const taps = new SessionTaps({ eventsPerSession: 10, eventPayloadChars: 256 });
    assert.equal(taps.middleware()({ ...INFO, intent: 'translation' }), null);
  });
});

test('sessions per upstream per node', () => {
  const sessions = [
    { upstream: 'a', node: 'gw-1' },
    { upstream: 'a', node: 'gw-1' },
    { upstream: 'a', node: 'gw-2' },
    { upstream: 'b', node: 'gw-2' },
    { upstream: 'a' },
  ];
  assert.deepEqual(sessionsByNode(sessions, 'a'), { 'gw-1': 2, 'gw-2': 1, 'this node': 1 });
  assert.deepEqual(sessionsByNode(sessions, 'c'), {});
});
