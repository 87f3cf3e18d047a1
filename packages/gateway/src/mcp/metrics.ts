/**
 * Prometheus metrics of the gateway's MCP tool calls: how many, by server, tool and outcome, and
 * how long they took.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallOutcome, McpObserver } from './observer.js';

/**
 * @example
 * const metrics = new McpMetrics(registry);
 * createMcpMiddleware({ config, upstreams, pool, observer: metrics });
 */
export class McpMetrics implements McpObserver {
  private readonly calls: Counter<'server' | 'tool' | 'outcome'>;
  private readonly latency: Histogram<'server' | 'tool'>;

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'realtime_gateway_mcp_tool_calls_total',
      help: 'MCP tool calls run by the gateway, by server, tool and outcome.',
      labelNames: ['server', 'tool', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'realtime_gateway_mcp_tool_call_seconds',
      help: 'Time from starting an MCP tool call to its result.',
      labelNames: ['server', 'tool'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  toolCall(server: string, tool: string, outcome: CallOutcome, seconds: number): void {
    this.calls.inc({ server, tool, outcome });
    // Calls that never ran (rejected, cancelled before starting) have no latency to report.
    if (seconds > 0) this.latency.observe({ server, tool }, seconds);
  }
}
