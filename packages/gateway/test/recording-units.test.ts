/**
 * The pure parts of recording (the WAV header, interleaving, the stereo timeline, G.711 and
 * resampling) as seeded properties, and a recorder's lifecycle against a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aLawSample, muLawSample, resample } from '../src/recording/audio-format.js';
import { NO_RECORDING_OBSERVER } from '../src/recording/observer.js';
import { AUDIO_FILE, EVENTS_FILE, Recorder } from '../src/recording/recorder.js';
import { interleave, StereoTimeline } from '../src/recording/timeline.js';
import { ModelItems } from '../src/recording/truncation.js';
import { parseWavHeader, WAV_HEADER_BYTES, wavHeader } from '../src/recording/wav.js';
import { NO_LOG } from '../src/vocabulary/session.js';

const SEED = { seed: 16, numRuns: 200 };
const samples = fc
  .array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 64 })
  .map((a) => Int16Array.from(a));

describe('WAV header', () => {
  test('reads back what it wrote, and is 44 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 8000, max: 48_000 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (channels, sampleRate, dataBytes) => {
          const header = wavHeader({ channels, sampleRate, dataBytes });
          assert.equal(header.length, WAV_HEADER_BYTES);
          assert.equal(header.readUInt32LE(4), 36 + dataBytes);
          assert.equal(header.readUInt32LE(28), sampleRate * channels * 2);
          assert.deepEqual(parseWavHeader(header), { channels, sampleRate, bitsPerSample: 16, dataBytes });
        },
      ),
      SEED,
    );
  });
});

describe('interleaving and the timeline', () => {
  test('interleave puts left first, frame by frame', () => {
    fc.assert(
      fc.property(samples, samples, (left, right) => {
        const out = interleave(left, right);
        const frames = Math.min(left.length, right.length);
        assert.equal(out.length, frames * 4);
        for (let i = 0; i < frames; i++) {
          assert.equal(out.readInt16LE(i * 4), left[i]);
          assert.equal(out.readInt16LE(i * 4 + 2), right[i]);
        }
      }),
      SEED,
    );
  });

  test('each chunk lands at max(its time, its channel end), silence elsewhere, whatever is taken when', () => {
    const push = fc.record({
      channel: fc.constantFrom(0 as const, 1 as const),
      chunk: samples,
      gap: fc.integer({ min: 0, max: 40 }),
      takeAfter: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(push, { maxLength: 20 }), (pushes) => {
        const timeline = new StereoTimeline();
        const expected: number[][] = [[], []];
        const ends = [0, 0];
        let at = 0;
        const parts: Buffer[] = [];
        for (const { channel, chunk, gap, takeAfter } of pushes) {
          at += gap;
          const start = Math.max(ends[channel]!, at);
          for (let i = 0; i < chunk.length; i++) expected[channel]![start + i] = chunk[i]!;
          ends[channel] = start + chunk.length;
          ends[1 - channel] = Math.max(ends[1 - channel]!, at);
          timeline.push(channel, chunk, at);
          if (takeAfter) parts.push(timeline.take());
        }
        parts.push(timeline.finish());
        const out = Buffer.concat(parts);
        const frames = Math.max(ends[0]!, ends[1]!);
        assert.equal(out.length, frames * 4);
        assert.equal(timeline.length, frames);
        assert.equal(timeline.held, 0);
        for (let i = 0; i < frames; i++) {
          assert.equal(out.readInt16LE(i * 4), expected[0]![i] ?? 0, `left ${i}`);
          assert.equal(out.readInt16LE(i * 4 + 2), expected[1]![i] ?? 0, `right ${i}`);
        }
      }),
      SEED,
    );
  });
});

describe('truncation', () => {
  test('an item truncated after what was laid: later chunks are cut to the limit', () => {
    const items = new ModelItems();
    assert.equal(items.lay('item_1', 100, new Int16Array(50)).length, 50);
    assert.equal(items.truncate('item_1', 80), null);
    assert.equal(items.lay('item_1', 150, new Int16Array(50)).length, 30);
    assert.equal(items.lay('item_1', 180, new Int16Array(50)).length, 0);
    assert.equal(items.truncate('item_unknown', 0), null);
  });

  test('an item truncated inside what was laid: the frames past the point, across a gap', () => {
    const items = new ModelItems();
    items.lay('item_1', 100, new Int16Array(50));
    items.lay('item_1', 150, new Int16Array(50)); // contiguous: one segment
    items.lay('item_1', 300, new Int16Array(40)); // after a gap
    assert.deepEqual(items.truncate('item_1', 120), { from: 300 + 20, to: 340 });
    assert.equal(items.truncate('item_1', 120), null);
    assert.deepEqual(items.truncate('item_1', 60), { from: 160, to: 320 });
    assert.equal(items.lay('item_1', 400, new Int16Array(10)).length, 0);
  });

  test('a timeline cut: held samples silenced (or dropped at the end), the part taken returned', () => {
    const push = fc.record({
      channel: fc.constantFrom(0 as const, 1 as const),
      chunk: samples.filter((chunk) => chunk.length > 0),
      gap: fc.integer({ min: 0, max: 40 }),
      takeAfter: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(push, { minLength: 1, maxLength: 12 }),
        fc.nat(400),
        fc.nat(400),
        (pushes, a, b) => {
          const timeline = new StereoTimeline();
          const reference = new StereoTimeline();
          const parts: Buffer[] = [];
          for (const { channel, chunk, gap, takeAfter } of pushes) {
            const at = Math.max(timeline.length, reference.length) + gap;
            timeline.push(channel, chunk, at);
            reference.push(channel, chunk, at);
            if (takeAfter) parts.push(timeline.take());
          }
          const whole = reference.finish();
          const [from, to] = [Math.min(a, b), Math.max(a, b)];
          const end = timeline.end(1);
          const written = timeline.cut(1, from, to);
          const out = Buffer.concat([...parts, timeline.finish()]);
          // What was taken before the cut is the caller's to silence.
          if (written !== null)
            for (let i = written.from; i < written.to; i++) out.writeInt16LE(0, i * 4 + 2);
          for (let i = 0; i * 4 < out.length; i++) {
            const cut = i >= from && i < to;
            assert.equal(out.readInt16LE(i * 4), whole.readInt16LE(i * 4), `left ${i}`);
            assert.equal(out.readInt16LE(i * 4 + 2), cut ? 0 : whole.readInt16LE(i * 4 + 2), `right ${i}`);
          }
          // Dropped, not silenced, when nothing followed on the channel: it ends at the cut.
          if (to >= end) assert.ok(timeline.end(1) <= Math.max(from, written?.to ?? 0, timeline.end(0)));
        },
      ),
      SEED,
    );
  });
});

describe('audio formats', () => {
  test('resampling keeps the duration and the first sample', () => {
    fc.assert(
      fc.property(samples, fc.constantFrom(8000, 16_000, 24_000, 48_000), (input, to) => {
        const out = resample(input, 24_000, to);
        assert.equal(out.length, Math.round((input.length * to) / 24_000));
        if (input.length > 0 && out.length > 0) assert.equal(out[0], input[0]);
      }),
      SEED,
    );
  });

  test('G.711 decodes silence near zero and full scale near full scale, symmetrically', () => {
    assert.equal(muLawSample(0xff), 0);
    assert.equal(muLawSample(0x00), -32124);
    assert.equal(muLawSample(0x80), 32124);
    assert.equal(aLawSample(0xd5), 8);
    assert.equal(aLawSample(0x55), -8);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 127 }), (byte) => {
        assert.equal(muLawSample(byte), -muLawSample(byte | 0x80));
        assert.equal(aLawSample(byte), -aLawSample(byte | 0x80));
      }),
      SEED,
    );
  });
});

const event = (type: string, extra: object = {}) => Buffer.from(JSON.stringify({ type, ...extra }));

function recorder(dir: string, maxBufferedBytes = 1 << 20, now?: () => number): Recorder {
  return new Recorder({
    now,
    sessionId: 'sess_unit',
    dir,
    include: 'both',
    sampleRate: 24_000,
    maxBufferedBytes,
    about: { recording: { sessionId: 'sess_unit' } },
    observer: NO_RECORDING_OBSERVER,
    log: NO_LOG,
  });
}

describe('a recorder', () => {
  test('idle → recording → finishing → finished; frames after the finish are not recorded', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'rec-')), 'sess_unit');
    const rec = recorder(dir);
    assert.equal(rec.state, 'idle');
    rec.start();
    assert.equal(rec.state, 'recording');
    rec.capture(
      'client',
      event('input_audio_buffer.append', { audio: Buffer.alloc(480).toString('base64') }),
      null,
    );
    rec.capture('upstream', null, { type: 'session.updated', session: { api_key: 'sk-unit-secret' } });
    const finished = rec.finish();
    assert.equal(rec.state, 'finishing');
    assert.equal(rec.finish(), finished);
    rec.capture('client', event('late'), null);
    await finished;
    assert.equal(rec.state, 'finished');
    const lines = (await readFile(join(dir, EVENTS_FILE), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.event?.type ?? Object.keys(l).join(',')),
      ['recording', 'input_audio_buffer.append', 'session.updated', 't,end,dropped'],
    );
    assert.equal(lines[1].event.audio, '[audio: 480 bytes]');
    assert.equal(lines[2].event.session.api_key, '[redacted]');
    const wav = await readFile(join(dir, AUDIO_FILE));
    assert.equal(parseWavHeader(wav)?.dataBytes, wav.length - WAV_HEADER_BYTES);
  });

  test('guardrail decisions: a blocked event with its texts marked, an answer cut as a line of the gateway', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'rec-')), 'sess_unit');
    const rec = recorder(dir);
    rec.start();
    rec.captureDecision(
      { guardrail: 'pii', direction: 'input', action: 'block', cause: 'deny' },
      {
        type: 'conversation.item.create',
        item: {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'my card is 4111 1111 1111 1111' },
            { type: 'input_audio', audio: 'AAAA', transcript: 'my card is 4111' },
          ],
        },
      },
    );
    rec.captureDecision({
      guardrail: 'pii',
      direction: 'output',
      action: 'end_session',
      cause: 'deny',
      responseId: 'resp_1',
    });
    await rec.finish();
    const text = await readFile(join(dir, EVENTS_FILE), 'utf8');
    assert.ok(!text.includes('4111'), 'no stopped text in the file');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const marker = "[blocked by guardrail 'pii']";
    assert.equal(lines[1].from, 'client');
    assert.equal(lines[1].blocked, 'pii');
    assert.deepEqual(
      lines[1].event.item.content.map((c: { text?: string; transcript?: string }) => c.text ?? c.transcript),
      [marker, marker],
    );
    assert.deepEqual(
      { from: lines[2].from, guardrail: lines[2].guardrail, text: lines[2].text },
      {
        from: 'gateway',
        guardrail: { name: 'pii', direction: 'output', action: 'end_session', cause: 'deny' },
        text: marker,
      },
    );
  });

  test('a full buffer drops frames and counts them, and the recording still finishes', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'rec-')), 'sess_unit');
    const rec = recorder(dir, 65_536);
    rec.start();
    const frame = event('response.output_text.delta', { delta: 'x'.repeat(10_000) });
    for (let i = 0; i < 10; i++) rec.capture('upstream', frame, null);
    assert.ok(rec.dropped >= 4, `${rec.dropped} dropped`);
    await rec.finish();
    assert.equal(rec.state, 'finished');
    const last = JSON.parse((await readFile(join(dir, EVENTS_FILE), 'utf8')).trim().split('\n').at(-1)!);
    assert.equal(last.dropped, rec.dropped);
  });

  test('a folder that cannot be made: failed, and finish still resolves', async () => {
    const base = await mkdtemp(join(tmpdir(), 'rec-'));
    await writeFile(join(base, 'file'), '');
    const rec = recorder(join(base, 'file', 'sess_unit'));
    rec.start();
    rec.capture('client', event('x'), null);
    await rec.finish();
    assert.equal(rec.state, 'failed');
  });

  test('a truncation cuts the model channel where the client stopped: audio held is dropped, audio written silenced', async () => {
    for (const written of [false, true]) {
      const dir = join(await mkdtemp(join(tmpdir(), 'rec-')), 'sess_unit');
      let clock = 0;
      const rec = recorder(dir, 1 << 22, () => clock);
      rec.start();
      const pcm = (count: number, value: number) => Buffer.from(new Int16Array(count).fill(value).buffer);
      clock = 10; // the answer: one second of audio, relayed at once (faster than it plays)
      rec.capture(
        'upstream',
        event('response.output_audio.delta', {
          item_id: 'item_1',
          delta: pcm(24_000, 1000).toString('base64'),
        }),
        null,
      );
      if (written) {
        // The user speaks 600 ms in: both channels reach that time, and it is written.
        clock = 600;
        rec.capture(
          'client',
          event('input_audio_buffer.append', { audio: pcm(2400, -700).toString('base64') }),
          null,
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
      clock = 700;
      rec.capture(
        'client',
        event('conversation.item.truncate', { item_id: 'item_1', content_index: 0, audio_end_ms: 100 }),
        null,
      );
      // A later chunk of the same item is cut too.
      rec.capture(
        'upstream',
        event('response.output_audio.delta', {
          item_id: 'item_1',
          delta: pcm(2400, 1000).toString('base64'),
        }),
        null,
      );
      await rec.finish();
      const wav = await readFile(join(dir, AUDIO_FILE));
      assert.equal(parseWavHeader(wav)?.dataBytes, wav.length - WAV_HEADER_BYTES);
      const frames = (wav.length - WAV_HEADER_BYTES) / 4;
      const right = Array.from({ length: frames }, (_, i) => wav.readInt16LE(WAV_HEADER_BYTES + i * 4 + 2));
      const left = Array.from({ length: frames }, (_, i) => wav.readInt16LE(WAV_HEADER_BYTES + i * 4));
      // 100 ms of the answer (2400 frames at 24 kHz) from 10 ms in, nothing after.
      assert.deepEqual(
        [right.indexOf(1000), right.lastIndexOf(1000), right.filter((s) => s !== 0).length],
        [240, 240 + 2399, 2400],
        written ? 'written, then silenced' : 'held, then dropped',
      );
      assert.equal(
        left.filter((s) => s === -700).length,
        written ? 2400 : 0,
        'the user channel is untouched',
      );
    }
  });
});
