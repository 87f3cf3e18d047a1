/**
 * A leg over a WebRTC call, the client side of a session as a WebSocket is: the `oai-events`
 * data channel carries events both ways, the caller's microphone comes in as Opus RTP and goes
 * upstream as `input_audio_buffer.append`, and the upstream's `response.output_audio.delta`
 * goes out as Opus RTP paced in real time instead of as events. What OpenAI's own WebRTC
 * endpoint does on top is done here too: `output_audio_buffer.started / stopped / cleared`,
 * the client's `output_audio_buffer.clear`, and on an interruption a `conversation.item.truncate`
 * upstream at the point the caller actually heard. A response cut short by the gateway
 * ({@link WebRtcLeg.clearOutput}) is dropped from the playout without a truncate, and every
 * frame played is reported to the session ({@link LegListener.played}), for recording.
 *
 * The events the leg makes for the upstream (appends, truncates) enter the session as frames
 * from the client, so middleware, input checking and metrics see them as any client event.
 */
import { client as build, newEventId, peekEventType } from '@realtime-gateway/protocol';
import {
  type MediaStreamTrack,
  type RTCDataChannel,
  type RTCPeerConnection,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
} from 'werift';
import { type AudioSource, type PlayoutEvent, PlayoutQueue } from '../calls/playout.js';
import { OPUS_SILENCE, type OpusCodec, PcmFramer, RTP_FRAME_TICKS } from '../media/opus.js';
import type { Pacer } from '../media/pacer.js';
import type { Leg, LegListener } from './leg.js';

/** The data channel OpenAI's clients open for events. */
export const EVENTS_CHANNEL = 'oai-events';

/** What a WebRTC leg is made of. */
export interface WebRtcLegParts {
  readonly peer: RTCPeerConnection;
  /** The audio transceiver: the caller's microphone in, {@link speaker} out. */
  readonly audio: RTCRtpTransceiver;
  /** The track the assistant's audio is written to. */
  readonly speaker: MediaStreamTrack;
  readonly codec: OpusCodec;
  readonly pacer: Pacer;
  /** The leg is lost when nothing (RTP, RTCP, a message) came from the peer for this long. */
  readonly idleTimeoutMs: number;
  /** Told once, when the data channel opens: the call is connected. */
  readonly onConnected?: () => void;
  readonly now?: () => number;
}

/** An audio delta as the leg reads it. */
interface AudioDelta {
  readonly response_id: string;
  readonly item_id: string;
  readonly content_index: number;
  readonly delta: string;
}

const TEXT_DECODER = new TextDecoder();

/**
 * How long a call closed by the gateway waits for its data channel to hand what was sent to the
 * transport (the `error` that says why it ends, say) before the peer connection goes.
 */
const CLOSE_DRAIN_MS = 1000;

/**
 * @example
 * const leg = new WebRtcLeg({ peer, audio, speaker, codec: createOpusCodec(), pacer, idleTimeoutMs: 15_000 });
 * session.start(leg, upstreamLeg);
 */
