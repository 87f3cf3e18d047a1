/**
 * The console's sign-ins: random tokens (the cookie's value) kept in the gateway's store under
 * their SHA-256, so that every worker and every node sharing the store knows a sign-in made at
 * any of them, and nothing in the store is a usable cookie. Each entry lapses with the sign-in
 * and names the admin key it was made with: a new admin key signs everyone out. Sign-ins are
 * bounded: at most `max` in any `ttlMs` window, past which signing in is refused until it passes,
 * and attempts from one client address are rate-limited (right key or wrong).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

/** Options for {@link SignIns}. */
export interface SignInsOptions {
  readonly store: Store;
  readonly ttlMs: number;
  readonly max: number;
  /** Attempts allowed per minute from one client address. */
  readonly attemptsPerMinute: number;
}

const PREFIX = 'console-sign-in:';
const WINDOW = 'console-sign-ins';
const ATTEMPTS = 'console-sign-in-attempts:';

/**
 * @example
 * const signIns = new SignIns({ store, ttlMs: 8 * 3_600_000, max: 32 });
 * const token = await signIns.create(keyHash); // null past `max` in the window
 * await signIns.valid(token, keyHash); // true
 * await signIns.revoke(token);
 */
export class SignIns {
  constructor(private readonly options: SignInsOptions) {}

  /** Whether `address` may try to sign in now: a key cannot be guessed at the network's pace. */
  attempt(address: string): Promise<boolean> {
    return this.options.store.take(ATTEMPTS + address, this.options.attemptsPerMinute, 60_000);
  }

  /** A new sign-in's token, made with the admin key `keyHash`; null when too many were made lately. */
  async create(keyHash: string): Promise<string | null> {
    const { store, ttlMs, max } = this.options;
    if ((await store.add(WINDOW, 1, ttlMs)) > max) return null;
    const token = randomBytes(32).toString('base64url');
    await store.put(PREFIX + digest(token), digest(keyHash), ttlMs);
    return token;
  }

  /** Whether `token` is a sign-in that has not lapsed, made with the admin key `keyHash`. */
  async valid(token: string | null, keyHash: string): Promise<boolean> {
    if (token === null) return false;
    return (await this.options.store.get(PREFIX + digest(token))) === digest(keyHash);
  }

  async revoke(token: string | null): Promise<void> {
    if (token !== null) await this.options.store.pop(PREFIX + digest(token));
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
