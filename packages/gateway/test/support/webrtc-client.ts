/**
 * A WebRTC caller for tests, as a browser page would be one: werift as the peer, the
 * `oai-events` data channel, an Opus microphone track fed with generated PCM, and the
 * gateway's audio decoded back to PCM so a test can measure what it would have heard. ICE is
 * kept to loopback on both sides.
 */
import {
  MediaStreamTrack,
  type RTCDataChannel,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from 'werift';
import { limitCandidates } from '../../src/calls/sdp.js';
import {
  createOpusCodec,
  FRAME_BYTES,
  FRAME_MS,
  type OpusCodec,
  RTP_FRAME_TICKS,
  rmsLevel,
} from '../../src/media/opus.js';

const LOOPBACK = ['127.0.0.1'];
/** The RMS level above which a decoded frame counts as sound (the engine's speech is far above it). */
const LOUD = 300;

/** A caller's offer, made and gathered, not yet posted. */
export class TestCaller {
  readonly peer: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  readonly microphone = new MediaStreamTrack({ kind: 'audio' });
  /** Every event that came on the data channel, parsed. */
  readonly events: Record<string, unknown>[] = [];
  /** The gateway's audio, decoded: PCM16 at 24 kHz, one Buffer per packet. */
  readonly heard: Buffer[] = [];
  readonly codec: OpusCodec = createOpusCodec();
  private waiters: (() => void)[] = [];
  private sequence = 1;
  private timestamp = 0;

  constructor() {
    this.peer = new RTCPeerConnection({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })],
      },
      // werift as an offerer leaves the socket of a transport BUNDLE made redundant open after
      // close() unless it bundles from the start, as browsers do in practice.
      bundlePolicy: 'max-bundle',
      iceUseIpv6: false,
      iceAdditionalHostAddresses: LOOPBACK,
      iceFilterCandidatePair: (pair) => LOOPBACK.includes(pair.localCandidate.host),
    });
    this.channel = this.peer.createDataChannel('oai-events');
    this.channel.onMessage.subscribe((message) => {
      this.events.push(JSON.parse(message.toString()) as Record<string, unknown>);
      this.wake();
    });
    const transceiver = this.peer.addTransceiver(this.microphone, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => {
        this.heard.push(this.codec.decode(packet.payload));
        this.wake();
      });
    });
  }

  /** The offer, every candidate gathered, limited to loopback. */
  async offer(): Promise<string> {
    await this.peer.setLocalDescription(await this.peer.createOffer());
    await new Promise<void>((resolve) => {
      if (this.peer.iceGatheringState === 'complete') return resolve();
      this.peer.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') resolve();
      });
    });
    return limitCandidates(this.peer.localDescription!.sdp, LOOPBACK);
  }

  async accept(answer: string): Promise<void> {
    await this.peer.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** Resolves once the data channel is open. */
  opened(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.channel.readyState === 'open', timeoutMs, 'the data channel to open');
  }

  send(event: object): void {
    this.channel.send(JSON.stringify(event));
  }

  /** A user message and a response asked for, as a page sends them on the data channel. */
  ask(text: string, eventId?: string): void {
    this.send({
      type: 'conversation.item.create',
      ...(eventId === undefined ? {} : { event_id: eventId }),
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.send({ type: 'response.create' });
  }

  /** Milliseconds of audio with energy (not silence) in what was heard from the `from`-th packet on. */
  loudMs(from = 0): number {
    return this.heard.slice(from).filter((pcm) => rmsLevel(pcm) > LOUD).length * FRAME_MS;
  }

  /** The first event of `type` after the `from`-th event, waiting for it. */
  async waitFor(type: string, timeoutMs = 10_000, from = 0): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await this.until(
      () => {
        found = this.events.slice(from).find((event) => event.type === type);
        return found !== undefined;
      },
      timeoutMs,
      `an event '${type}'`,
    );
    return found!;
  }

  /** Sends PCM16 (24 kHz mono) as Opus RTP, one frame per 20 ms, as a microphone does. */
  async speak(pcm: Buffer): Promise<void> {
    for (let at = 0; at + FRAME_BYTES <= pcm.length; at += FRAME_BYTES) {
      const payload = this.codec.encode(pcm.subarray(at, at + FRAME_BYTES));
      this.timestamp += RTP_FRAME_TICKS;
      const header = new RtpHeader({
        payloadType: 111,
        sequenceNumber: this.sequence++ & 0xffff,
        timestamp: this.timestamp,
      });
      this.microphone.writeRtp(new RtpPacket(header, payload));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits until `check` holds, re-checking on every event and packet. */
  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  async close(): Promise<void> {
    await this.peer.close();
    this.codec.close();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * Places `caller`'s call on a gateway: its offer to `POST /v1/realtime/calls` with `key`, the
 * answer taken and the connection up. Resolves with the call's id (from `Location`); throws
 * with the gateway's answer when it is not 201.
 *
 * @example
 * const id = await placeCall(new TestCaller(), gateway.address!.url, 'sk-app');
 */
export async function placeCall(caller: TestCaller, baseUrl: string, key: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/realtime/calls?model=gpt-realtime`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/sdp' },
    body: await caller.offer(),
  });
  const answer = await response.text();
  if (response.status !== 201) throw new Error(`the call was answered ${response.status}: ${answer}`);
  await caller.accept(answer);
  await caller.opened();
  const id = /\/calls\/(rtc_[A-Za-z0-9]+)$/.exec(response.headers.get('location') ?? '')?.[1];
  if (id === undefined) throw new Error(`no call id in Location: ${response.headers.get('location')}`);
  return id;
}

/**
 * Hangs up a call (`POST /v1/realtime/calls/{id}/hangup`) with `key`; resolves with the status.
 *
 * @example
 * assert.equal(await hangUp(gateway.address!.url, id, 'sk-app'), 200);
 */
export async function hangUp(baseUrl: string, id: string, key: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/realtime/calls/${id}/hangup`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  await response.arrayBuffer();
  return response.status;
}

export { tone } from './audio.js';
