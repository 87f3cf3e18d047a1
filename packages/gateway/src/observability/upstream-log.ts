/**
 * Log lines for what happens between the gateway and its upstreams: a failed connection
 * attempt, a failover to the next upstream, a circuit opening or closing. Without them an
 * operator sees clients refused with 503 and nothing saying why.
 */
import type { CircuitChangeListener } from '../routing/router.js';
import type { SessionLog } from '../session/observer.js';
import type { AttemptListener } from '../upstream/dial.js';

/**
 * An attempt listener that logs failures (warn) and successes that needed a failover (warn).
 *
 * @example
 * createGateway({ config, onUpstreamAttempt: logUpstreamAttempts(log) });
 */
export function logUpstreamAttempts(log: SessionLog): AttemptListener {
  return (upstream, result, attempt) => {
    if (result.ok) {
      if (attempt > 1) log.warn({ upstream: upstream.name, attempt }, 'failed over to upstream');
      return;
    }
    const failure = result.failure;
    log.warn(
      {
        upstream: upstream.name,
        attempt,
        kind: failure.kind,
        ...(failure.kind === 'status' ? { status: failure.status } : { err: failure.message }),
      },
      'upstream connect failed',
    );
  };
}

/**
 * A circuit listener that logs every change: `open` (the upstream is taken out of rotation) and
 * `half-open` at warn, `closed` again at info.
 *
 * @example
 * new Router(config, Date.now, logCircuitChanges(log));
 */
export function logCircuitChanges(log: SessionLog): CircuitChangeListener {
  return (upstream, from, to, cause) => {
    const fields = { upstream, from, to, ...(cause === 'peer' ? { cause: 'another node opened it' } : {}) };
    if (to === 'closed') log.info(fields, 'upstream circuit closed');
    else log.warn(fields, `upstream circuit ${to}`);
  };
}

/** Both listeners of a kind, called in order. */
export function both<A extends unknown[]>(
  first: ((...args: A) => void) | undefined,
  second: (...args: A) => void,
): (...args: A) => void {
  if (first === undefined) return second;
  return (...args) => {
    first(...args);
    second(...args);
  };
}
