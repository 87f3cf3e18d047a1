/**
 * Connect attempts per upstream, for the console's upstream page: how many, how many failed,
 * and the connect latency (the last one and a moving average). Keyed by the configured
 * upstreams' names, so bounded by the configuration.
 */
import type { AttemptListener } from '../upstream/dial.js';

/** One upstream's attempts as the console shows them. */
export interface UpstreamAttempts {
  readonly attempts: number;
  readonly failures: number;
  readonly lastLatencyMs: number | null;
  /** Exponentially weighted over about the last ten successful connects. */
  readonly averageLatencyMs: number | null;
}

const WEIGHT = 0.2;

/**
 * @example
 * const stats = new UpstreamStats();
 * createGateway({ config, onUpstreamAttempt: stats.listener });
 * stats.of('openai'); // { attempts: 3, failures: 0, lastLatencyMs: 41, averageLatencyMs: 44.2 }
 */
export class UpstreamStats {
  private readonly byName = new Map<string, UpstreamAttempts>();

  readonly listener: AttemptListener = (upstream, result) => {
    const previous = this.of(upstream.name);
    const latency = result.ok ? result.latencyMs : null;
    this.byName.set(upstream.name, {
      attempts: previous.attempts + 1,
      failures: previous.failures + (result.ok ? 0 : 1),
      lastLatencyMs: latency ?? previous.lastLatencyMs,
      averageLatencyMs:
        latency === null
          ? previous.averageLatencyMs
          : previous.averageLatencyMs === null
            ? latency
            : previous.averageLatencyMs + WEIGHT * (latency - previous.averageLatencyMs),
    });
  };

  of(name: string): UpstreamAttempts {
    return this.byName.get(name) ?? { attempts: 0, failures: 0, lastLatencyMs: null, averageLatencyMs: null };
  }
}