export class WebRtcLeg implements Leg {
  readonly transport = 'webrtc';
  private listener: LegListener | null = null;
  private held: Buffer[] | null = [];
  private channel: RTCDataChannel | null = null;
  /** Server events sent before the data channel opened, delivered when it does. */
  private outbox: string[] = [];
  private state: 'open' | 'closing' | 'closed' = 'open';
  private lastHeard: number;
  private readonly now: () => number;
  private readonly playout = new PlayoutQueue();
  private readonly framer = new PcmFramer();
  /** The audio the framer holds a partial frame of. */
  private framing: AudioSource | null = null;
  private sequence = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private afterGap = true;
  private readonly stopPacing: () => void;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly parts: WebRtcLegParts) {
    this.now = parts.now ?? Date.now;
    this.lastHeard = this.now();
    const { peer, audio } = parts;
    const heard = (): void => {
      this.lastHeard = this.now();
    };
    this.subscribe(peer.onDataChannel.subscribe((channel) => this.adopt(channel)).unSubscribe);
    // The receiver's track exists from the offer on; its packets come once the call connects.
    this.subscribe(
      audio.receiver.track.onReceiveRtp.subscribe((packet) => {
        heard();
        this.microphone(packet.payload);
      }).unSubscribe,
    );
    this.subscribe(audio.receiver.onRtcp.subscribe(heard).unSubscribe);
    this.subscribe(audio.sender.onRtcp.subscribe(heard).unSubscribe);
    this.subscribe(
      peer.connectionStateChange.subscribe((state) => {
        if (state === 'failed') this.finish(1006, 'peer connection failed', true);
        else if (state === 'closed') this.finish(1000, 'peer connection closed', false);
      }).unSubscribe,
    );
    this.stopPacing = parts.pacer.add(this.tick);
    const every = Math.max(50, Math.min(1000, Math.floor(parts.idleTimeoutMs / 4)));
    // Until the data channel opens, the call's connect timeout is what gives up on the peer.
    this.idleTimer = setInterval(() => {
      if (this.channel?.readyState !== 'open') return;
      if (this.now() - this.lastHeard >= parts.idleTimeoutMs) this.finish(1006, 'peer idle', true);
    }, every);
    this.idleTimer.unref();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get bufferedAmount(): number {
    return this.channel?.bufferedAmount ?? 0;
  }

  attach(listener: LegListener): void {
    this.listener = listener;
    const held = this.held ?? [];
    this.held = null;
    for (const frame of held) {
      if (this.listener !== listener) return;
      listener.frame(frame, false);
    }
  }

  /** A call's leg is never handed over (a data channel cannot be paused): what comes after is dropped. */
  detach(): void {
    this.listener = null;
  }

  /** A server event from the session: audio to the track, everything else to the data channel. */
  send(data: Buffer | string, _isBinary: boolean, written?: () => void): void {
    const text = typeof data === 'string' ? data : TEXT_DECODER.decode(data);
    const type = peekEventType(text);
    switch (type) {
      case 'response.output_audio.delta':
        this.audioDelta(JSON.parse(text) as AudioDelta);
        break;
      case 'response.output_audio.done':
        this.flushFraming();
        this.toChannel(text);
        break;
      case 'response.done': {
        this.flushFraming();
        const id = (JSON.parse(text) as { response?: { id?: unknown } }).response?.id;
        if (typeof id === 'string') this.playout.finish(id);
        this.toChannel(text);
        break;
      }
      case 'input_audio_buffer.speech_started':
        this.toChannel(text);
        // The caller spoke over the assistant: what was not played is dropped, and the
        // assistant's item is cut where the caller stopped hearing it.
        if (this.playout.isPlaying) this.interrupt();
        break;
      default:
        this.toChannel(text);
    }
    written?.();
  }

  // Reading a data channel cannot be paused; the session's limits on held and buffered frames
  // still bound what a caller can queue.
  pause(): void {}
  resume(): void {}

  /** A response cut short (a guardrail's cut): what was not played of it is dropped. */
  clearOutput(responseId: string): void {
    if (this.state !== 'open') return;
    if (this.framing?.responseId === responseId) {
      this.framer.reset();
      this.framing = null;
    }
    this.tellPlayout(this.playout.drop(responseId));
  }

  probe(): void {
    if (this.now() - this.lastHeard < this.parts.idleTimeoutMs) queueMicrotask(() => this.listener?.alive());
  }

  close(code: number, reason: string): void {
    this.finish(code, reason, false);
  }

  destroy(): void {
    this.finish(1006, 'destroyed', true);
  }

  // ------------------------------------------------------------------------------------------

  private subscribe(unsubscribe: () => void): void {
    this.unsubscribe.push(unsubscribe);
  }

  private adopt(channel: RTCDataChannel): void {
    if (channel.label !== EVENTS_CHANNEL || this.channel !== null) return;
    this.channel = channel;
    const opened = (): void => {
      this.lastHeard = this.now();
      for (const text of this.outbox) channel.send(text);
      this.outbox = [];
      this.parts.onConnected?.();
    };
    if (channel.readyState === 'open') opened();
    this.subscribe(
      channel.stateChanged.subscribe((state) => {
        if (state === 'open') opened();
        else if (state === 'closed') this.finish(1000, 'data channel closed', false);
      }).unSubscribe,
    );
    this.subscribe(
      channel.onMessage.subscribe((message) => {
        this.lastHeard = this.now();
        this.fromChannel(typeof message === 'string' ? Buffer.from(message) : Buffer.from(message));
      }).unSubscribe,
    );
  }

  private fromChannel(data: Buffer): void {
    if (this.state !== 'open') return;
    // `output_audio_buffer.clear` is the WebRTC endpoint's own event: the gateway's buffer is
    // the one to clear, and the upstream (a WebSocket session) would not know the event.
    if (peekEventType(data) === 'output_audio_buffer.clear') {
      this.interrupt();
      return;
    }
    this.toUpstream(data);
  }

  private toUpstream(data: Buffer): void {
    if (this.listener !== null) this.listener.frame(data, false);
    else this.held?.push(data);
  }

  private toChannel(text: string): void {
    if (this.state !== 'open') return;
    const channel = this.channel;
    if (channel?.readyState === 'open') channel.send(text);
    else this.outbox.push(text);
  }

  private tellPlayout(events: readonly PlayoutEvent[]): void {
    for (const event of events) {
      const text = JSON.stringify({ ...event, event_id: newEventId() });
      this.toChannel(text);
      this.listener?.announced?.(text);
    }
  }

  private microphone(payload: Buffer): void {
    if (this.state !== 'open' || this.listener === null || payload.length === 0) return;
    const pcm = this.parts.codec.decode(payload);
    if (pcm.length === 0) return;
    this.toUpstream(Buffer.from(JSON.stringify(build.inputAudioBufferAppend(pcm.toString('base64')))));
  }

  private audioDelta(delta: AudioDelta): void {
    if (!this.playout.accepts(delta.response_id)) return;
    const source: AudioSource = {
      responseId: delta.response_id,
      itemId: delta.item_id,
      contentIndex: delta.content_index,
    };
    if (
      this.framing !== null &&
      (this.framing.itemId !== source.itemId || this.framing.contentIndex !== source.contentIndex)
    )
      this.flushFraming();
    this.framing = source;
    for (const pcm of this.framer.push(Buffer.from(delta.delta, 'base64')))
      this.playout.push({ pcm, samples: pcm.length / 2, source });
  }

  private flushFraming(): void {
    const source = this.framing;
    this.framing = null;
    const tail = this.framer.flush();
    if (source !== null && tail !== null)
      this.playout.push({ pcm: tail.frame, samples: tail.samples, source });
  }

  private interrupt(): void {
    this.framer.reset();
    this.framing = null;
    const { events, truncate } = this.playout.clear();
    this.tellPlayout(events);
    if (truncate !== null) {
      const event = build.conversationItemTruncate(
        truncate.itemId,
        truncate.contentIndex,
        truncate.audioEndMs,
      );
      this.toUpstream(Buffer.from(JSON.stringify(event)));
    }
  }

  /** One 20 ms tick of the pacer: the next frame of assistant audio, or silence. */
  private readonly tick = (): void => {
    if (this.state !== 'open') return;
    const { frame, events } = this.playout.tick();
    this.tellPlayout(events);
    this.timestamp = (this.timestamp + RTP_FRAME_TICKS) >>> 0;
    // Silence keeps RTP flowing between responses, so the caller's RTCP reports (which show
    // it is still there) never stop.
    const payload = frame === null ? OPUS_SILENCE : this.parts.codec.encode(frame.pcm);
    if (frame !== null) this.listener?.played?.(frame.pcm.subarray(0, frame.samples * 2), !this.afterGap);
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: this.sequence,
      timestamp: this.timestamp,
      marker: frame !== null && this.afterGap,
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.afterGap = frame === null;
    this.parts.speaker.writeRtp(new RtpPacket(header, payload));
  };

  private finish(code: number, reason: string, lost: boolean): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.stopPacing();
    clearInterval(this.idleTimer);
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    const { peer, codec } = this.parts;
    const closed = (): void => {
      this.state = 'closed';
      codec.close();
      this.listener?.closed(code, reason, lost);
    };
    // Closing the peer drops what the data channel still buffers: a close of the gateway's own
    // first lets the last events (`response.done`, the `error` that explains the end) leave.
    const drained = lost ? Promise.resolve() : drain(this.channel, CLOSE_DRAIN_MS);
    void drained.then(() => peer.close()).then(closed, closed);
  }
}

/** Resolves once `channel` buffers nothing (or is not open), or after `withinMs`. */
function drain(channel: RTCDataChannel | null, withinMs: number): Promise<void> {
  if (channel === null || channel.readyState !== 'open' || channel.bufferedAmount === 0)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, withinMs);
    channel.bufferedAmountLowThreshold = 0;
    const { unSubscribe } = channel.bufferedAmountLow.subscribe(done);
    function done(): void {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}
