/**
 * Streaming deny patterns (partial-match.ts and the hold-back buffer over it): examples of each
 * construct at the stream's edges, and seeded properties against the plain RegExp over random
 * texts split into random deltas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../protocol/test/support/hostile.js';
import { emptyHold, finish, type HoldState, pushText } from '../src/guardrails/hold-back.js';
import {
  compileAutomaton,
  liveStart,
  matchHere,
  SCAN_START,
  type ScanState,
  scan,
} from '../src/guardrails/partial-match.js';
import { type DenyRule, denyRule, flagsOf, patternProblem } from '../src/guardrails/patterns.js';
import { testConfig } from './support/harness.js';

/** The scan of `text` so far (not ended), or the span of the match that stopped it. */
function scanned(source: string, text: string, ignoreCase = false) {
  const automaton = compileAutomaton(source, flagsOf(ignoreCase));
  const step = scan(automaton, SCAN_START, text, false);
  return { automaton, step };
}

function stateOf(
  source: string,
  text: string,
): { automaton: ReturnType<typeof compileAutomaton>; state: ScanState } {
  const { automaton, step } = scanned(source, text);
  assert.equal(step.kind, 'state');
  return { automaton, state: (step as { state: ScanState }).state };
}

/** The match in a whole text, by scanning it to its end. */
function whole(source: string, text: string, ignoreCase: boolean) {
  const automaton = compileAutomaton(source, flagsOf(ignoreCase));
  const step = scan(automaton, SCAN_START, text, true);
  return step.kind === 'match' ? step.span : matchHere(automaton, step.state, true);
}

describe('partial matches', () => {
  test('a literal: the tail that could still begin it is live', () => {
    const { automaton, state } = stateOf('abc', 'xxab');
    assert.equal(liveStart(automaton, state, 64), 2);
    assert.equal(matchHere(automaton, state, false), null);
    const done = scan(automaton, state, 'c', false);
    assert.equal(done.kind, 'state');
    if (done.kind === 'state')
      assert.deepEqual(matchHere(automaton, done.state, false), { index: 2, length: 3 });
  });

  test('nothing live: everything can go', () => {
    const { automaton, state } = stateOf('abc', 'hello');
    assert.equal(liveStart(automaton, state, 64), 5);
  });

  test('the earliest of overlapping partial matches is the one held', () => {
    const { automaton, state } = stateOf('aab', 'xaa');
    assert.equal(liveStart(automaton, state, 64), 1);
  });

  test('a partial match that could only complete longer than the bound is not waited for', () => {
    const { automaton, state } = stateOf('a\\d{5}', 'a123');
    assert.equal(liveStart(automaton, state, 64), 0);
    assert.equal(liveStart(automaton, state, 4), 4);
    assert.equal(liveStart(automaton, state, 5), 0);
  });

  test('\\b waits for the next character, and sees the text before the window', () => {
    const { automaton, state } = stateOf('\\bcat\\b', 'cat');
    assert.equal(matchHere(automaton, state, false), null);
    assert.equal(liveStart(automaton, state, 64), 0); // parked: ' ' or the end completes it
    assert.equal(liveStart(automaton, state, 3), 0); // a match of 3 may need no more characters
    assert.equal(scan(automaton, state, 's', false).kind, 'state');
    assert.equal(scan(automaton, state, ' ', false).kind, 'match');
    assert.deepEqual(matchHere(automaton, state, true), { index: 0, length: 3 });
    const concat = stateOf('\\bcat\\b', 'con').state;
    const after = scan(automaton, concat, 'cat', false);
    assert.equal(after.kind, 'state');
    if (after.kind === 'state') assert.equal(matchHere(automaton, after.state, true), null);
  });

  test('^ is the stream start, $ its end', () => {
    const start = stateOf('^ab', 'x').state;
    const { automaton } = stateOf('^ab', '');
    const later = scan(automaton, start, 'ab', false);
    assert.equal(later.kind === 'state' && matchHere(automaton, later.state, true), null);
    const end = stateOf('ab$', 'ab');
    assert.equal(matchHere(end.automaton, end.state, false), null);
    assert.deepEqual(matchHere(end.automaton, end.state, true), { index: 0, length: 2 });
  });

  test("case folding and classes are the engine's own (Kelvin sign, long s)", () => {
    assert.deepEqual(whole('k', '\u212a', true), { index: 0, length: 1 });
    // Under /iu, ſ is a word character (it folds to s): no boundary between it and an s.
    assert.deepEqual(whole('\\Bs', '\u017fs', true), { index: 1, length: 1 });
    assert.equal(whole('\\Bs', '\u017fs', false), null);
  });

  test('a surrogate pair split across chunks is scanned whole', () => {
    const automaton = compileAutomaton('a\u{1f600}', 'u');
    const first = scan(automaton, SCAN_START, 'a\ud83d', false);
    assert.equal(first.kind === 'state' && first.state.at, 1);
    if (first.kind !== 'state') return;
    const second = scan(automaton, first.state, '\ud83d\ude00', false);
    assert.equal(second.kind === 'state' && matchHere(automaton, second.state, false)?.length, 3);
  });

  test('a pattern whose automaton would be too large is refused', () => {
    assert.match(patternProblem('a{100000}', true) ?? '', /more than 100000 states/);
    assert.equal(patternProblem('\\d{13,16}', true), null);
    assert.match(patternProblem('\\d{13,16}', true, 16) ?? '', /more than 16 states \(maxPatternStates\)/);
    assert.throws(
      () => testConfig({ guardrails: [{ name: 'g', on: 'output', deny: ['a{40}'], maxPatternStates: 32 }] }),
      /guardrails\[0\]\.deny\[0\]: Invalid deny pattern: the pattern's automaton would have more than 32 states/,
    );
  });
});

