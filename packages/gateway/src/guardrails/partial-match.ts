/**
 * Matching a deny pattern over a text that arrives in pieces, and telling how much of the end
 * of what arrived could still be the beginning of a match. The output hold-back (hold-back.ts)
 * keeps exactly that tail and releases the rest.
 *
 * A pattern is parsed by regexpp and compiled to a Thompson automaton, run as a Pike VM: one
 * thread per automaton state, each with the earliest position where a partial match reaching
 * that state began (two threads in one state have the same future, so the earlier start is the
 * one that matters). Character atoms (a character, a class, `\w`, `\p{…}`, `.`) are tested by a
 * one-atom RegExp with the pattern's own flags, so case folding and Unicode properties are
 * exactly the engine's. The automaton runs over the whole stream, not a window: `^`, `$` and
 * `\b` see the text's real start, end and neighbours, and a text has a match here exactly when
 * the RegExp finds one in it.
 *
 * Assertions that look at the next character (`$`, `\b`, `\B`) wait for it: a thread stopped at
 * one is a live partial match that may complete with no further character. Backreferences and
 * lookaround are refused at config load (patterns.ts), so every construct here is regular.
 */
import { type AST, RegExpParser } from '@eslint-community/regexpp';

type Edge = 'start' | 'end' | 'word' | 'notWord';

type State =
  | { readonly kind: 'char'; readonly test: (codePoint: number) => boolean; readonly next: number }
  | { readonly kind: 'split'; next: number[] }
  | { readonly kind: 'assert'; readonly edge: Edge; readonly next: number }
  | { readonly kind: 'match' };

/** A deny pattern compiled for streaming. */
export interface Automaton {
  readonly states: readonly State[];
  readonly start: number;
  readonly isWord: (codePoint: number) => boolean;
  /**
   * The character states a match begins with, when no assertion comes before them: a
   * character none of them takes, with no partial match live, leaves nothing live.
   */
  readonly firsts: readonly number[] | null;
}

/**
 * The most states a pattern may compile to unless told otherwise (`maxPatternStates`): counted
 * repetitions are unrolled (`\d{13,16}` is 16 copies of `\d`), and every character scanned may
 * visit each state once.
 */
export const DEFAULT_MAX_AUTOMATON_STATES = 100_000;

/**
 * Compiles `source` (already accepted by `RegExp` with `flags`, without backreferences or
 * lookaround). Throws when it would have more than `maxStates` states.
 *
 * @example
 * const automaton = compileAutomaton('\\bcard\\b', 'iu');
 */
export function compileAutomaton(
  source: string,
  flags: string,
  maxStates = DEFAULT_MAX_AUTOMATON_STATES,
): Automaton {
  const pattern = new RegExpParser().parsePattern(source, 0, source.length, { unicode: flags.includes('u') });
  const states: State[] = [];
  const add = (state: State): number => {
    if (states.length >= maxStates)
      throw new Error(`the pattern's automaton would have more than ${maxStates} states (maxPatternStates)`);
    states.push(state);
    return states.length - 1;
  };
  const accept = add({ kind: 'match' });
  const start = new Compiler(add, states, flags).alternatives(pattern.alternatives, accept);
  return { states, start, isWord: atomTest('\\w', flags), firsts: firstsOf(states, start) };
}

/** The character states reachable from `start` through splits alone; null when an assertion (or the end) is. */
function firstsOf(states: readonly State[], start: number): number[] | null {
  const firsts: number[] = [];
  const seen = new Set<number>();
  const stack = [start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = states[id]!;
    if (node.kind === 'char') firsts.push(id);
    else if (node.kind === 'split') stack.push(...node.next);
    else return null;
  }
  return firsts;
}

/** Builds states back to front: each piece is compiled knowing the state that follows it. */
class Compiler {
  constructor(
    private readonly add: (state: State) => number,
    private readonly states: State[],
    private readonly flags: string,
  ) {}

  alternatives(alternatives: readonly AST.Alternative[], next: number): number {
    if (alternatives.length === 1) return this.sequence(alternatives[0]!.elements, next);
    return this.add({ kind: 'split', next: alternatives.map((alt) => this.sequence(alt.elements, next)) });
  }

  private sequence(elements: readonly AST.Element[], next: number): number {
    let entry = next;
    for (let k = elements.length - 1; k >= 0; k--) entry = this.element(elements[k]!, entry);
    return entry;
  }

