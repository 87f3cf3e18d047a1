/**
 * A call's audio on the upstream side is always PCM16 at 24 kHz: the gateway decodes the
 * microphone's Opus into it and encodes the upstream's audio from it. A configuration asking
 * for another format (G.711, from the page, a client secret or the offer's `session` part)
 * would make the upstream read and write bytes the gateway does not, so in a call the formats
 * are pinned, as OpenAI's WebRTC endpoint fixes the wire codec whatever the session says.
 */
import type { ClientEvent } from '@realtime-gateway/protocol';
import { FORWARD, type Middleware, type MiddlewareFactory } from '../session/middleware.js';

const PCM = Object.freeze({ type: 'audio/pcm', rate: 24_000 }) as { type: 'audio/pcm'; rate: 24000 };

type Audio = { input?: { format?: unknown }; output?: { format?: unknown } } | undefined;

/** Whether `format` is set to something other than the call's PCM. */
const foreign = (format: unknown): boolean =>
  format !== undefined && (format as { type?: unknown } | null)?.type !== 'audio/pcm';

/**
 * `audio` with every format that is set replaced by PCM16 at 24 kHz, or null when nothing
 * needed replacing.
 *
 * @example
 * pinnedAudio({ output: { format: { type: 'audio/pcmu' } } }); // { output: { format: { type: 'audio/pcm', rate: 24000 } } }
 */
export function pinnedAudio(audio: Audio): Audio | null {
  if (audio === undefined || audio === null) return null;
  if (!foreign(audio.input?.format) && !foreign(audio.output?.format)) return null;
  const pinned: Record<string, unknown> = { ...audio };
  if (foreign(audio.input?.format)) pinned.input = { ...audio.input, format: PCM };
  if (foreign(audio.output?.format)) pinned.output = { ...audio.output, format: PCM };
  return pinned as Audio;
}

/** The event with its audio formats pinned, or null when it can go as it is. */
export function pinnedEvent(event: ClientEvent): ClientEvent | null {
  if (event.type === 'session.update') {
    const audio = pinnedAudio(event.session.audio as Audio);
    return audio === null ? null : ({ ...event, session: { ...event.session, audio } } as ClientEvent);
  }
  if (event.type === 'response.create' && event.response != null) {
    const audio = pinnedAudio(event.response.audio as Audio);
    return audio === null ? null : ({ ...event, response: { ...event.response, audio } } as ClientEvent);
  }
  return null;
}

const pinFormats: Middleware = {
  name: 'call-audio-formats',
  client: new Set(['session.update', 'response.create']),
  onClient(frame) {
    const pinned = frame.event === null ? null : pinnedEvent(frame.event);
    return pinned === null ? FORWARD : { action: 'replace', event: pinned };
  },
};

/** The middleware, for a call's session. */
export const callAudioFormats: MiddlewareFactory = () => pinFormats;
