/**
 * Circuits stay each node's own (each judges the upstream by its own attempts), but a node that
 * opens one tells the others, which open theirs for a cool-down instead of each paying
 * `routing.failureThreshold` failed sessions to find out (see `Router.learnOpened`).
 */
import type { CircuitChangeListener, Router } from '../routing/router.js';
import type { Bus } from '../store/bus.js';

const CHANNEL = 'circuits';

interface CircuitOpened {
  /** The holder name of the node that opened it: a node does not learn from itself. */
  readonly from: string;
  readonly upstream: string;
  /** Which server the name meant there; a node that knows the name as another server ignores it. */
  readonly baseUrl: string;
}

/** Options for {@link SharedCircuits}. */
export interface SharedCircuitsOptions {
  readonly bus: Bus;
  /** This process's holder name. */
  readonly self: string;
  /** The router of the current configuration. */
  readonly router: () => Router;
  /** Told when a message cannot be read or sent. */
  readonly onError: (error: unknown) => void;
}

/**
 * @example
 * const circuits = new SharedCircuits({ bus, self: holder.id, router: () => current.router, onError });
 * new Router(config, { onCircuitChange: circuits.onCircuitChange });
 * await circuits.start();
 */
export class SharedCircuits {
  constructor(private readonly options: SharedCircuitsOptions) {}

  /** Tells the other nodes of a circuit this node's own attempts opened. */
  readonly onCircuitChange: CircuitChangeListener = (upstream, _from, to, cause) => {
    // What this node learned from a peer is not told back.
    if (to !== 'open' || cause !== 'here') return;
    const { bus, self, router, onError } = this.options;
    const baseUrl = router().upstream(upstream)?.baseUrl;
    if (baseUrl === undefined) return;
    const message: CircuitOpened = { from: self, upstream, baseUrl };
    bus.publish(CHANNEL, JSON.stringify(message)).catch(onError);
  };

  /** Subscribes to the circuits the other nodes open. */
  async start(): Promise<void> {
    const { bus, self, router, onError } = this.options;
    await bus.subscribe(CHANNEL, (text) => {
      let message: CircuitOpened;
      try {
        message = JSON.parse(text) as CircuitOpened;
      } catch (error) {
        onError(error);
        return;
      }
      if (
        message?.from === self ||
        typeof message.upstream !== 'string' ||
        typeof message.baseUrl !== 'string'
      )
        return;
      router().learnOpened(message.upstream, message.baseUrl);
    });
  }
}
