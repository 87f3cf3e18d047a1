/**
 * The gateway's side of a call's peer connection (werift, WebRTC in TypeScript): Opus audio
 * both ways and the offer's data channel. The answer is given whole (every candidate gathered
 * first), since it goes back in one HTTP response; its candidates are limited to the addresses
 * the operator allows, and so are the pairs ICE may use.
 */
import {
  type MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
} from 'werift';
import type { WebRtcConfig } from '../config/resolve.js';
import { limitCandidates } from './sdp.js';

/** A peer connection with its answer made, and the audio transceiver the call uses. */
export interface AnsweredPeer {
  readonly peer: RTCPeerConnection;
  readonly audio: RTCRtpTransceiver;
  readonly answer: string;
}

/** Opus as WebRTC negotiates it: a 48 kHz clock, two channels declared (RFC 7587). */
function opus(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: 48_000,
    channels: 2,
    payloadType: 111,
    parameters: 'minptime=10;useinbandfec=1',
  });
}

/** The werift settings for the configured ICE addresses and servers. */
export function peerSettings(config: WebRtcConfig): ConstructorParameters<typeof RTCPeerConnection>[0] {
  const allowed = new Set(config.iceAddresses);
  const restricted = allowed.size > 0;
  return {
    codecs: { audio: [opus()] },
    iceServers: config.iceServers.map((server) => ({
      urls: server.urls,
      ...(server.username === null ? {} : { username: server.username }),
      ...(server.credential === null ? {} : { credential: server.credential }),
    })),
    iceUseIpv6: !restricted || config.iceAddresses.some((address) => address.includes(':')),
    ...(restricted
      ? {
          iceAdditionalHostAddresses: [...allowed],
          iceFilterCandidatePair: (pair: { localCandidate: { host: string } }) =>
            allowed.has(pair.localCandidate.host),
        }
      : {}),
  };
}

/** Resolves once the peer has gathered its candidates, or after `timeoutMs` with what it has. */
function gathered(peer: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (peer.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const subscription = peer.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      subscription.unSubscribe();
      resolve();
    }
  });
}

/**
 * Answers `offer` (already checked by `checkOffer`): the audio transceiver sends `speaker` and
 * receives the caller's microphone. Throws when the WebRTC stack refuses the offer; the peer
 * is closed then.
 *
 * @example
 * const { peer, audio, answer } = await answerOffer(offer, config.webrtc, speaker);
 * res.writeHead(201, { 'content-type': 'application/sdp', location }).end(answer);
 */
export async function answerOffer(
  offer: string,
  config: WebRtcConfig,
  speaker: MediaStreamTrack,
): Promise<AnsweredPeer> {
  const peer = new RTCPeerConnection(peerSettings(config));
  try {
    await peer.setRemoteDescription({ type: 'offer', sdp: offer });
    const audio = peer.getTransceivers().find((transceiver) => transceiver.kind === 'audio');
    if (audio === undefined) throw new Error('the offer has no audio transceiver');
    await audio.sender.replaceTrack(speaker);
    audio.setDirection('sendrecv');
    await peer.setLocalDescription(await peer.createAnswer());
    await gathered(peer, config.connectTimeoutMs);
    const sdp = peer.localDescription?.sdp;
    if (sdp === undefined) throw new Error('no local description');
    return { peer, audio, answer: limitCandidates(sdp, config.iceAddresses) };
  } catch (error) {
    await peer.close().catch(() => {});
    throw error;
  }
}
