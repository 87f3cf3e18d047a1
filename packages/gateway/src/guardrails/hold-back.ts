/**
 * The hold-back buffer of one output stream (a text part, or an audio part's transcript with
 * its audio): text is released as soon as no match could still need it, and audio as soon as
 * the transcript it speaks is released. Pure: a step takes a state and gives the next one.
 *
 * Why `maxMatchChars - 1`: every match found so far would have stopped the stream, so a match
 * still to come ends in text not yet received; if it is at most `maxMatchChars` long it starts
 * within the last `maxMatchChars - 1` characters received. Those are held; the rest is safe.
 * A match longer than `maxMatchChars` may be missed when its start was already released.
 */
import { type DenyMatch, type DenyRule, firstMatch } from './patterns.js';

/** What one stream holds back. `A` is an audio delta event. */
export interface HoldState<A> {
  /** Received text not yet released (scanned, no match). */
  readonly held: string;
  /** Characters of text received so far. */
  readonly received: number;
  /** Audio not yet released, each with the length of transcript received when it came: what it speaks. */
  readonly audio: readonly { readonly event: A; readonly speaks: number }[];
}

/** What a step releases, or the match that stops the stream. */
export type HoldStep<A> =
  | {
      readonly kind: 'release';
      readonly text: string;
      readonly audio: readonly A[];
      readonly state: HoldState<A>;
    }
  | { readonly kind: 'match'; readonly match: DenyMatch };

/** A stream with nothing received. */
export function emptyHold<A>(): HoldState<A> {
  return { held: '', received: 0, audio: [] };
}

/**
 * Adds a text delta: scans the held text with it, and releases all but the last `keep`
 * characters (`maxMatchChars - 1`), with the audio that speaks only released text.
 *
 * @example
 * const step = pushText(emptyHold(), 'hello wor', rules, 3);
 * // { kind: 'release', text: 'hello ', audio: [], state: { held: 'wor', received: 9, audio: [] } }
 */
export function pushText<A>(
  state: HoldState<A>,
  delta: string,
  rules: readonly DenyRule[],
  keep: number,
): HoldStep<A> {
  const text = state.held + delta;
  const match = firstMatch(rules, text);
  if (match !== null) return { kind: 'match', match };
  let cut = Math.max(0, text.length - keep);
  // Never split a surrogate pair: its halves are not text.
  if (cut > 0 && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  const received = state.received + delta.length;
  return releaseUpTo({ held: text, received, audio: state.audio }, cut);
}

/**
 * Adds an audio delta: released at once when no transcript is held, held otherwise (it speaks
 * text up to what was received, which may still be cut).
 */
export function pushAudio<A>(state: HoldState<A>, event: A): HoldStep<A> {
  if (state.held === '' && state.audio.length === 0)
    return { kind: 'release', text: '', audio: [event], state };
  return {
    kind: 'release',
    text: '',
    audio: [],
    state: { ...state, audio: [...state.audio, { event, speaks: state.received }] },
  };
}

/** Releases everything: the stream is done, and its whole text was scanned. */
export function finish<A>(state: HoldState<A>): HoldStep<A> {
  return releaseUpTo(state, state.held.length);
}

/** Releases the first `cut` held characters and the audio that speaks no further than them. */
function releaseUpTo<A>(state: HoldState<A>, cut: number): HoldStep<A> & { kind: 'release' } {
  const released = state.received - state.held.length + cut;
  let k = 0;
  while (k < state.audio.length && state.audio[k]!.speaks <= released) k++;
  return {
    kind: 'release',
    text: state.held.slice(0, cut),
    audio: state.audio.slice(0, k).map((held) => held.event),
    state: { held: state.held.slice(cut), received: state.received, audio: state.audio.slice(k) },
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
