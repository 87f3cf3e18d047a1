/**
 * The hold-back buffer of one output stream (a text part, or an audio part's transcript with
 * its audio): text is released as soon as no match could still need it, and audio as soon as
 * the transcript it speaks is released. Pure: a step takes a state and gives the next one.
 *
 * What is held is the shortest tail of the text received that could still be the beginning of
 * a match (partial-match.ts runs each pattern over the whole stream): a text with no such tail
 * goes out whole, at once. A match found stops the stream before any of its text is released.
 * The tail is bounded by `maxMatchChars`: a partial match that could only complete longer than
 * that is not waited for, so such a long match may be found after its start was released.
 */

import { liveStart, matchHere, SCAN_START, type ScanState, scan } from './partial-match.js';
import type { DenyMatch, DenyRule } from './patterns.js';

/** What one stream holds back. `A` is an audio delta event. */
export interface HoldState<A> {
  /** Received text not yet released (no match in it so far). */
  readonly held: string;
  /** Characters of text received so far. */
  readonly received: number;
  /** Audio not yet released, each with the length of transcript received when it came: what it speaks. */
  readonly audio: readonly { readonly event: A; readonly speaks: number }[];
  /** Each rule's scan of the stream, by the rule's position; missing: nothing scanned. */
  readonly scans: readonly ScanState[];
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
  return { held: '', received: 0, audio: [], scans: [] };
}

/**
 * Adds a text delta: scans it, and releases all but the tail a match could still need (at most
 * `maxMatchChars` characters), with the audio that speaks only released text.
 *
 * @example
 * const step = pushText(emptyHold(), 'hello ab', [denyRule('g', 'abc', true)], 64);
 * // { kind: 'release', text: 'hello ', audio: [], state: { held: 'ab', … } }
 */
export function pushText<A>(
  state: HoldState<A>,
  delta: string,
  rules: readonly DenyRule[],
  maxMatchChars: number,
): HoldStep<A> {
  const received = state.received + delta.length;
  const next = { held: state.held + delta, received, audio: state.audio };
  const scanned = scanAll(next, state.scans, rules, false);
  if (!Array.isArray(scanned)) return { kind: 'match', match: scanned };
  let hold = received;
  rules.forEach((rule, k) => {
    hold = Math.min(hold, scanned[k]!.at, liveStart(rule.automaton, scanned[k]!, maxMatchChars));
  });
  return releaseUpTo({ ...next, scans: scanned }, next.held.length - (received - hold));
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

/**
 * The stream is done: a match its end completes (`$`, a trailing `\b`) stops it, otherwise
 * everything held is released.
 */
export function finish<A>(state: HoldState<A>, rules: readonly DenyRule[]): HoldStep<A> {
  const scanned = scanAll(state, state.scans, rules, true);
  if (!Array.isArray(scanned)) return { kind: 'match', match: scanned };
  return releaseUpTo({ ...state, scans: scanned }, state.held.length);
}

/**
 * Scans what each rule has not scanned yet (held text, from the rule's position), then looks
 * for a match ending at the end of what arrived (or of the text, when `ended`).
 */
function scanAll(
  state: Omit<HoldState<unknown>, 'scans'>,
  scans: readonly ScanState[],
  rules: readonly DenyRule[],
  ended: boolean,
): ScanState[] | DenyMatch {
  const heldFrom = state.received - state.held.length;
  const next: ScanState[] = [];
  for (const [k, rule] of rules.entries()) {
    const before = scans[k] ?? SCAN_START;
    const step = scan(rule.automaton, before, state.held.slice(before.at - heldFrom), ended);
    if (step.kind === 'match') return { guardrail: rule.guardrail, ...step.span };
    const span = matchHere(rule.automaton, step.state, ended);
    if (span !== null) return { guardrail: rule.guardrail, ...span };
    next.push(step.state);
  }
  return next;
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
    state: { ...state, held: state.held.slice(cut), audio: state.audio.slice(k) },
  };
}
