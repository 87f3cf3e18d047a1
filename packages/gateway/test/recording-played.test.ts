/**
 * A call's recorder (`playedAudio`): the model's channel holds the frames the call's leg
 * played, each at the time it played or right after the one before, and not the audio deltas
 * relayed to the leg (some of which an interruption or a cut drops unplayed). On a clock the
 * test sets, against a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NO_RECORDING_OBSERVER } from '../src/recording/observer.js';
import { AUDIO_FILE, Recorder } from '../src/recording/recorder.js';
import { WAV_HEADER_BYTES } from '../src/recording/wav.js';
import { NO_LOG } from '../src/vocabulary/session.js';

/** One 20 ms frame at 24 kHz of a constant sample value. */
const frame = (value: number): Buffer => {
  const pcm = Buffer.alloc(960);
  for (let i = 0; i < 480; i++) pcm.writeInt16LE(value, i * 2);
  return pcm;
};

function recorder(
  dir: string,
  include: 'events' | 'audio',
  now: () => number,
  maxBufferedBytes = 1 << 20,
): Recorder {
  return new Recorder({
    sessionId: 'sess_call',
    dir,
    include,
    sampleRate: 24_000,
    maxBufferedBytes,
    about: {},
    observer: NO_RECORDING_OBSERVER,
    log: NO_LOG,
    now,
    playedAudio: true,
  });
}

test('played frames: back to back while continued, at their time after a gap; relayed deltas are not laid', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'rec-played-')), 'sess_call');
  let now = 0;
  const rec = recorder(dir, 'audio', () => now);
  rec.start();
  // A delta relayed to the leg: its audio is the leg's to play, not the recording's to lay.
  const delta = { type: 'response.output_audio.delta', delta: frame(9).toString('base64') };
  rec.capture('upstream', Buffer.from(JSON.stringify(delta)), null);
  // Two frames played 100 ms in, the second a late tick's (25 ms on) yet right after the first.
  now = 100;
  rec.capturePlayed(frame(1), false);
  now = 125;
  rec.capturePlayed(frame(2), true);
  // After silent ticks, a frame at its own time.
  now = 300;
  rec.capturePlayed(frame(3), false);
  await rec.finish();

  const wav = await readFile(join(dir, AUDIO_FILE));
  const right = (ms: number) => wav.readInt16LE(WAV_HEADER_BYTES + Math.round(ms * 24) * 4 + 2);
  const frames = (wav.length - WAV_HEADER_BYTES) / 4;
  assert.equal(frames, 320 * 24, 'the file ends with the last frame played');
  assert.deepEqual(
    [0, 99, 100, 119, 120, 139, 140, 299, 300, 319].map(right),
    [0, 0, 1, 1, 2, 2, 0, 0, 3, 3],
  );
  assert.ok(
    !Array.from({ length: frames }, (_, i) => wav.readInt16LE(WAV_HEADER_BYTES + i * 4 + 2)).includes(9),
    'no relayed delta on the model channel',
  );
});

test('played frames wait within maxBufferedBytes like any frame, and are not kept when audio is not recorded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rec-played-'));
  const counts: number[] = [];
  for (const include of ['audio', 'events'] as const) {
    const rec = recorder(join(dir, include), include, () => 0, 65_536);
    rec.start();
    // A hundred frames in one turn, before any is written: 96 000 bytes against a 64 KiB bound.
    for (let i = 0; i < 100; i++) rec.capturePlayed(frame(1), true);
    counts.push(rec.dropped);
    await rec.finish();
  }
  assert.ok(counts[0]! > 0 && counts[0]! < 100, `audio: ${counts[0]} dropped`);
  assert.equal(counts[1], 0, 'an events-only recording keeps no audio');
});
