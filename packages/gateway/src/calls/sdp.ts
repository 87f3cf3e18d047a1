/**
 * What the gateway reads and changes in SDP, as pure functions over the text: whether an offer
 * can become a call (an Opus audio section and a data channel section), and the answer's ICE
 * candidates limited to the addresses the operator allows. Everything else is left to the
 * WebRTC stack, which parses the offer in full.
 */
import { type Refusal, refusal } from '../refusal.js';

/** One `m=` section: its media kind, protocol and formats, and its attribute lines. */
export interface MediaSection {
  readonly kind: string;
  readonly protocol: string;
  readonly formats: readonly string[];
  readonly attributes: readonly string[];
}

/** The `m=` sections of an SDP, or null when the text is not an SDP session description. */
export function mediaSections(sdp: string): MediaSection[] | null {
  const lines = sdp.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0] !== 'v=0' || !lines.some((line) => line.startsWith('o='))) return null;
  const sections: { kind: string; protocol: string; formats: string[]; attributes: string[] }[] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) return null;
    if (line.startsWith('m=')) {
      const [kind, port, protocol, ...formats] = line.slice(2).split(' ');
      if (kind === undefined || port === undefined || protocol === undefined || !/^\d+$/.test(port))
        return null;
      sections.push({ kind, protocol, formats, attributes: [] });
    } else if (line.startsWith('a=')) sections.at(-1)?.attributes.push(line.slice(2));
  }
  return sections;
}

/** Whether a section offers Opus (an `rtpmap` naming `opus/48000` for one of its formats). */
function offersOpus(section: MediaSection): boolean {
  return section.attributes.some((attribute) => {
    const match = /^rtpmap:(\d+) opus\/48000/i.exec(attribute);
    return match !== null && section.formats.includes(match[1]!);
  });
}

/**
 * Checks that an offer can become a call: readable SDP, an audio section with Opus, and a
 * data channel section (SCTP over DTLS) for the `oai-events` channel.
 *
 * @example
 * const problem = checkOffer(body.toString('utf8'));
 * if (problem !== null) return sendRefusal(res, problem);
 */
export function checkOffer(sdp: string): Refusal | null {
  const sections = mediaSections(sdp);
  if (sections === null || sections.length === 0)
    return refusal(400, 'invalid_offer', 'The SDP offer could not be parsed.', { param: 'sdp' });
  const audio = sections.filter((section) => section.kind === 'audio');
  if (audio.length === 0)
    return refusal(400, 'invalid_offer', 'The SDP offer has no audio section.', { param: 'sdp' });
  if (!audio.some(offersOpus))
    return refusal(400, 'invalid_offer', 'The SDP offer does not offer the Opus codec.', { param: 'sdp' });
  const data = sections.some(
    (section) => section.kind === 'application' && section.protocol.toUpperCase().includes('SCTP'),
  );
  if (!data)
    return refusal(400, 'invalid_offer', 'The SDP offer has no data channel section.', { param: 'sdp' });
  return null;
}

/**
 * The SDP with only the ICE candidates whose address is in `allowed` (all of them when
 * `allowed` is empty): a host's other interfaces are not told to the peer.
 *
 * @example
 * limitCandidates(answer, ['127.0.0.1']);
 */
export function limitCandidates(sdp: string, allowed: readonly string[]): string {
  if (allowed.length === 0) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      const address = line.split(' ')[4];
      return address !== undefined && allowed.includes(address);
    })
    .join(eol);
}
