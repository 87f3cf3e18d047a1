/**
 * What a terminated call needs of werift (WebRTC) and opusscript (libopus in WebAssembly), and
 * the gateway's code on them: loaded by the calls endpoint when the first call arrives (see
 * {@link loadCallMedia}), so that a gateway that takes no calls never loads them.
 */
export { MediaStreamTrack } from 'werift';
export { WebRtcLeg } from '../legs/webrtc-leg.js';
export { createOpusCodec } from '../media/opus.js';
export { answerOffer } from './peer.js';
