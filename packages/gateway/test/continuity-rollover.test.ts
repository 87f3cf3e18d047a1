/**
 * Rollover before a provider's cap: nothing without a cap or past the replacement limit, wait
 * for the window, replace at a quiet moment, and replace regardless at the last safe moment.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideRollover, type RolloverPolicy, type RolloverState } from '../src/continuity/rollover.js';

const HOUR = 3_600_000;
const POLICY: RolloverPolicy = {
  maxDurationMs: HOUR,
  rolloverBeforeMs: 60_000,
  minReplayMs: 5_000,
  maxReplacements: 3,
};
const at = (now: number, fields: Partial<RolloverState> = {}): RolloverState => ({
  upstreamStartedAt: 0,
  now,
  replacements: 0,
  responseInProgress: false,
  userSpeaking: false,
  ...fields,
});

describe('decideRollover', () => {
  test('without a cap there is nothing to do', () => {
    assert.deepEqual(decideRollover({ ...POLICY, maxDurationMs: null }, at(HOUR * 5)), {
      action: 'none',
      reason: 'no_limit',
    });
    assert.deepEqual(decideRollover({ ...POLICY, maxDurationMs: 0 }, at(1)), {
      action: 'none',
      reason: 'no_limit',
    });
  });

  test('past the replacement limit the upstream runs to its cap', () => {
    assert.deepEqual(decideRollover(POLICY, at(HOUR - 1000, { replacements: 3 })), {
      action: 'none',
      reason: 'replacements_exhausted',
    });
  });

  test('before the window: wait until it opens', () => {
    assert.deepEqual(decideRollover(POLICY, at(0)), {
      action: 'wait',
      inMs: HOUR - 60_000,
      reason: 'not_yet',
    });
    assert.deepEqual(decideRollover(POLICY, at(HOUR - 60_001)), {
      action: 'wait',
      inMs: 1,
      reason: 'not_yet',
    });
  });

  test('in the window: replace when quiet', () => {
    assert.deepEqual(decideRollover(POLICY, at(HOUR - 60_000)), { action: 'replace', reason: 'quiet' });
  });

  test('in the window but busy: look again soon, never past the last safe moment', () => {
    assert.deepEqual(decideRollover(POLICY, at(HOUR - 30_000, { responseInProgress: true })), {
      action: 'wait',
      inMs: 250,
      reason: 'busy',
    });
    assert.deepEqual(decideRollover(POLICY, at(HOUR - 5_100, { userSpeaking: true })), {
      action: 'wait',
      inMs: 100,
      reason: 'busy',
    });
  });

  test('at the last safe moment: replace even when busy', () => {
    for (const now of [HOUR - 5_000, HOUR - 1, HOUR + 10])
      assert.deepEqual(decideRollover(POLICY, at(now, { responseInProgress: true, userSpeaking: true })), {
        action: 'replace',
        reason: 'deadline',
      });
  });

  test('counts from when the current upstream started', () => {
    const state = at(HOUR + 10_000, { upstreamStartedAt: HOUR - 50_000, replacements: 1 });
    assert.deepEqual(decideRollover(POLICY, state), {
      action: 'wait',
      inMs: HOUR - 120_000,
      reason: 'not_yet',
    });
  });

  test('a window shorter than the replay time opens at the last safe moment', () => {
    const policy = { ...POLICY, rolloverBeforeMs: 1_000 };
    assert.deepEqual(decideRollover(policy, at(0)), {
      action: 'wait',
      inMs: HOUR - 5_000,
      reason: 'not_yet',
    });
    assert.deepEqual(decideRollover(policy, at(HOUR - 5_000)), { action: 'replace', reason: 'deadline' });
  });
});
