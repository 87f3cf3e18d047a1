/**
 * The live session table's feed: while at least one page watches, the sessions are listed every
 * `intervalMs` (the deployment's, with a shared store) and each page is sent what changed:
 * sessions that came or changed, and the ids of those that left. One listing serves every page.
 * A page whose stream dropped an update gets a whole snapshot once it reads again, so its table
 * is never left wrong.
 */
import type { AdminRegistry } from '../admin/admin.js';
import type { SessionSnapshot } from '../session/registry.js';
import type { EventStream } from './event-stream.js';

/** A row of the table: the session and what it has spent so far (null where unknown: another node's). */
export interface SessionRow extends SessionSnapshot {
  readonly tokens: number | null;
  readonly costUsd: number | null;
}

/** Options for {@link SessionFeed}. */
export interface SessionFeedOptions {
  readonly registry: AdminRegistry;
  /** What a live session of this process has spent. */
  readonly spent: (id: string) => { tokens: number; costUsd: number } | null;
  readonly intervalMs: number;
  /** Told when listing the sessions failed (the next interval tries again). */
  readonly onError: (error: unknown) => void;
}

interface Watcher {
  readonly stream: EventStream;
  /** Whether an update was dropped: the page needs a snapshot. */
  stale: boolean;
}

/**
 * @example
 * const feed = new SessionFeed({ registry, spent: (id) => taps.get(id) ?? null, intervalMs: 500, onError });
 * await feed.watch(stream); // a snapshot, then changes
 */
export class SessionFeed {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | null = null;
  /** The last listing, each row with the key its changes are seen by. */
  private last = new Map<string, string>();
  private listing = false;

  constructor(private readonly options: SessionFeedOptions) {}

  /** Sends `stream` the table, then its changes until the stream closes. */
  async watch(stream: EventStream): Promise<void> {
    const watcher: Watcher = { stream, stale: false };
    this.watchers.add(watcher);
    stream.onClose(() => this.unwatch(watcher));
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs).unref();
    watcher.stale = !stream.send('snapshot', { sessions: await this.rows() });
  }

  /** Stops the feed (the console is closing). */
  close(): void {
    for (const watcher of this.watchers) watcher.stream.close();
    this.watchers.clear();
    this.stop();
  }

  private unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last.clear();
  }

  private async tick(): Promise<void> {
    // A slow listing (another node's answer) is not asked for again until it is in.
    if (this.listing) return;
    this.listing = true;
    let rows: SessionRow[];
    try {
      rows = await this.rows();
    } catch (error) {
      this.options.onError(error);
      return;
    } finally {
      this.listing = false;
    }
    const next = new Map(rows.map((row) => [row.id, changeKey(row)]));
    const changed = rows.filter((row) => this.last.get(row.id) !== next.get(row.id));
    const removed = [...this.last.keys()].filter((id) => !next.has(id));
    this.last = next;
    for (const watcher of this.watchers) {
      if (watcher.stale) {
        if (watcher.stream.writable) watcher.stale = !watcher.stream.send('snapshot', { sessions: rows });
      } else if (changed.length > 0 || removed.length > 0)
        watcher.stale = !watcher.stream.send('changes', { changed, removed });
    }
  }

  private async rows(): Promise<SessionRow[]> {
    const sessions = await this.options.registry.list();
    return sessions.map((session) => {
      const spent = this.options.spent(session.id);
      return { ...session, tokens: spent?.tokens ?? null, costUsd: spent?.costUsd ?? null };
    });
  }
}

/** What a page's row shows that changes while a session runs. */
function changeKey(row: SessionRow): string {
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
