/**
 * When to replace an upstream before a provider's cap on session length ends it: at
 * `rolloverBeforeMs` before the cap, at a quiet moment (no response in flight, the user not
 * speaking) if one comes before the last safe moment, and regardless after that, since a
 * replacement cut short by the cap would lose more than an interrupted answer.
 */

export interface RolloverPolicy {
  /** The provider's cap on an upstream session's length; null or 0 when there is none. */
  readonly maxDurationMs: number | null;
  /** How long before the cap to start looking for a quiet moment (`continuity.rolloverBeforeMs`). */
  readonly rolloverBeforeMs: number;
  /** How long before the cap a replacement must start at the latest: enough to replay and switch over. */
  readonly minReplayMs: number;
  /** Replacements allowed per session; past it the upstream runs to its cap. */
  readonly maxReplacements: number;
}

/** The upstream leg at one moment. */
export interface RolloverState {
  /** When the current upstream session was opened (ms since the epoch). */
  readonly upstreamStartedAt: number;
  readonly now: number;
  /** Replacements this session has had so far. */
  readonly replacements: number;
  /** A response is in flight (between `response.created` and `response.done`). */
  readonly responseInProgress: boolean;
  /** The user is speaking (between `speech_started` and `speech_stopped`). */
  readonly userSpeaking: boolean;
}

/** What to do now. */
export type RolloverDecision =
  /** No cap, or no replacement left: nothing to schedule. */
  | { readonly action: 'none'; readonly reason: 'no_limit' | 'replacements_exhausted' }
  /** Check again in `inMs` (the window opens, or a busy moment may end). */
  | { readonly action: 'wait'; readonly inMs: number; readonly reason: 'not_yet' | 'busy' }
  /** Replace the upstream now. */
  | { readonly action: 'replace'; readonly reason: 'quiet' | 'deadline' };

/** How often to look again for a quiet moment inside the window. */
const BUSY_RECHECK_MS = 250;

/**
 * Whether to replace the upstream now, and if not, when to ask again.
 *
 * @example
 * const d = decideRollover(policy, { upstreamStartedAt, now: Date.now(), replacements: 0,
 *   responseInProgress: false, userSpeaking: false });
 * if (d.action === 'replace') replaceUpstream('rollover');
 * else if (d.action === 'wait') setTimeout(check, d.inMs);
 */
export function decideRollover(policy: RolloverPolicy, state: RolloverState): RolloverDecision {
  const cap = policy.maxDurationMs;
  if (cap === null || cap <= 0) return { action: 'none', reason: 'no_limit' };
  if (state.replacements >= policy.maxReplacements)
    return { action: 'none', reason: 'replacements_exhausted' };
  const deadline = state.upstreamStartedAt + cap;
  const lastSafe = deadline - Math.max(0, policy.minReplayMs);
  const opens = Math.min(deadline - Math.max(0, policy.rolloverBeforeMs), lastSafe);
  if (state.now < opens) return { action: 'wait', inMs: opens - state.now, reason: 'not_yet' };
  if (state.now >= lastSafe) return { action: 'replace', reason: 'deadline' };
  if (!state.responseInProgress && !state.userSpeaking) return { action: 'replace', reason: 'quiet' };
  return { action: 'wait', inMs: Math.min(BUSY_RECHECK_MS, lastSafe - state.now), reason: 'busy' };
}
