/**
 * Connection admission: how many client sockets are open, in total and per client address,
 * and whether one more may be. Sockets are counted from accept to close, whatever they carry
 * (plain HTTP, a pending upgrade, a running session), so a flood of half-open connections meets
 * the same cap as real sessions.
 */
import { type Refusal, refusal } from '../refusal.js';

/** The caps, from `limits.maxConnections` and `limits.maxConnectionsPerAddress`. */
export interface AdmissionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
}

/** Read-only counts, for tests and operators. */
export interface ConnectionCounts {
  /** Client sockets open now. */
  readonly open: number;
  /** Client addresses with at least one open socket. */
  readonly addresses: number;
  /** Sockets open now from one address. */
  openFrom(address: string): number;
}

/**
 * @example
 * const admission = new ConnectionAdmission({ maxConnections: 2, maxConnectionsPerAddress: 1 });
 * admission.admit('10.0.0.1');  // null: counted in
 * admission.admit('10.0.0.1');  // 429 too_many_connections_from_address
 * admission.release('10.0.0.1'); // when that socket closes
 */
export class ConnectionAdmission implements ConnectionCounts {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  get open(): number {
    return this.total;
  }

  get addresses(): number {
    return this.byAddress.size;
  }

  openFrom(address: string): number {
    return this.byAddress.get(normalize(address)) ?? 0;
  }

  /** Counts a new socket in and returns null, or returns why it may not open (and counts nothing). */
  admit(address: string): Refusal | null {
    const key = normalize(address);
    if (this.total >= this.limits.maxConnections) {
      return refusal(503, 'too_many_connections', 'The gateway has too many open connections; retry later.');
    }
    const fromAddress = this.byAddress.get(key) ?? 0;
    if (fromAddress >= this.limits.maxConnectionsPerAddress) {
      return refusal(
        429,
        'too_many_connections_from_address',
        `Too many open connections from this address (at most ${this.limits.maxConnectionsPerAddress}).`,
        { type: 'rate_limit_error' },
      );
    }
    this.total++;
    this.byAddress.set(key, fromAddress + 1);
    return null;
  }

  /** Counts a closed socket out; exactly once for every successful {@link admit}. */
  release(address: string): void {
    const key = normalize(address);
    const fromAddress = this.byAddress.get(key);
    if (fromAddress === undefined) return;
    this.total--;
    // Entries go when their last socket does, so the map cannot grow with addresses seen once.
    if (fromAddress <= 1) this.byAddress.delete(key);
    else this.byAddress.set(key, fromAddress - 1);
  }
}

/** One client, one key: an IPv4 client on a dual-stack socket shows up as `::ffff:a.b.c.d`. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
