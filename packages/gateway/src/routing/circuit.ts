/**
 * A circuit breaker for one upstream, as an explicit state machine:
 *
 * - `closed`: connections flow; consecutive failures are counted, a success resets the count.
 * - `open`: reached after `failureThreshold` consecutive failures; no connection is attempted
 *   until `cooldownMs` has passed.
 * - `half-open`: after the cool-down, exactly one trial connection is let through; its success
 *   closes the circuit, its failure opens it for another cool-down.
 *
 * Time is passed in, so tests drive it with a fake clock.
 */
export type CircuitState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly until: number }
  | { readonly kind: 'half-open'; readonly trialInFlight: boolean };

export interface CircuitOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
}

export const CLOSED: CircuitState = Object.freeze({ kind: 'closed', failures: 0 });

/** Whether a connection may be attempted now, and the state after deciding (an open circuit may turn half-open). */
export function admit(
  state: CircuitState,
  now: number,
): { readonly allowed: boolean; readonly state: CircuitState } {
  switch (state.kind) {
    case 'closed':
      return { allowed: true, state };
    case 'open':
      if (now < state.until) return { allowed: false, state };
      return { allowed: true, state: { kind: 'half-open', trialInFlight: true } };
    case 'half-open':
      if (state.trialInFlight) return { allowed: false, state };
      return { allowed: true, state: { kind: 'half-open', trialInFlight: true } };
  }
}

/** Whether a connection could be attempted now, without taking the half-open trial. */
export function isAvailable(state: CircuitState, now: number): boolean {
  if (state.kind === 'closed') return true;
  if (state.kind === 'open') return now >= state.until;
  return !state.trialInFlight;
}

/**
 * The state after the half-open trial was let through but never attempted (the session was
 * refused for another reason first): the next connection may take the trial.
 */
export function onTrialAbandoned(state: CircuitState): CircuitState {
  return state.kind === 'half-open' && state.trialInFlight
    ? { kind: 'half-open', trialInFlight: false }
    : state;
}

/** The state after a successful connection. */
export function onSuccess(_state: CircuitState): CircuitState {
  return CLOSED;
}

/** The state after a failed connection (connect error, timeout or 5xx). */
export function onFailure(state: CircuitState, now: number, options: CircuitOptions): CircuitState {
  switch (state.kind) {
    case 'closed': {
      const failures = state.failures + 1;
      if (failures >= options.failureThreshold) return { kind: 'open', until: now + options.cooldownMs };
      return { kind: 'closed', failures };
    }
    case 'half-open':
    case 'open':
      return { kind: 'open', until: now + options.cooldownMs };
  }
}

/**
 * The state after another node of the deployment opened its circuit for the upstream: a closed
 * circuit opens for a cool-down, so this node stops sending sessions to a server the others
 * found failing; an open or half-open one is already judging the upstream itself, and stays.
 */
export function onPeerOpened(state: CircuitState, now: number, options: CircuitOptions): CircuitState {
  return state.kind === 'closed' ? { kind: 'open', until: now + options.cooldownMs } : state;
}
