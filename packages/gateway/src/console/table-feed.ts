/**
 * A live table for console pages (the sessions, the upstreams): while at least one page watches,
 * the rows are listed every `intervalMs` and each page is sent what changed: rows that came or
 * changed, and the ids of those that left. One listing serves every page. A page whose stream
 * dropped an update gets a whole snapshot once it reads again, so its table is never left wrong.
 */
import type { EventStream } from './event-stream.js';

/** Options for {@link TableFeed}. */
export interface TableFeedOptions<Row> {
  /** The rows now (the deployment's sessions, say: it may ask the other nodes). */
  readonly list: () => Promise<readonly Row[]> | readonly Row[];
  readonly id: (row: Row) => string;
  /** What a page's row shows that may change: a row is sent again when this does. */
  readonly changeKey: (row: Row) => string;
  readonly intervalMs: number;
  /** Told when listing failed (the next interval tries again). */
  readonly onError: (error: unknown) => void;
}

interface Watcher {
  readonly stream: EventStream;
  /** Whether an update was dropped: the page needs a snapshot. */
  stale: boolean;
}

/**
 * @example
 * const feed = new TableFeed({ list: () => registry.list(), id: (s) => s.id, changeKey, intervalMs: 500, onError });
 * await feed.watch(stream); // `snapshot` { rows }, then `changes` { changed, removed }
 */
export class TableFeed<Row> {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | null = null;
  /** The last listing: each row's id and the key its changes are seen by. */
  private last = new Map<string, string>();
  private listing = false;

  constructor(private readonly options: TableFeedOptions<Row>) {}

  /** Sends `stream` the table, then its changes until the stream closes. */
  async watch(stream: EventStream): Promise<void> {
    const watcher: Watcher = { stream, stale: false };
    this.watchers.add(watcher);
    stream.onClose(() => this.unwatch(watcher));
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs).unref();
    watcher.stale = !stream.send('snapshot', { rows: await this.options.list() });
  }

  /** Ends every page's stream (the console is closing). */
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
    let rows: readonly Row[];
    try {
      rows = await this.options.list();
    } catch (error) {
      this.options.onError(error);
      return;
    } finally {
      this.listing = false;
    }
    const { id, changeKey } = this.options;
    const next = new Map(rows.map((row) => [id(row), changeKey(row)]));
    const changed = rows.filter((row) => this.last.get(id(row)) !== next.get(id(row)));
    const removed = [...this.last.keys()].filter((key) => !next.has(key));
    this.last = next;
    for (const watcher of this.watchers) {
      if (watcher.stale) {
        if (watcher.stream.writable) watcher.stale = !watcher.stream.send('snapshot', { rows });
      } else if (changed.length > 0 || removed.length > 0)
        watcher.stale = !watcher.stream.send('changes', { changed, removed });
    }
  }
}
