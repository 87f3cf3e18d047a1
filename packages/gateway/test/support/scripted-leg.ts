import type { Leg, LegListener } from '../../src/legs/leg.js';

/** A frame a {@link ScriptedLeg} was asked to send. */
export interface SentFrame {
  readonly data: Buffer | string;
  readonly isBinary: boolean;
}

/**
 * A leg with no transport: the test plays its peer. Frames the session sends are kept in
 * `sent`; `receive` delivers a frame as if the peer had sent it (held until attach, as a real
 * leg holds them); `bufferedAmount` is what the test says it is.
 */
export class ScriptedLeg implements Leg {
  readonly transport = 'scripted';
  readonly sent: SentFrame[] = [];
  bufferedAmount = 0;
  paused = false;
  probes = 0;
  closedWith: { code: number; reason: string } | null = null;
  /** Responses whose output audio the session asked the leg to drop. */
  readonly cleared: string[] = [];
  private listener: LegListener | null = null;
  private readonly held: Buffer[] = [];
  private state: 'open' | 'closing' | 'closed' = 'open';

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The text of every frame sent, in order. */
  get texts(): string[] {
    return this.sent.map((frame) => frame.data.toString());
  }

  /** The `type` of every frame sent, in order. */
  get types(): string[] {
    return this.texts.map((text) => (JSON.parse(text) as { type: string }).type);
  }

  attach(listener: LegListener): void {
    this.listener = listener;
    for (const data of this.held.splice(0)) listener.frame(data, false);
  }

  detach(): void {
    this.listener = null;
  }

  send(data: Buffer | string, isBinary: boolean, written?: () => void): void {
    this.sent.push({ data, isBinary });
    if (written) queueMicrotask(written);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  probe(): void {
    this.probes++;
  }

  clearOutput(responseId: string): void {
    this.cleared.push(responseId);
  }

  /** The leg plays a frame of audio to its peer itself, as a call's leg does. */
  play(pcm: Buffer, continued: boolean): void {
    this.listener?.played?.(pcm, continued);
  }

  /** The leg sends its peer an event of its own making, as a call's leg does. */
  announce(event: object): void {
    const text = JSON.stringify(event);
    this.sent.push({ data: text, isBinary: false });
    this.listener?.announced?.(text);
  }

  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.closedWith = { code, reason };
    // The peer answers the close handshake on a later turn, as a socket would.
    setImmediate(() => this.finish(code, reason, false));
  }

  destroy(): void {
    this.finish(1006, '', true);
  }

  /** The peer sends a frame (a string is sent as its UTF-8 bytes). */
  receive(frame: string | object): Buffer {
    const data = Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame));
    if (this.listener === null) this.held.push(data);
    else this.listener.frame(data, false);
    return data;
  }

  /** The peer closes. */
  peerClose(code = 1000, reason = ''): void {
    this.finish(code, reason, code === 1006);
  }

  private finish(code: number, reason: string, lost: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.listener?.closed(code, reason, lost);
  }
}
