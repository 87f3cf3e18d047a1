/**
 * A leg is one side of a session: the client's connection or the upstream's. The relay talks to
 * legs only, so a transport (a WebSocket today, a WebRTC data channel next) is a new leg, not a
 * new relay.
 */

/** What a leg reports to the session it is attached to. */
export interface LegListener {
  /** One frame, as the transport delivered it (the same Buffer, never copied or parsed). */
  frame(data: Buffer, isBinary: boolean): void;
  /**
   * The leg is closed. `code` and `reason` are the peer's close frame; `lost` when the
   * connection dropped without one (a WebSocket's 1006).
   */
  closed(code: number, reason: string, lost: boolean): void;
  /** A transport error; a `closed` follows. */
  error(error: Error): void;
  /** The peer answered a liveness probe. */
  alive(): void;
  /**
   * A server event the leg made itself and sent its own peer (a WebRTC leg's
   * `output_audio_buffer.*`), for the session's other client-side connections to hear too, as
   * OpenAI's sideband connections do.
   */
  announced?(text: string): void;
  /**
   * One frame of the model's audio the leg played to its peer itself (a WebRTC leg's RTP
   * track), PCM16 at 24 kHz, when it was sent; `continued` when it directly follows the frame
   * before, with no silence between. For middleware that record what the client heard.
   */
  played?(pcm: Buffer, continued: boolean): void;
}

/**
 * One side of a session.
 *
 * A leg holds what its peer sends until a listener is {@link attach}ed: frames an upstream sends
 * while the client's upgrade completes belong to the upstream leg, and are delivered first, in
 * order, when the session attaches.
 *
 * @example
 * const leg = new WebSocketLeg(socket);
 * leg.attach({ frame: (data) => other.send(data, false), closed() {}, error() {}, alive() {} });
 */
export interface Leg {
  /** The transport's name, for logs and snapshots: `websocket`, `webrtc`. */
  readonly transport: string;
  /** Whether frames can be sent. */
  readonly isOpen: boolean;
  /** Whether the leg is fully closed: no more events will come. */
  readonly isClosed: boolean;
  /** Bytes queued towards the peer and not yet handed to the operating system. */
  readonly bufferedAmount: number;
  /** Delivers the held frames, then every later event, to `listener`; reading starts. */
  attach(listener: LegListener): void;
  /**
   * Stops delivering events (for a leg handed over or replaced). Until the next
   * {@link attach}, a leg that can pause its peer (WebSocket) stops reading and holds what it
   * had read, its close too, as before the first attach; once it is closed, nothing more is kept.
   */
  detach(): void;
  /** Queues a frame; `written` runs once it reached the operating system. */
  send(data: Buffer | string, isBinary: boolean, written?: () => void): void;
  /** Stops reading from the peer (backpressure); frames already read may still be delivered. */
  pause(): void;
  resume(): void;
  /** Asks the peer for a sign of life (a WebSocket ping); the answer is {@link LegListener.alive}. */
  probe(): void;
  /**
   * Drops the audio of `responseId` the leg still holds for its peer, for a response cut short,
   * and tells the peer so (a WebRTC leg's `output_audio_buffer.cleared`). Only a leg that plays
   * audio at its own pace holds any; a WebSocket's peer already has what was sent.
   */
  clearOutput?(responseId: string): void;
  /** Closes with a handshake; `reason` is cut to what the transport allows. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a handshake. */
  destroy(): void;
}
