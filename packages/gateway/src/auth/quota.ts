import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import type { StoreHolder } from '../store/holder.js';
import { keyPool, SESSIONS_POOL } from '../store/pools.js';
import { StoreError } from '../store/store.js';

/** A concurrent-session slot: in total and for the key. */
export interface SessionSlot {
  /** Gives the slot back; calling it again does nothing. */
  readonly release: () => void;
}

/** The store pools a quota counts in, and the word its refusals use. */
export interface QuotaPools {
  readonly total: string;
  readonly perKey: (keyId: string) => string;
  /** Plural: `sessions`, `calls`. */
  readonly noun: string;
}

const SESSION_POOLS: QuotaPools = { total: SESSIONS_POOL, perKey: keyPool, noun: 'sessions' };

/**
 * Concurrent-session slots, in total and per key, held in the store so that the limits hold for
 * the whole deployment. A slot is reserved before the upstream is dialled, so that a burst of
 * connections cannot overshoot a limit while they are connecting, and released exactly once
 * when the session ends or the attempt fails.
 *
 * @example
 * const slot = await quota.acquire('key-1', 5);
 * if ('status' in slot) return refuse(slot);
 * session.onEnd(slot.release);
 */
export class SessionQuota {
  /**
   * `counted` names what the slots are for: sessions by default, or another kind of object
   * with pools of its own (WebRTC calls, which each also hold a session slot).
   */
  constructor(
    private readonly holder: StoreHolder,
    private readonly maxTotal: number,
    private readonly counted: QuotaPools = SESSION_POOLS,
  ) {}

  async acquire(keyId: string | null, maxForKey: number): Promise<Refusal | SessionSlot> {
    const { total, perKey, noun } = this.counted;
    const pools = [{ pool: total, limit: this.maxTotal }];
    if (keyId !== null) pools.push({ pool: perKey(keyId), limit: maxForKey });
    let grant: Awaited<ReturnType<StoreHolder['acquire']>>;
    try {
      grant = await this.holder.acquire(pools);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return storeUnavailable();
    }
    if (!grant.ok) {
      if (grant.pool === total)
        return refusal(
          503,
          'gateway_at_capacity',
          `The gateway is at its limit of ${this.maxTotal} ${noun}.`,
        );
      return refusal(429, `too_many_${noun}`, `The key '${keyId}' already has ${maxForKey} ${noun} open.`, {
        type: 'rate_limit_error',
      });
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.holder.release(grant.slotId);
      },
    };
  }
}
