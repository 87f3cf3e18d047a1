/**
 * The gateway's MCP connections, shared across sessions: one per operator server for the
 * gateway's life, and one per distinct client-declared server (same URL and credentials) for as
 * long as some session uses it.
 */
import { NO_LOG, type SessionLog } from '../vocabulary/session.js';
import { McpConnection, type McpServerSpec } from './connection.js';

/** A connection borrowed from the pool; `release()` once the session is done with it. */
export interface Lease {
  readonly connection: McpConnection;
  release(): void;
}

/**
 * @example
 * const pool = new McpPool(log);
 * pool.addOperatorServer(crmSpec);
 * const crm = pool.operatorServer('crm');
 * const lease = pool.acquire(clientSpec); // … lease.release();
 * await pool.close();
 */
export class McpPool {
  private readonly operator = new Map<string, McpConnection>();
  /** What each operator connection was made from, to tell a changed server from the same one. */
  private readonly specKeys = new Map<McpConnection, string>();
  /** Sessions using each operator connection, counted from {@link leaseOperator}. */
  private readonly leases = new Map<McpConnection, number>();
  /** Operator connections a new configuration no longer has; each closes when its last session ends. */
  private readonly retired = new Set<McpConnection>();
  private readonly shared = new Map<string, { connection: McpConnection; refs: number }>();
  private closed = false;

  constructor(private readonly log: SessionLog = NO_LOG) {}

  /** Registers an operator server; it connects on first use. */
  addOperatorServer(spec: McpServerSpec): McpConnection {
    const connection = new McpConnection(spec, this.log);
    this.operator.set(spec.label, connection);
    return connection;
  }

  /**
   * Makes the operator servers those of a (new) configuration: a server whose spec is unchanged
   * keeps its connection; a changed or dropped one is retired, closed once no session uses it
   * (at once when none does), so live sessions keep the servers they started with. Returns the
   * configuration's connections by label.
   */
  useOperatorServers(specs: readonly McpServerSpec[]): ReadonlyMap<string, McpConnection> {
    const next = new Map<string, McpConnection>();
    for (const spec of specs) {
      const key = JSON.stringify(spec);
      const existing = this.operator.get(spec.label);
      if (existing !== undefined && this.specKeys.get(existing) === key) {
        next.set(spec.label, existing);
        continue;
      }
      const connection = new McpConnection(spec, this.log);
      this.specKeys.set(connection, key);
      next.set(spec.label, connection);
    }
    const kept = new Set(next.values());
    for (const connection of this.operator.values()) if (!kept.has(connection)) this.retire(connection);
    this.operator.clear();
    for (const [label, connection] of next) this.operator.set(label, connection);
    return next;
  }

  /**
   * A session's use of an operator connection, for as long as the session lasts; null when the
   * connection has been retired and closed (the configuration changed while the session was
   * being set up).
   */
  leaseOperator(connection: McpConnection): Lease | null {
    if (connection.state === 'closed') return null;
    this.leases.set(connection, (this.leases.get(connection) ?? 0) + 1);
    let released = false;
    return {
      connection,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.leases.get(connection) ?? 1) - 1;
        if (left > 0) return void this.leases.set(connection, left);
        this.leases.delete(connection);
        if (this.retired.has(connection)) this.closeRetired(connection);
      },
    };
  }

  private retire(connection: McpConnection): void {
    if ((this.leases.get(connection) ?? 0) === 0) this.closeRetired(connection);
    else this.retired.add(connection);
  }

  private closeRetired(connection: McpConnection): void {
    this.retired.delete(connection);
    this.specKeys.delete(connection);
    void connection.close();
  }

  operatorServer(name: string): McpConnection | null {
    return this.operator.get(name) ?? null;
  }

  get operatorServers(): readonly McpConnection[] {
    return [...this.operator.values()];
  }

  /** Borrows the connection for a client-declared server, sharing it with sessions that use the same one. */
  acquire(spec: McpServerSpec): Lease {
    const key = JSON.stringify([spec.transport, spec.callTimeoutMs]);
    let entry = this.shared.get(key);
    if (entry === undefined || this.closed) {
      entry = { connection: new McpConnection(spec, this.log), refs: 0 };
      if (!this.closed) this.shared.set(key, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      connection: held.connection,
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        if (held.refs === 0 && this.shared.get(key) === held) {
          this.shared.delete(key);
          void held.connection.close();
        }
      },
    };
  }

  /** Number of client-declared connections open, for tests and metrics. */
  get sharedCount(): number {
    return this.shared.size;
  }

  /** Closes every connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [
      ...this.operator.values(),
      ...this.retired,
      ...[...this.shared.values()].map((e) => e.connection),
    ];
    this.shared.clear();
    this.retired.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
