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
  private readonly shared = new Map<string, { connection: McpConnection; refs: number }>();
  private closed = false;

  constructor(private readonly log: SessionLog = NO_LOG) {}

  /** Registers an operator server; it connects on first use. */
  addOperatorServer(spec: McpServerSpec): McpConnection {
    const connection = new McpConnection(spec, this.log);
    this.operator.set(spec.label, connection);
    return connection;
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
    const all = [...this.operator.values(), ...[...this.shared.values()].map((e) => e.connection)];
    this.shared.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