// ----------------------------------------------------------------------------------------------
// Properties: the streaming guard against the RegExp

const PATTERNS = [
  'abc',
  'a[bc]+d',
  '\\bcat\\b',
  '^ab',
  'ab$',
  '(?:ab|ba){2}',
  'x\\d{2,3}y',
  'k\\s?s',
  '\\Bat',
  'c.t',
  'a\u{1f600}',
  '[^ ]b{3}',
  '(a|bc)*d',
];
const UNITS = [
  'a',
  'b',
  'c',
  'd',
  't',
  'x',
  'y',
  'k',
  's',
  ' ',
  '1',
  '2',
  'K',
  '\u212a',
  '\u017f',
  'A',
  '\n',
  '\u{1f600}',
];

/** Splits `text` at the given cut points (code units: surrogate pairs may be split too). */
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

interface Streamed {
  released: string;
  matched: boolean;
  /** The most held after any delta. */
  mostHeld: number;
  /** What was held after each delta, with the text received by then. */
  holds: { received: string; held: string }[];
}

function stream(rules: readonly DenyRule[], deltas: readonly string[], maxMatchChars: number): Streamed {
  let state: HoldState<never> = emptyHold();
  let released = '';
  let received = '';
  let mostHeld = 0;
  const holds: Streamed['holds'] = [];
  for (const delta of deltas) {
    received += delta;
    const step = pushText(state, delta, rules, maxMatchChars);
    if (step.kind === 'match') return { released, matched: true, mostHeld, holds };
    released += step.text;
    state = step.state;
    mostHeld = Math.max(mostHeld, state.held.length);
    holds.push({ received, held: state.held });
  }
  const last = finish(state, rules);
  if (last.kind === 'match') return { released, matched: true, mostHeld, holds };
  return { released: released + last.text, matched: false, mostHeld, holds };
}

/** Where the RegExp finds a match starting at each position. */
function matchStarts(regex: RegExp, text: string): number[] {
  const sticky = new RegExp(regex.source, `${regex.flags}y`);
  const starts: number[] = [];
  for (let at = 0; at <= text.length; at++) {
    sticky.lastIndex = at;
    if (sticky.test(text)) starts.push(at);
  }
  return starts;
}

const texts = fc.array(fc.constantFrom(...UNITS), { maxLength: 30 }).map((units) => units.join(''));
const cuts = fc.array(fc.nat(), { maxLength: 12 });
const patterns = fc.record({ source: fc.constantFrom(...PATTERNS), ignoreCase: fc.boolean() });

/** The stream is cut exactly when the RegExp finds a match in the whole text, and passes it whole otherwise. */
function assertCutExactly(rule: DenyRule, text: string, at: readonly number[], max: number): void {
  const { released, matched } = stream([rule], split(text, at), max);
  assert.equal(
    matched,
    rule.regex.test(text),
    `/${rule.regex.source}/${rule.regex.flags} on ${JSON.stringify(text)}`,
  );
  if (!matched) assert.equal(released, text);
  else assert.ok(text.startsWith(released));
}

