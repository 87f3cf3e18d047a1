import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Leg, LegListener } from './leg.js';

const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });
/** The longest wait between two checks of whether a partly written frame has gone out. */
const MAX_DRAIN_CHECK_MS = 50;
/** RFC 6455: a close frame's reason is at most 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

/** Frames of at least this many bytes go with a zero mask when {@link FrameMasks} choose. */
const ZERO_MASK_FROM = 16 * 1024;
/** The mask of smaller frames there: fixed, never zero, so `ws` copies and masks them. */
const FIXED_MASK = randomBytes(4);
FIXED_MASK[0]! |= 1;

/**
 * The masks of the frames a client socket sends where masks need not be random (to an upstream
 * over TLS or on loopback; see `unmaskedUpstream`), chosen per frame by its size. A large frame
 * goes with a zero mask, which `ws` skips applying: it is written as the Buffer it is, without
 * a copy. A small one gets a fixed mask: `ws` then writes header and masked copy as one buffer,
 * and one write costs less than the two of an unmasked frame.
 *
 * @example
 * const masks = new FrameMasks();
 * const socket = new WebSocket(url, { generateMask: masks.generate });
 * const leg = new WebSocketLeg(socket, masks);
 */
export class FrameMasks {
  private zero = false;

  /** Called by the leg before each frame it sends. */
  next(size: number): void {
    this.zero = size >= ZERO_MASK_FROM;
  }

  /** For the socket's `generateMask` option. */
  readonly generate = (mask: Buffer): void => {
    if (this.zero) mask.fill(0);
    else {
      // Byte by byte: four stores cost less than a call into `Buffer#copy`, once per frame.
      mask[0] = FIXED_MASK[0]!;
      mask[1] = FIXED_MASK[1]!;
      mask[2] = FIXED_MASK[2]!;
      mask[3] = FIXED_MASK[3]!;
    }
  };
}

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
  /** Frames read before {@link attach}; made at the first. */
  private held: HeldFrame[] | null = null;
  /** Whether a listener was ever attached (frames and a close come to it from then on). */
  private attached = false;
  /** A close or error seen before a listener was attached, delivered on attach. */
  private earlyClose: { code: number; reason: string } | null = null;

  /** `masks`: for a socket made with `generateMask: masks.generate`. */
  constructor(
    private readonly socket: WebSocket,
    private readonly masks: FrameMasks | null = null,
  ) {
    socket.pause();
    // The socket's listeners are shared by every leg: each finds its leg on the socket.
    (socket as LegSocket)[LEG] = this;
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('pong', onPong);
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
    this.attached = true;
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
    // What arrives between two owners (a replay and its session) is kept for the second.
    this.attached = false;
    this.socket.pause();
  }

  /**
   * A frame sent while nothing is queued usually reaches the kernel within this call. It then
   * goes without a callback through `ws` (one costs the socket a closure, a copy of its write
   * list and a deferred call, per frame) and `written` runs at once. If it went out only in
   * part, `written` runs once the queue has drained; a frame sent behind queued ones hands
   * `written` to `ws`, which calls it once that frame is written.
   */
  send(data: Buffer | string, isBinary: boolean, written?: () => void): void {
    const options = isBinary ? BINARY : TEXT;
    this.masks?.next(data.length);
    if (written === undefined || this.socket.bufferedAmount !== 0) {
      this.socket.send(data, options, written);
      return;
    }
    this.socket.send(data, options);
    if (this.socket.bufferedAmount === 0) written();
    else this.whenDrained(written);
  }

  /** Runs `written` once nothing is queued (or the socket has closed), checking every few ms. */
  private whenDrained(written: () => void, delay = 1): void {
    setTimeout(() => {
      if (this.socket.bufferedAmount === 0 || this.socket.readyState !== this.socket.OPEN) written();
      else this.whenDrained(written, Math.min(delay * 2, MAX_DRAIN_CHECK_MS));
    }, delay).unref();
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
    // A leg closed with no one listening is let go: what it still reads is nobody's.
    if (this.listener === null) {
      this.attached = true;
      this.held = null;
    }
    // A paused socket would never read the peer's answering close frame.
    this.socket.resume();
    if (this.isOpen) this.socket.close(code, clampReason(reason));
    else this.socket.terminate();
  }

  destroy(): void {
    this.socket.terminate();
  }

  /** For the socket's listeners below. */
  message(data: Buffer, isBinary: boolean): void {
    if (this.listener !== null) this.listener.frame(data, isBinary);
    // Once attached, a leg without a listener was detached (handed over): frames are dropped.
    else if (!this.attached) {
      if (this.held === null) this.held = [{ data, isBinary }];
      else this.held.push({ data, isBinary });
    }
  }

  /** For the socket's listeners below. */
  closed(code: number, reason: Buffer): void {
    if (this.listener !== null) this.listener.closed(code, reason.toString(), code === 1006);
    else if (!this.attached) this.earlyClose = { code, reason: reason.toString() };
  }

  /** For the socket's listeners below. */
  errored(error: Error): void {
    this.listener?.error(error);
  }

  /** For the socket's listeners below. */
  ponged(): void {
    this.listener?.alive();
  }
}

/** Where a socket's leg is kept, for the listeners every leg shares. */
const LEG = Symbol('websocket-leg');

type LegSocket = WebSocket & { [LEG]: WebSocketLeg };

// `ws` calls its listeners with the socket as `this`.
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as LegSocket)[LEG].message(data, isBinary);
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as LegSocket)[LEG].closed(code, reason);
}

function onError(this: WebSocket, error: Error): void {
  (this as LegSocket)[LEG].errored(error);
}

function onPong(this: WebSocket): void {
  (this as LegSocket)[LEG].ponged();
}

/** `reason` cut on a character boundary to what a close frame can carry. */
export function clampReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = reason;
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
