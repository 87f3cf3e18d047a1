/**
 * One server-sent-event stream to a console page. What the page has not read yet stays in the
 * response's buffer; past `maxBufferedBytes` further events are dropped and counted rather
 * than queued, so a page that stops reading (a background tab, a slow link) costs a bounded
 * amount of memory. The page is told how many were dropped once it reads again.
 */
import type { ServerResponse } from 'node:http';

/**
 * A comment line this often keeps a quiet stream from looking idle to a proxy between the page
 * and the gateway (nginx closes after 60 s by default); it is never queued behind a full buffer.
 */
const HEARTBEAT_MS = 15_000;

/**
 * @example
 * const stream = new EventStream(res, 262_144);
 * stream.send('snapshot', { sessions });
 * stream.onClose(() => unsubscribe());
 */
export class EventStream {
  /** Events dropped since the page was last told. */
  private unreported = 0;
  /** Events dropped over the stream's life. */
  dropped = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      // A reverse proxy that buffers responses would hold the events back.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const heartbeat = setInterval(() => {
      if (this.writable) res.write(': heartbeat\n\n');
    }, HEARTBEAT_MS).unref();
    res.once('close', () => clearInterval(heartbeat));
  }

  /** Whether the page is reading: an event sent now would be sent, not dropped. */
  get writable(): boolean {
    return !this.res.destroyed && this.res.writableLength <= this.maxBufferedBytes;
  }

  /** Sends an event; false when it was dropped. */
  send(event: string, data: unknown): boolean {
    if (this.res.destroyed) return false;
    if (!this.writable) {
      this.dropped++;
      this.unreported++;
      return false;
    }
    if (this.unreported > 0) {
      this.res.write(frame('dropped', { count: this.unreported, total: this.dropped }));
      this.unreported = 0;
    }
    this.res.write(frame(event, data));
    return true;
  }

  onClose(listener: () => void): void {
    this.res.once('close', listener);
  }

  close(): void {
    this.res.end();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
