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

/** One node's own view of an upstream: its circuit, its sessions on it, its connects. */
export type NodeUpstreamRow = UpstreamStatus & UpstreamAttempts & { readonly healthy: boolean };

/** An upstream as the table shows it: this node's view, and the deployment's. */
export type UpstreamRow = NodeUpstreamRow & {
  /** The deployment's sessions on it, per node (`this node` without a shared store). */
  readonly sessionsByNode: Readonly<Record<string, number>>;
  /** Each node's own view of it, with a shared store; null without one. */
  readonly nodes: readonly ({ readonly node: string } & NodeUpstreamRow)[] | null;
};

/**
 * This node's view of its upstreams.
 *
 * @example
 * nodeUpstreamRows(router.status(), (name) => stats.of(name));
 */
export function nodeUpstreamRows(
  statuses: readonly UpstreamStatus[],
  attempts: (name: string) => UpstreamAttempts,
): NodeUpstreamRow[] {
  return statuses.map((status) => ({
    ...status,
    ...attempts(status.name),
    healthy: status.circuit !== 'open',
  }));
}

/**
 * The table's upstreams: this node's rows with the deployment's sessions per node and, with a
 * shared store, every node's own row for the same upstream.
 *
 * @example
 * upstreamRows(nodeUpstreamRows(router.status(), stats.of), await registry.list(), null);
 */
export function upstreamRows(
  own: readonly NodeUpstreamRow[],
  sessions: readonly { readonly upstream: string; readonly node?: string }[],
  nodes: readonly { readonly node: string; readonly upstreams: readonly unknown[] }[] | null,
): UpstreamRow[] {
  return own.map((row) => ({
    ...row,
    sessionsByNode: sessionsByNode(sessions, row.name),
    nodes:
      nodes === null
        ? null
        : nodes.flatMap(({ node, upstreams }) =>
            (upstreams as NodeUpstreamRow[])
              .filter((theirs) => theirs.name === row.name)
              .map((theirs) => ({ node, ...theirs })),
          ),
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
