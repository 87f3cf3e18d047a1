/** What the console API sends, as the pages read it. */

export interface UpstreamConnection {
  readonly upstream: string;
  readonly upstreamSessionId: string | null;
  readonly connectedAt: string;
  readonly endedAt: string | null;
  readonly ended: string | null;
}

export interface SessionRow {
  readonly id: string;
  readonly model: string;
  readonly upstreamModel: string;
  readonly upstream: string;
  readonly keyId: string | null;
  readonly intent: string;
  readonly startedAt: string;
  readonly state: string;
  readonly transport: string | null;
  readonly upstreamSessionId: string | null;
  readonly upstreams: readonly UpstreamConnection[];
  readonly clientFrames: number;
  readonly clientBytes: number;
  readonly upstreamFrames: number;
  readonly upstreamBytes: number;
  readonly tokens: number | null;
  readonly costUsd: number | null;
  /** The node holding it, in a deployment with a shared store. */
  readonly node?: string;
}

export interface ConsoleEvent {
  readonly seq: number;
  readonly at: string;
  readonly side: 'client' | 'upstream';
  readonly type: string | null;
  readonly bytes: number;
  readonly frames: number;
  readonly payload: string | null;
}

export interface UsageRow {
  readonly day?: string;
  readonly key?: string | null;
  readonly model?: string;
  readonly total_tokens: number;
  readonly cost_usd: number;
  readonly sessions: number;
}

export interface KeyBudget {
  readonly key: string;
  readonly budget: {
    readonly usd: number | null;
    readonly tokens: number | null;
    readonly period: 'day' | 'month' | 'total';
  };
}

/** One node's own view of an upstream. */
export interface NodeUpstreamView {
  readonly name: string;
  readonly active: number;
  readonly circuit: 'closed' | 'open' | 'half-open';
  readonly healthy: boolean;
  readonly attempts: number;
  readonly failures: number;
  readonly lastLatencyMs: number | null;
  readonly averageLatencyMs: number | null;
}

/** An upstream: this node's view, and the deployment's. */
export interface UpstreamRow extends NodeUpstreamView {
  /** The deployment's sessions on it, per node. */
  readonly sessionsByNode: Readonly<Record<string, number>>;
  /** Each node's own view, with a shared store; null without one. */
  readonly nodes: readonly (NodeUpstreamView & { readonly node: string })[] | null;
}