  private element(element: AST.Element, next: number): number {
    switch (element.type) {
      case 'Character':
      case 'CharacterClass':
      case 'CharacterSet':
        return this.add({ kind: 'char', test: atomTest(element.raw, this.flags), next });
      case 'Group':
      case 'CapturingGroup':
        return this.alternatives(element.alternatives, next);
      case 'Quantifier':
        return this.quantifier(element, next);
      case 'Assertion':
        if (element.kind === 'start' || element.kind === 'end')
          return this.add({ kind: 'assert', edge: element.kind, next });
        if (element.kind === 'word')
          return this.add({ kind: 'assert', edge: element.negate ? 'notWord' : 'word', next });
        throw new Error('lookaround is not supported');
      default:
        throw new Error(`${element.type} is not supported`);
    }
  }

  /** `x{n,m}`: n copies of x, then m − n nested optional ones (or a loop when m is unbounded). */
  private quantifier(quantifier: AST.Quantifier, next: number): number {
    let entry = next;
    if (quantifier.max === Number.POSITIVE_INFINITY) {
      const loop = this.add({ kind: 'split', next: [] });
      const body = this.element(quantifier.element, loop);
      (this.states[loop] as { next: number[] }).next = [body, next];
      entry = loop;
    } else
      for (let k = quantifier.min; k < quantifier.max; k++)
        entry = this.add({ kind: 'split', next: [this.element(quantifier.element, entry), next] });
    for (let k = 0; k < quantifier.min; k++) entry = this.element(quantifier.element, entry);
    return entry;
  }
}

/** Whether one code point matches one atom, by the engine itself; ASCII answers are cached. */
function atomTest(raw: string, flags: string): (codePoint: number) => boolean {
  const regex = new RegExp(`^(?:${raw})$`, flags);
  const ascii = new Int8Array(128);
  return (codePoint) => {
    if (codePoint < 128) {
      if (ascii[codePoint] === 0) ascii[codePoint] = regex.test(String.fromCharCode(codePoint)) ? 1 : -1;
      return ascii[codePoint] === 1;
    }
    return regex.test(String.fromCodePoint(codePoint));
  };
}

/** Where a stream's scan stands: the partial matches waiting for the next character. */
export interface ScanState {
  /** Code units scanned. */
  readonly at: number;
  /** The last code point scanned; −1 before the first. */
  readonly prev: number;
  /** Automaton state → earliest start of a partial match in it, in order of start. */
  readonly threads: ReadonlyMap<number, number>;
}

/** A match: where it starts in the stream, and its length in code units. */
export interface Span {
  readonly index: number;
  readonly length: number;
}

/** What a scan step gives: the next state, or the match that stops the stream. */
export type ScanStep =
  | { readonly kind: 'state'; readonly state: ScanState }
  | { readonly kind: 'match'; readonly span: Span };

const NO_THREADS: ReadonlyMap<number, number> = new Map();

/** A stream with nothing scanned. */
export const SCAN_START: ScanState = Object.freeze({ at: 0, prev: -1, threads: NO_THREADS });

/** The next character is not known yet (the end of what arrived). */
const UNKNOWN = -2;
/** The text has ended. */
const END = -1;

/**
 * Scans `chunk`, the text that follows what `state` scanned. Without `final`, a high surrogate
 * ending the chunk is left unscanned (its pair may come in the next chunk): `at` then stops
 * before it.
 *
 * @example
 * const step = scan(compileAutomaton('abc', 'u'), SCAN_START, 'xab', false);
 * // { kind: 'state', state: { at: 3, … } }: 'ab' may still become 'abc'
 */
export function scan(automaton: Automaton, state: ScanState, chunk: string, final: boolean): ScanStep {
  let current = state;
  for (let k = 0; k < chunk.length; ) {
    const codePoint = chunk.codePointAt(k)!;
    const width = codePoint > 0xffff ? 2 : 1;
    if (!final && width === 1 && isHighSurrogate(codePoint) && k === chunk.length - 1) break;
    const step = advance(automaton, current, codePoint, width);
    if (step.kind === 'match') return step;
    current = step.state;
    k += width;
  }
  return { kind: 'state', state: current };
}

/**
 * A match ending where the scan stands that needs no further character, or (with `ended`) one
 * that the text's end completes (`$`, a trailing `\b`); null when there is none.
 *
 * @example
 * matchHere(compileAutomaton('abc$', 'u'), state, true); // { index: 0, length: 3 } after 'abc'
 */
