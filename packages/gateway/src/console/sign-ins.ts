/**
 * The console's sign-ins: random tokens (the cookie's value) with their expiry, kept in memory
 * by their SHA-256 so that a heap dump shows no usable cookie. Bounded: past `max`, the oldest
 * sign-in is forgotten. A restart signs everyone out.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Options for {@link SignIns}. */
export interface SignInsOptions {
  readonly ttlMs: number;
  readonly max: number;
  readonly now?: () => number;
}

/**
 * @example
 * const signIns = new SignIns({ ttlMs: 8 * 3_600_000, max: 32 });
 * const token = signIns.create();
 * signIns.valid(token); // true
 * signIns.revoke(token);
 */
export class SignIns {
  /** Token digest → expiry (ms since the epoch), oldest first. */
  private readonly live = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: SignInsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A new sign-in's token. */
  create(): string {
    this.prune();
    while (this.live.size >= this.options.max) this.live.delete(this.live.keys().next().value as string);
    const token = randomBytes(32).toString('base64url');
    this.live.set(digest(token), this.now() + this.options.ttlMs);
    return token;
  }

  /** Whether `token` is a sign-in that has not expired. */
  valid(token: string | null): boolean {
    if (token === null) return false;
    const key = digest(token);
    const expires = this.live.get(key);
    if (expires === undefined) return false;
    if (expires > this.now()) return true;
    this.live.delete(key);
    return false;
  }

  revoke(token: string | null): void {
    if (token !== null) this.live.delete(digest(token));
  }

  /** Signs everyone out. */
  clear(): void {
    this.live.clear();
  }

  private prune(): void {
    const now = this.now();
    for (const [key, expires] of this.live) if (expires <= now) this.live.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
