/**
 * The last server events a session sent its client, kept so that a client whose connection
 * dropped can be given what it missed when it resumes: from the event after the last one it
 * names, or else from the moment the gateway saw the connection go. Bounded by bytes; the
 * oldest frames go first.
 */
import { peekEvent } from '@realtime-gateway/protocol';

interface Kept {
  readonly data: Buffer | string;
  readonly isBinary: boolean;
  readonly eventId: string | null;
  readonly bytes: number;
}

/**
 * @example
 * const window = new ResumeWindow(1_000_000);
 * window.push(frame, false);
 * const from = window.after('event_123'); // null when that event is no longer kept
 * if (from !== null) for (const kept of window.from(from)) leg.send(kept.data, kept.isBinary);
 */
export class ResumeWindow {
  private readonly kept: Kept[] = [];
  /** Index in {@link kept} of the oldest frame still kept (the array is compacted now and then). */
  private head = 0;
  private bytes = 0;
  /** Sequence number of the oldest frame kept; the next frame gets `first + size`. */
  private first = 0;

  constructor(private readonly maxBytes: number) {}

  /** The sequence number the next frame will get. */
  get next(): number {
    return this.first + this.kept.length - this.head;
  }

  /** The sequence number of the oldest frame kept. */
  get oldest(): number {
    return this.first;
  }

  push(data: Buffer | string, isBinary: boolean): void {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const eventId = isBinary ? null : (peekEvent(data)?.eventId ?? null);
    this.kept.push({ data, isBinary, eventId, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.head < this.kept.length) {
      this.bytes -= this.kept[this.head]!.bytes;
      this.head++;
      this.first++;
    }
    if (this.head > 1024 && this.head * 2 > this.kept.length) {
      this.kept.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The sequence number after the kept event `eventId`, or null when it is not kept. */
  after(eventId: string): number | null {
    for (let i = this.kept.length - 1; i >= this.head; i--)
      if (this.kept[i]!.eventId === eventId) return this.first + (i - this.head) + 1;
    return null;
  }

  /** The frames from sequence number `seq` on; none when `seq` is older than what is kept. */
  from(seq: number): readonly { readonly data: Buffer | string; readonly isBinary: boolean }[] {
    if (seq < this.first) return [];
    return this.kept.slice(this.head + (seq - this.first));
  }
}
