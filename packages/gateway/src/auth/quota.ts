import { type Refusal, refusal } from '../refusal.js';

/**
 * Concurrent-session slots, in total and per key. A slot is reserved before the upstream is
 * dialled, so that a burst of connections cannot overshoot a limit while they are connecting,
 * and released exactly once when the session ends or the attempt fails.
 *
 * @example
 * const slot = quota.acquire('key-1', 5);
 * if ('status' in slot) return refuse(slot);
 * session.onEnd(slot.release);
 */
export class SessionQuota {
  private total = 0;
  private readonly perKey = new Map<string, number>();

  constructor(private readonly maxTotal: number) {}

  get active(): number {
    return this.total;
  }

  /** Concurrent sessions held by `keyId`. */
  activeFor(keyId: string): number {
    return this.perKey.get(keyId) ?? 0;
  }

  acquire(keyId: string | null, maxForKey: number): Refusal | { readonly release: () => void } {
    if (this.total >= this.maxTotal) {
      return refusal(503, 'gateway_at_capacity', `The gateway is at its limit of ${this.maxTotal} sessions.`);
    }
    if (keyId !== null && this.activeFor(keyId) >= maxForKey) {
      return refusal(429, 'too_many_sessions', `The key '${keyId}' already has ${maxForKey} sessions open.`, {
        type: 'rate_limit_error',
      });
    }
    this.total++;
    if (keyId !== null) this.perKey.set(keyId, this.activeFor(keyId) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        if (keyId !== null) {
          const left = this.activeFor(keyId) - 1;
          if (left > 0) this.perKey.set(keyId, left);
          else this.perKey.delete(keyId);
        }
      },
    };
  }
}
