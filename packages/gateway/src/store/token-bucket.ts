/** A token bucket's state: the tokens left at the time it was last taken from. */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
}

/**
 * Takes one token at time `now` from a bucket holding at most `capacity` tokens, refilled
 * evenly over `periodMs`; a bucket never taken from (`state` undefined) is full. Pure, so every
 * store applies the same arithmetic and tests drive it with a plain clock.
 *
 * @example
 * const first = takeToken(undefined, 10, 60_000, Date.now()); // 10 per minute, bursts of 10
 * if (!first.taken) refuse();
 */
export function takeToken(
  state: BucketState | undefined,
  capacity: number,
  periodMs: number,
  now: number,
): { readonly taken: boolean; readonly state: BucketState } {
  const refilled =
    state === undefined
      ? capacity
      : Math.min(capacity, state.tokens + (Math.max(0, now - state.at) * capacity) / periodMs);
  if (refilled < 1) return { taken: false, state: { tokens: refilled, at: now } };
  return { taken: true, state: { tokens: refilled - 1, at: now } };
}

/** When a bucket left in `state` is full again (and so need not be kept). */
export function fullAt(state: BucketState, capacity: number, periodMs: number): number {
  return state.at + ((capacity - state.tokens) * periodMs) / capacity;
}
