/**
 * The rows of the console's live tables, made from what the gateway knows: sessions with what
 * they spent so far, and upstreams with this node's view of them and the deployment's sessions
 * on each per node.
 */
import type { UpstreamStatus } from '../routing/router.js';
import type { SessionSnapshot } from '../session/registry.js';
import type { UpstreamAttempts } from './upstream-stats.js';

/** A session as the table shows it (`node` with a shared store). */
export type SessionRow = SessionSnapshot & {
  readonly node?: string;
  /** Null where unknown: another node's session, or no ledger. */
  readonly tokens: number | null;
  readonly costUsd: number | null;
};

/** What a live session of this process has spent, when known. */
export type Spent = (id: string) => { readonly tokens: number; readonly costUsd: number } | null | undefined;

/**
 * @example
 * sessionRows(await registry.list(), (id) => taps.get(id));
 */
export function sessionRows(sessions: readonly SessionSnapshot[], spent: Spent): SessionRow[] {
  return sessions.map((session) => {
    const so = spent(session.id);
    return { ...session, tokens: so?.tokens ?? null, costUsd: so?.costUsd ?? null };
  });
}

/** What a session's row shows that changes while it runs. */
export function sessionChangeKey(row: SessionRow): string {
  return [
    row.state,
    row.upstream,
    row.transport,
    row.upstreams.length,
    row.clientFrames,
    row.clientBytes,
    row.upstreamFrames,
    row.upstreamBytes,
    row.tokens,
    row.costUsd,
  ].join('|');
}

/** An upstream as the table shows it. */
export type UpstreamRow = UpstreamStatus &
  UpstreamAttempts & {
    readonly healthy: boolean;
    /** The deployment's sessions on it, per node (`this node` without a shared store). */
    readonly sessionsByNode: Readonly<Record<string, number>>;
  };

/**
 * @example
 * upstreamRows(router.status(), (name) => stats.of(name), await registry.list());
 */
export function upstreamRows(
  statuses: readonly UpstreamStatus[],
  attempts: (name: string) => UpstreamAttempts,
  sessions: readonly { readonly upstream: string; readonly node?: string }[],
): UpstreamRow[] {
  return statuses.map((status) => ({
    ...status,
    ...attempts(status.name),
    healthy: status.circuit !== 'open',
    sessionsByNode: sessionsByNode(sessions, status.name),
  }));
}

/**
 * How many of `sessions` are on `upstream`, per node; sessions without a node (a gateway
 * without a shared store lists only its own) count under `this node`.
 *
 * @example
 * sessionsByNode([{ upstream: 'a', node: 'gw-1' }, { upstream: 'a', node: 'gw-2' }], 'a'); // { 'gw-1': 1, 'gw-2': 1 }
 */
export function sessionsByNode(
  sessions: readonly { readonly upstream: string; readonly node?: string }[],
  upstream: string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const session of sessions)
    if (session.upstream === upstream) {
      const node = session.node ?? 'this node';
      counts[node] = (counts[node] ?? 0) + 1;
    }
  return counts;
}
