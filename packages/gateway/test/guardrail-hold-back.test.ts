/**
 * The pure parts of guardrails: deny patterns refused at config load, and the hold-back
 * buffer's audio (its text against the RegExp: guardrail-partial-match.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyHold, finish, pushAudio, pushText } from '../src/guardrails/hold-back.js';
import { OutputGuard, type TextDelta } from '../src/guardrails/output-guard.js';
import { type DenyRule, denyRule, patternProblem } from '../src/guardrails/patterns.js';
import { testConfig } from './support/harness.js';

const RULES: DenyRule[] = [denyRule('no-abc', 'abc', false)];
const MAX = 3; // the length of 'abc'

describe('hold-back buffer', () => {
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
    take(pushText(state, 'hello ab', RULES, MAX)); // 'hello ' out, 'ab' held: it may become 'abc'
    take(pushAudio(state, 'audio-1')); // speaks up to 'hello ab': held
    take(pushText(state, 'le a', RULES, MAX)); // 'able ' out: audio-1 goes with it; 'a' held
    take(pushAudio(state, 'audio-2')); // held behind the 'a'
    take(pushText(state, 'll', RULES, MAX)); // 'all' out, and audio-2
    take(pushAudio(state, 'audio-3')); // nothing held: at once
    take(finish(state, RULES));
    assert.deepEqual(out, ['text:hello ', 'text:able ', 'audio-1', 'text:all', 'audio-2', 'audio-3']);
  });

  test('the end of the text may complete a match: finish then stops the stream', () => {
    const rules = [denyRule('last-word', 'bye$', true)];
    const step = pushText(emptyHold<string>(), 'say Bye', rules, 64);
    assert.equal(step.kind === 'release' && step.text, 'say '); // 'Bye' held: the end may follow
    if (step.kind !== 'release') return;
    assert.deepEqual(finish(step.state, rules), {
      kind: 'match',
      match: { guardrail: 'last-word', index: 4, length: 3 },
    });
    const more = pushText(step.state, ' now', rules, 64);
    assert.equal(more.kind === 'release' && more.text, 'Bye now');
  });

  test('an audio delta with nothing held passes at once', () => {
    const step = pushAudio(emptyHold<string>(), 'audio');
    assert.deepEqual(step.kind === 'release' ? step.audio : null, ['audio']);
  });
});

describe('output guard', () => {
  const delta = (responseId: string, text: string): TextDelta => ({
    type: 'response.output_text.delta',
    event_id: 'event_1',
    response_id: responseId,
    item_id: `item_${responseId}`,
    output_index: 0,
    content_index: 0,
    delta: text,
  });

  test("a part's scan goes on across deltas, with nothing held between them", () => {
    const guard = new OutputGuard([denyRule('no-cat', '\\bcat\\b', true)], 64);
    assert.equal(guard.text(delta('r1', 'con')).kind, 'forward');
    assert.ok(guard.idle, 'nothing held: audio passes unparsed');
    assert.equal(
      guard.text(delta('r1', 'cat ')).kind,
      'forward',
      "'concat' has no word boundary before 'cat'",
    );
    assert.equal(guard.text(delta('r2', 'the ')).kind, 'forward');
    assert.deepEqual(guard.text(delta('r2', 'cat ')), {
      kind: 'cut',
      responseId: 'r2',
      itemId: 'item_r2',
      match: { guardrail: 'no-cat', index: 4, length: 3 },
    });
  });

  test("a part's done event cuts a response whose text's end completes a match", () => {
    const guard = new OutputGuard([denyRule('last-word', 'bye$', true)], 64);
    const held = guard.text(delta('r1', 'say bye'));
    assert.equal(held.kind === 'send' && held.events.length, 1, "'say ' out, 'bye' held");
    assert.ok(!guard.idle);
    assert.equal(guard.done('r1', 'item_r1', 0).kind, 'cut');
    assert.ok(guard.isCut('r1'));
    assert.deepEqual(guard.responseDone('r1'), { kind: 'send', events: [] });
    assert.ok(guard.idle);
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
    assert.match(patternProblem('(?:x(a?))*y', true) ?? '', /nested quantifiers/);
    assert.match(patternProblem('(?<w>a)\\k<w>', true) ?? '', /backreferences/);
    assert.match(patternProblem('(?<!a)b', true) ?? '', /lookaround/);
    // Quantified, but nothing nested: a literal parenthesis, a class, a group without quantifiers.
    assert.equal(patternProblem('\\(a+\\)+', true), null);
    assert.equal(patternProblem('[(a+)]+', true), null);
    assert.equal(patternProblem('(?:ab|cd)+', true), null);
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