/** No text of a match (none is longer than 64 here) is released. */
function assertNoMatchReleased(rule: DenyRule, text: string, at: readonly number[]): void {
  const { released } = stream([rule], split(text, at), 64);
  for (const start of matchStarts(rule.regex, text))
    assert.ok(released.length <= start, `released ${JSON.stringify(released)} of a match at ${start}`);
}

describe('the streaming guard agrees with the RegExp', () => {
  test('a text is cut exactly when the RegExp finds a match in it, and passes whole otherwise', () => {
    fc.assert(
      fc.property(
        patterns,
        texts,
        cuts,
        fc.integer({ min: 1, max: 8 }),
        ({ source, ignoreCase }, text, at, max) =>
          assertCutExactly(denyRule('g', source, ignoreCase), text, at, max),
      ),
      fuzzParameters(3000),
    );
  });

  test('never releases any text of a match no longer than maxMatchChars', () => {
    fc.assert(
      fc.property(patterns, texts, cuts, ({ source, ignoreCase }, text, at) =>
        assertNoMatchReleased(denyRule('g', source, ignoreCase), text, at),
      ),
      fuzzParameters(3000),
    );
  });

  test('holds at most maxMatchChars characters after each delta', () => {
    fc.assert(
      fc.property(
        patterns,
        texts,
        cuts,
        fc.integer({ min: 1, max: 6 }),
        ({ source, ignoreCase }, text, at, max) => {
          const { mostHeld } = stream([denyRule('g', source, ignoreCase)], split(text, at), max);
          // One more when a delta ends in half a surrogate pair: it waits for its other half.
          assert.ok(mostHeld <= max + 1, `held ${mostHeld} > ${max}`);
        },
      ),
      fuzzParameters(2000),
    );
  });

  test('with a literal, what is held is the longest tail that begins the literal', () => {
    const rule = denyRule('g', 'abc', false);
    fc.assert(
      fc.property(
        texts.filter((text) => !text.includes('abc')),
        cuts,
        (text, at) => {
          for (const { received, held } of stream([rule], split(text, at), 64).holds) {
            // Half a surrogate pair at the end waits for its other half.
            const pending = /[\ud800-\udbff]$/.test(received) ? 1 : 0;
            const scanned = received.slice(0, received.length - pending);
            const tail = ['ab', 'a'].find((prefix) => scanned.endsWith(prefix)) ?? '';
            assert.equal(held.length, tail.length + pending, JSON.stringify({ received, held }));
          }
        },
      ),
      fuzzParameters(1000),
    );
  });

  test('random patterns (of the constructs deny patterns may use) agree with the RegExp', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      'k',
      's',
      ' ',
      '.',
      '\\d',
      '\\w',
      '\\s',
      '[ab]',
      '[^a ]',
      '\u{1f600}',
    );
    const quantified = fc
      .tuple(atom, fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}'))
      .map(([a, q]) => a + q);
    const group = fc
      .array(fc.array(quantified, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
      .map((alternatives) => `(?:${alternatives.map((parts) => parts.join('')).join('|')})`);
    const piece = fc.oneof(quantified, quantified, group, fc.constantFrom('^', '$', '\\b', '\\B'));
    const source = fc
      .array(piece, { minLength: 1, maxLength: 5 })
      .map((pieces) => pieces.join(''))
      .filter((candidate) => patternProblem(candidate, false) === null);
    fc.assert(
      fc.property(
        source,
        fc.boolean(),
        texts,
        cuts,
        fc.integer({ min: 1, max: 8 }),
        (pattern, ignoreCase, text, at, max) => {
          const rule = denyRule('g', pattern, ignoreCase);
          assertCutExactly(rule, text, at, max);
          assertNoMatchReleased(rule, text, at);
        },
      ),
      fuzzParameters(2000),
    );
  });

  test('several rules: the first to match stops the stream, and none of its text is released', () => {
    const rules = [denyRule('one', 'abc', false), denyRule('two', '\\bcat\\b', true)];
    fc.assert(
      fc.property(texts, cuts, (text, at) => {
        const { released, matched } = stream(rules, split(text, at), 64);
        assert.equal(
          matched,
          rules.some((rule) => rule.regex.test(text)),
        );
        for (const rule of rules)
          for (const start of matchStarts(rule.regex, text)) assert.ok(released.length <= start);
      }),
      fuzzParameters(1000),
    );
  });
});
