import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConversationItem } from '@realtime-gateway/protocol';
import { truncateContext } from '../src/response/truncation.js';

const item = (id: string): ConversationItem => ({
  id,
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: id }],
});
const items = ['a', 'b', 'c', 'd'].map(item);
const tenEach = () => 10;
const ids = (kept: readonly ConversationItem[]) => kept.map((entry) => entry.id);
const ratio = (retention_ratio: number, post_instructions?: number) =>
  ({
    type: 'retention_ratio',
    retention_ratio,
    ...(post_instructions === undefined ? {} : { token_limits: { post_instructions } }),
  }) as const;

describe('truncateContext', () => {
  test('auto, disabled, none, or a ratio without a limit read everything', () => {
    for (const truncation of ['auto', 'disabled', undefined, null, ratio(0.5)] as const)
      assert.deepEqual(ids(truncateContext(items, truncation, tenEach)), ['a', 'b', 'c', 'd']);
  });

  test('within the limit nothing is dropped, even at the limit exactly', () => {
    assert.deepEqual(ids(truncateContext(items, ratio(0.1, 40), tenEach)), ['a', 'b', 'c', 'd']);
  });

  test('past the limit the oldest go until the ratio of the limit remains', () => {
    assert.deepEqual(ids(truncateContext(items, ratio(0.5, 39), tenEach)), ['d']);
    assert.deepEqual(ids(truncateContext(items, ratio(0.8, 30), tenEach)), ['c', 'd']);
    assert.deepEqual(ids(truncateContext(items, ratio(1, 30), tenEach)), ['b', 'c', 'd']);
    assert.deepEqual(ids(truncateContext(items, ratio(0, 30), tenEach)), []);
  });

  test('leaves its input alone', () => {
    const before = [...items];
    truncateContext(items, ratio(0.5, 10), tenEach);
    assert.deepEqual(items, before);
  });
});
