/**
 * The pure parts of guardrails: deny patterns refused at config load, and the hold-back buffer,
 * with seeded properties over random texts split into random deltas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { emptyHold, finish, type HoldState, pushAudio, pushText } from '../src/guardrails/hold-back.js';
import { type DenyRule, patternProblem } from '../src/guardrails/patterns.js';
import { testConfig } from './support/harness.js';

const SEED = 16_016;
const RULES: DenyRule[] = [{ guardrail: 'no-abc', regex: /abc/u }];
const KEEP = 2; // maxMatchChars 3, the length of 'abc'

/** Splits `text` at the given cut points into deltas. */
function split(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const deltas: string[] = [];
  let from = 0;
  for (const point of points) {
    deltas.push(text.slice(from, point));
    from = point;
  }
  deltas.push(text.slice(from));
  return deltas;
}

/** Streams deltas through the buffer: what was released, and whether it stopped at a match. */
function stream(deltas: readonly string[]): { released: string; matched: boolean } {
  let state: HoldState<never> = emptyHold();
  let released = '';
  for (const delta of deltas) {
    const step = pushText(state, delta, RULES, KEEP);
    if (step.kind === 'match') return { released, matched: true };
    released += step.text;
    state = step.state;
  }
  const last = finish(state);
  return { released: released + (last.kind === 'release' ? last.text : ''), matched: false };
}

const texts = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' '), maxLength: 40 });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('hold-back buffer', () => {
  test('never releases a matched string, whatever the delta boundaries', () => {
    fc.assert(
      fc.property(texts, cuts, (text, at) => {
        const { released, matched } = stream(split(text, at));
        assert.ok(!released.includes('abc'), `released ${JSON.stringify(released)}`);
        assert.equal(matched, text.includes('abc'));
        assert.ok(text.startsWith(released));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test('releases everything, in order, when nothing matches', () => {
    fc.assert(
      fc.property(
        texts.filter((text) => !text.includes('abc')),
        cuts,
        (text, at) => {
          assert.deepEqual(stream(split(text, at)), { released: text, matched: false });
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test('holds at most maxMatchChars - 1 characters after each delta', () => {
    fc.assert(
      fc.property(
        texts.filter((text) => !text.includes('abc')),
        cuts,
        (text, at) => {
          let state: HoldState<never> = emptyHold();
          for (const delta of split(text, at)) {
            const step = pushText(state, delta, RULES, KEEP);
            assert.equal(step.kind, 'release');
            if (step.kind === 'release') state = step.state;
            assert.ok(state.held.length <= KEEP);
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  test('audio waits for the transcript it follows, and keeps its order', () => {
    let state = emptyHold<string>();
    const out: string[] = [];
    const take = (step: ReturnType<typeof pushText<string>>) => {
      assert.equal(step.kind, 'release');
      if (step.kind !== 'release') return;
      if (step.text !== '') out.push(`text:${step.text}`);
      out.push(...step.audio);
      state = step.state;
    };
    take(pushText(state, 'hello', RULES, KEEP)); // 'hel' out, 'lo' held
    take(pushAudio(state, 'audio-1')); // speaks up to 'hello': held
    take(pushText(state, ' there', RULES, KEEP)); // 'lo the' out: audio-1 goes with it
    take(pushAudio(state, 'audio-2'));
    take(finish(state));
    assert.deepEqual(out, ['text:hel', 'text:lo the', 'audio-1', 'text:re', 'audio-2']);
  });

  test('an audio delta with nothing held passes at once', () => {
    const step = pushAudio(emptyHold<string>(), 'audio');
    assert.deepEqual(step.kind === 'release' ? step.audio : null, ['audio']);
  });
});

describe('deny patterns', () => {
  test('accepts plain patterns, refuses costly or empty ones', () => {
    assert.equal(patternProblem('credit card', true), null);
    assert.equal(patternProblem('\\b\\d{13,16}\\b', true), null);
    assert.match(patternProblem('(a+)+$', true) ?? '', /nested quantifiers/);
    assert.match(patternProblem('((ab)*c)*', true) ?? '', /nested quantifiers/);
    assert.match(patternProblem('(a)\\1', true) ?? '', /backreferences/);
    assert.match(patternProblem('foo(?=bar)', true) ?? '', /lookaround/);
    assert.match(patternProblem('a*', true) ?? '', /empty string/);
    assert.ok(patternProblem('(unclosed', true) !== null);
  });

  test('a bad pattern is a config error naming the field', () => {
    assert.throws(
      () => testConfig({ guardrails: [{ name: 'g', on: 'output', deny: ['fine', '(x+)+'] }] }),
      /guardrails\[0\]\.deny\[1\]: Invalid deny pattern: nested quantifiers/,
    );
    assert.throws(
      () =>
        testConfig({
          guardrails: [{ name: 'g', on: 'output', moderation: { url: 'http://127.0.0.1:1/v1/moderations' } }],
        }),
      /guardrails\[0\]\.moderation: A moderation service checks input only/,
    );
  });
});
