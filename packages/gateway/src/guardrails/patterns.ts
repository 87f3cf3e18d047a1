/**
 * Deny patterns: compiling them, refusing those whose cost has no bound, and finding the first
 * match in a piece of text. Pure functions, no state.
 *
 * A pattern's cost is bounded. Input text is run through its RegExp once per item, and the
 * pattern may not backtrack exponentially: nested quantifiers (`(a+)+`, `(\w*\s?)*`),
 * backreferences and lookaround are refused at config load, so a scan is polynomial in the
 * text's length. Output text streams through its automaton (partial-match.ts), linear in the
 * text: each character visits each of the automaton's states at most once.
 */
import { type Automaton, compileAutomaton } from './partial-match.js';

/** A compiled deny pattern of one guardrail. */
export interface DenyRule {
  /** The guardrail's name, from the config. */
  readonly guardrail: string;
  readonly regex: RegExp;
  /** The same pattern, for streamed text. */
  readonly automaton: Automaton;
}

/**
 * Compiles a deny pattern that {@link patternProblem} accepted.
 *
 * @example
 * denyRule('pii', '\\d{16}', true); // { guardrail: 'pii', regex: /\d{16}/iu, automaton: … }
 */
export function denyRule(guardrail: string, source: string, ignoreCase: boolean): DenyRule {
  const flags = flagsOf(ignoreCase);
  return { guardrail, regex: new RegExp(source, flags), automaton: compileAutomaton(source, flags) };
}

/** Where a deny pattern matched. */
export interface DenyMatch {
  readonly guardrail: string;
  /** In the text checked: an input item's, or an output stream's from its start. */
  readonly index: number;
  readonly length: number;
}

/**
 * Why `source` may not be a deny pattern, or null when it may. Checks the syntax, then the
 * constructs whose matching cost has no bound.
 *
 * @example
 * patternProblem('(a+)+$', true); // 'nested quantifiers …'
 * patternProblem('credit card', true); // null
 */
export function patternProblem(source: string, ignoreCase: boolean): string | null {
  let regex: RegExp;
  try {
    regex = new RegExp(source, flagsOf(ignoreCase));
  } catch (error) {
    return (error as Error).message;
  }
  const structural = costProblem(source);
  if (structural !== null) return structural;
  try {
    compileAutomaton(source, flagsOf(ignoreCase));
  } catch (error) {
    return (error as Error).message;
  }
  // A pattern that matches nothing at all would block every text.
  if (regex.test('')) return 'the pattern matches the empty string, so it would block every text';
  return null;
}

/** The flags deny patterns are compiled with: Unicode, and case folding unless turned off. */
export function flagsOf(ignoreCase: boolean): string {
  return ignoreCase ? 'iu' : 'u';
}

/**
 * Refuses nested quantifiers, backreferences and lookaround, from the pattern's source: a
 * small scan that tracks groups and character classes, not a full parser (the syntax was
 * already checked by `RegExp`).
 */
function costProblem(source: string): string | null {
  // Per open group: whether something inside it is quantified.
  const groups: boolean[] = [];
  let lastGroupQuantified = false;
  let afterGroup = false;
  for (let k = 0; k < source.length; k++) {
    const c = source[k]!;
    if (c === '\\') {
      const next = source[k + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k')
        return 'backreferences are not allowed (their cost has no bound)';
      k++;
      afterGroup = false;
      continue;
    }
    if (c === '[') {
      // Skip the class: quantifier characters inside it are literals.
      for (k++; k < source.length && source[k] !== ']'; k++) if (source[k] === '\\') k++;
      afterGroup = false;
      continue;
    }
    if (c === '(') {
      if (
        source.startsWith('(?=', k) ||
        source.startsWith('(?!', k) ||
        /^\(\?<[=!]/.test(source.slice(k, k + 4))
      )
        return 'lookaround is not allowed (it would look past the text being checked)';
      groups.push(false);
      afterGroup = false;
      continue;
    }
    if (c === ')') {
      lastGroupQuantified = groups.pop() ?? false;
      // A group containing a quantifier makes its parent contain one too.
      if (lastGroupQuantified && groups.length > 0) groups[groups.length - 1] = true;
      afterGroup = true;
      continue;
    }
    if (isQuantifierAt(source, k)) {
      if (afterGroup && lastGroupQuantified)
        return 'nested quantifiers are not allowed (a quantified group containing a quantifier can take exponential time)';
      if (groups.length > 0) groups[groups.length - 1] = true;
      if (source[k] === '{') k = source.indexOf('}', k);
      if (source[k + 1] === '?') k++;
      afterGroup = false;
      continue;
    }
    afterGroup = false;
  }
  return null;
}

function isQuantifierAt(source: string, k: number): boolean {
  const c = source[k];
  if (c === '*' || c === '+' || c === '?') return true;
  return c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(k));
}

/**
 * The first rule (in config order) that matches `text`, with where; null when none does.
 *
 * @example
 * firstMatch([denyRule('pii', '\\d{16}', false)], 'card 4111111111111111'); // { guardrail: 'pii', index: 5, length: 16 }
 */
export function firstMatch(rules: readonly DenyRule[], text: string): DenyMatch | null {
  if (text === '') return null;
  for (const rule of rules) {
    const found = rule.regex.exec(text);
    if (found !== null) return { guardrail: rule.guardrail, index: found.index, length: found[0].length };
  }
  return null;
}