export function matchHere(automaton: Automaton, state: ScanState, ended: boolean): Span | null {
  const found = closure(automaton, withRoot(automaton, state), state, ended ? END : UNKNOWN);
  return found.match === null ? null : { index: found.match, length: state.at - found.match };
}

/**
 * Where the text that a match no longer than `maxChars` could still need begins: the earliest
 * start of a partial match that can still complete within `maxChars`, or `at` when there is
 * none. Everything before it can be released.
 *
 * @example
 * liveStart(compileAutomaton('abc', 'u'), stateAfter('xxab'), 64); // 2
 */
export function liveStart(automaton: Automaton, state: ScanState, maxChars: number): number {
  const found = closure(automaton, state.threads, state, UNKNOWN);
  let earliest = state.at;
  // A thread at a character needs at least one more; a parked one may complete with none.
  for (const start of found.chars.values())
    if (state.at - start <= maxChars - 1) {
      earliest = Math.min(earliest, start);
      break; // in order of start: the first one that fits is the earliest
    }
  if (found.parked !== null && state.at - found.parked <= maxChars)
    earliest = Math.min(earliest, found.parked);
  return earliest;
}

/** One code point: the threads that take it, or a match that ends before it. */
function advance(automaton: Automaton, state: ScanState, codePoint: number, width: number): ScanStep {
  // Most characters of a clean text start nothing: no closure to follow.
  const firsts = automaton.firsts;
  if (
    state.threads.size === 0 &&
    firsts !== null &&
    !firsts.some((id) => (automaton.states[id] as State & { kind: 'char' }).test(codePoint))
  )
    return { kind: 'state', state: { at: state.at + width, prev: codePoint, threads: NO_THREADS } };
  const found = closure(automaton, withRoot(automaton, state), state, codePoint);
  if (found.match !== null)
    return { kind: 'match', span: { index: found.match, length: state.at - found.match } };
  const threads = new Map<number, number>();
  for (const [id, start] of found.chars) {
    const char = automaton.states[id] as State & { kind: 'char' };
    if (!threads.has(char.next) && char.test(codePoint)) threads.set(char.next, start);
  }
  return { kind: 'state', state: { at: state.at + width, prev: codePoint, threads } };
}

/** The threads, with a new partial match starting here (a match may start anywhere). */
function withRoot(automaton: Automaton, state: ScanState): ReadonlyMap<number, number> {
  if (state.threads.has(automaton.start)) return state.threads;
  return new Map([...state.threads, [automaton.start, state.at]]);
}

interface Closure {
  /** The start of a match completed here, the earliest; null when none. */
  readonly match: number | null;
  /** Threads at character states, in order of start. */
  readonly chars: Map<number, number>;
  /** The earliest start of a thread waiting at an assertion on the unknown next character. */
  readonly parked: number | null;
}

/**
 * Follows every thread through splits and assertions to the states that read a character.
 * Threads come in order of start, so the first visit of a state carries its earliest start.
 */
function closure(
  automaton: Automaton,
  threads: ReadonlyMap<number, number>,
  state: ScanState,
  next: number,
): Closure {
  const visited = new Set<number>();
  const chars = new Map<number, number>();
  let parked: number | null = null;
  const stack: number[] = [];
  for (const [entry, start] of threads) {
    stack.push(entry);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (visited.has(id)) continue;
      visited.add(id);
      const node = automaton.states[id]!;
      if (node.kind === 'match') return { match: start, chars, parked };
      if (node.kind === 'char') chars.set(id, start);
      else if (node.kind === 'split')
        for (let k = node.next.length - 1; k >= 0; k--) stack.push(node.next[k]!);
      else {
        const holds = edgeHolds(automaton, node.edge, state.prev, next);
        if (holds === null) parked ??= start;
        else if (holds) stack.push(node.next);
      }
    }
  }
  return { match: null, chars, parked };
}

/** Whether an assertion holds between `prev` and `next`; null when it depends on a `next` not known yet. */
function edgeHolds(automaton: Automaton, edge: Edge, prev: number, next: number): boolean | null {
  if (edge === 'start') return prev === -1;
  if (next === UNKNOWN) return null;
  if (edge === 'end') return next === END;
  const boundary = wordAt(automaton, prev) !== wordAt(automaton, next);
  return edge === 'word' ? boundary : !boundary;
}

function wordAt(automaton: Automaton, codePoint: number): boolean {
  return codePoint >= 0 && automaton.isWord(codePoint);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
