/**
 * A token bucket: `capacity` tokens, refilled evenly over `periodMs`. Time is passed in, so the
 * bucket is a pure state machine that tests drive with a fake clock.
 *
 * @example
 * const bucket = new TokenBucket(10, 60_000, Date.now()); // 10 per minute, bursts of 10
 * if (!bucket.take(Date.now())) refuse();
 */
export class TokenBucket {
  private tokens: number;

  constructor(
    readonly capacity: number,
    readonly periodMs: number,
    private last: number,
  ) {
    this.tokens = capacity;
  }

  /** Takes a token if one is available at time `now`. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / this.periodMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
