import type { WebSocket } from 'ws';
import type { Leg, LegListener } from './leg.js';

const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });
/** RFC 6455: a close frame's reason is at most 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

/** A frame read before a listener was attached. */
interface HeldFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/**
 * A leg over a `ws` WebSocket. Frames pass as the Buffers `ws` delivers. Reading is paused from
 * construction until {@link attach}, and frames `ws` had already read are held, so a leg can be
 * made as soon as its socket opens and attached once the rest of the session is ready.
 *
 * @example
 * const upstream = new WebSocketLeg(await openSocket(url));
 * // … the client's upgrade completes
 * session.start(new WebSocketLeg(client), upstream);
 */
export class WebSocketLeg implements Leg {
  readonly transport = 'websocket';
  private listener: LegListener | null = null;
  private held: HeldFrame[] | null = [];
  /** A close or error seen before a listener was attached, delivered on attach. */
  private earlyClose: { code: number; reason: string } | null = null;

  constructor(private readonly socket: WebSocket) {
    socket.pause();
    socket.on('message', this.onMessage);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('pong', this.onPong);
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  get isClosed(): boolean {
    return this.socket.readyState === this.socket.CLOSED;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  attach(listener: LegListener): void {
    this.listener = listener;
    const held = this.held;
    this.held = null;
    for (const frame of held ?? []) {
      if (this.listener !== listener) return;
      listener.frame(frame.data, frame.isBinary);
    }
    if (this.earlyClose !== null) {
      const { code, reason } = this.earlyClose;
      this.earlyClose = null;
      listener.closed(code, reason, code === 1006);
      return;
    }
    this.socket.resume();
  }

  detach(): void {
    this.listener = null;
  }

  send(data: Buffer | string, isBinary: boolean, written?: () => void): void {
    this.socket.send(data, isBinary ? BINARY : TEXT, written);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  probe(): void {
    this.socket.ping();
  }

  close(code: number, reason: string): void {
    // A paused socket would never read the peer's answering close frame.
    this.socket.resume();
    if (this.isOpen) this.socket.close(code, clampReason(reason));
    else this.socket.terminate();
  }

  destroy(): void {
    this.socket.terminate();
  }

  private readonly onMessage = (data: Buffer, isBinary: boolean): void => {
    if (this.listener !== null) this.listener.frame(data, isBinary);
    else this.held?.push({ data, isBinary });
  };

  private readonly onClose = (code: number, reason: Buffer): void => {
    if (this.listener !== null) this.listener.closed(code, reason.toString(), code === 1006);
    else if (this.held !== null) this.earlyClose = { code, reason: reason.toString() };
  };

  private readonly onError = (error: Error): void => {
    this.listener?.error(error);
  };

  private readonly onPong = (): void => {
    this.listener?.alive();
  };
}

/** `reason` cut on a character boundary to what a close frame can carry. */
export function clampReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = reason;
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
