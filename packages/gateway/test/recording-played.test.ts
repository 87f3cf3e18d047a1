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

test('played frames: back to back while continued, at their time after a gap; relayed deltas are not laid', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'rec-played-')), 'sess_call');
  let now = 0;
  const recorder = new Recorder({
    sessionId: 'sess_call',
    dir,
    include: 'audio',
    sampleRate: 24_000,
    maxBufferedBytes: 1 << 20,
    about: {},
    observer: NO_RECORDING_OBSERVER,
    log: NO_LOG,
    now: () => now,
    playedAudio: true,
  });
  recorder.start();
  // A delta relayed to the leg: its audio is the leg's to play, not the recording's to lay.
  const delta = { type: 'response.output_audio.delta', delta: frame(9).toString('base64') };
  recorder.capture('upstream', Buffer.from(JSON.stringify(delta)), null);
  // Two frames played 100 ms in, the second a late tick's (25 ms on) yet right after the first.
  now = 100;
  recorder.capturePlayed(frame(1), false);
  now = 125;
  recorder.capturePlayed(frame(2), true);
  // After silent ticks, a frame at its own time.
  now = 300;
  recorder.capturePlayed(frame(3), false);
  await recorder.finish();

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
