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
import { type AST, RegExpParser, visitRegExpAST } from '@eslint-community/regexpp';
import { type Automaton, compileAutomaton, DEFAULT_MAX_AUTOMATON_STATES } from './partial-match.js';

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
export function denyRule(
  guardrail: string,
  source: string,
  ignoreCase: boolean,
  maxStates = DEFAULT_MAX_AUTOMATON_STATES,
): DenyRule {
  const flags = flagsOf(ignoreCase);
  return {
    guardrail,
    regex: new RegExp(source, flags),
    automaton: compileAutomaton(source, flags, maxStates),
  };
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
export function patternProblem(
  source: string,
  ignoreCase: boolean,
  maxStates = DEFAULT_MAX_AUTOMATON_STATES,
): string | null {
  let regex: RegExp;
  try {
    regex = new RegExp(source, flagsOf(ignoreCase));
  } catch (error) {
    return (error as Error).message;
  }
  const structural = costProblem(source);
  if (structural !== null) return structural;
  try {
    compileAutomaton(source, flagsOf(ignoreCase), maxStates);
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
 * Refuses nested quantifiers, backreferences and lookaround, from the pattern's syntax tree
 * (the syntax was already checked by `RegExp`).
 */
function costProblem(source: string): string | null {
  const pattern = new RegExpParser().parsePattern(source, 0, source.length, { unicode: true });
  let problem: string | null = null;
  visitRegExpAST(pattern, {
    onBackreferenceEnter() {
      problem ??= 'backreferences are not allowed (their cost has no bound)';
    },
    onAssertionEnter(node) {
      if (node.kind === 'lookahead' || node.kind === 'lookbehind')
        problem ??= 'lookaround is not allowed (it would look past the text being checked)';
    },
    onQuantifierEnter(node) {
      if (quantifies(node.element))
        problem ??=
          'nested quantifiers are not allowed (a quantified group containing a quantifier can take exponential time)';
    },
  });
  return problem;
}

/** Whether a quantifier appears inside `element` (a group, at any depth). */
function quantifies(element: AST.Element): boolean {
  if (element.type !== 'Group' && element.type !== 'CapturingGroup') return false;
  return element.alternatives.some((alternative) =>
    alternative.elements.some((inner) => inner.type === 'Quantifier' || quantifies(inner)),
  );
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
