/**
 * The `mcp` section of the gateway configuration: the operator's MCP servers, how clients see
 * the gateway's tool calls, and which server URLs client-declared MCP tools may reach.
 */
import {
  array,
  enumOf,
  type Infer,
  integer,
  object,
  optional,
  record,
  string,
} from '@realtime-gateway/protocol/schema';
import { destinationRefusal } from './address-policy.js';
import type { McpServerSpec, McpTransportSpec } from './connection.js';
import { parseUrlPattern, type UrlPattern } from './url-policy.js';

const positive = () => integer({ min: 1 });

/** One operator MCP server. */
export const McpServerConfigSchema = object({
  /** A unique name; tools are offered to the model as `<name>__<tool>`. */
  name: string(),
  transport: enumOf(['stdio', 'http', 'sse']),
  /** stdio: the program to run, its arguments, extra environment and working directory. */
  command: optional(string()),
  args: optional(array(string())),
  env: optional(record(string())),
  cwd: optional(string()),
  /** http / sse: the server's URL. */
  url: optional(string()),
  /** http / sse: request headers, each taken from the named environment variable. */
  headersFromEnv: optional(record(string())),
  /** Tools offered from this server; all when absent. */
  allowedTools: optional(array(string())),
  /** Longest a tool call may take before the model gets an error output. */
  callTimeoutMs: optional(positive()),
  connectTimeoutMs: optional(positive()),
  /** Models (as clients name them; exact or `prefix*`) whose sessions get this server; all when absent. */
  models: optional(array(string())),
  /** Gateway key ids whose sessions get this server; all when absent. */
  keys: optional(array(string())),
});

export const McpConfigSchema = object({
  servers: optional(array(McpServerConfigSchema)),
  /**
   * How clients see the gateway's tool calls: `mcp` as `mcp_call` items with the GA MCP events,
   * `hidden` not at all.
   */
  callEvents: optional(enumOf(['mcp', 'hidden'])),
  /**
   * URL patterns client-declared `type: "mcp"` tools may reach on upstreams that emulate them
   * (`https://*.example.com/mcp/*`; see `url-policy.ts` for what each part means). Empty:
   * client-declared MCP tools are refused.
   */
  allowedServerUrls: optional(array(string())),
  /** How long a call waits for the client's approval before it is rejected. */
  approvalTimeoutMs: optional(positive()),
  /** Call and connect timeouts for client-declared servers. */
  clientCallTimeoutMs: optional(positive()),
  clientConnectTimeoutMs: optional(positive()),
});

export type McpConfigInput = Infer<typeof McpConfigSchema>;

/** An operator server with the sessions it applies to. */
export interface McpServerConfig {
  readonly spec: McpServerSpec;
  readonly models: readonly string[] | null;
  readonly keys: readonly string[] | null;
}

export interface McpConfig {
  readonly servers: readonly McpServerConfig[];
  readonly callEvents: 'mcp' | 'hidden';
  /** The patterns of `allowedServerUrls`, parsed and checked when the configuration is loaded. */
  readonly allowedServerUrls: readonly UrlPattern[];
  readonly clientCallTimeoutMs: number;
  readonly clientConnectTimeoutMs: number;
  readonly approvalTimeoutMs: number;
}

export const DEFAULT_MCP = Object.freeze({
  callTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  callEvents: 'mcp' as const,
  approvalTimeoutMs: 5 * 60_000,
});

export const NO_MCP: McpConfig = Object.freeze({
  servers: [],
  callEvents: DEFAULT_MCP.callEvents,
  allowedServerUrls: [],
  clientCallTimeoutMs: DEFAULT_MCP.callTimeoutMs,
  clientConnectTimeoutMs: DEFAULT_MCP.connectTimeoutMs,
  approvalTimeoutMs: DEFAULT_MCP.approvalTimeoutMs,
});

interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * Completes the `mcp` section, reading header secrets from the environment; problems are
 * pushed onto `errors` with the field they concern.
 *
 * @example
 * const mcp = resolveMcpConfig(raw.mcp, process.env, errors);
 */
export function resolveMcpConfig(
  input: McpConfigInput | undefined,
  env: Readonly<Record<string, string | undefined>>,
  errors: FieldError[],
): McpConfig {
  if (input === undefined) return NO_MCP;
  const names = new Set<string>();
  const servers = (input.servers ?? []).map((server, i): McpServerConfig => {
    const at = (field: string) => `mcp.servers[${i}].${field}`;
    if (names.has(server.name))
      errors.push({ field: at('name'), message: `Duplicate MCP server name '${server.name}'.` });
    names.add(server.name);
    if (!/^[a-zA-Z0-9_-]+$/.test(server.name)) {
      errors.push({
        field: at('name'),
        message: 'Use letters, digits, _ and - only: it prefixes function names.',
      });
    }
    let transport: McpTransportSpec;
    if (server.transport === 'stdio') {
      if (server.command === undefined)
        errors.push({ field: at('command'), message: 'A stdio server needs a command.' });
      transport = {
        kind: 'stdio',
        command: server.command ?? '',
        args: server.args ?? [],
        // The child gets PATH and HOME so that commands such as `npx` resolve, plus what is configured.
        env: { ...pick(env, ['PATH', 'HOME']), ...(server.env ?? {}) },
        ...(server.cwd == null ? {} : { cwd: server.cwd }),
      };
    } else {
      if (server.url == null || !/^https?:\/\//.test(server.url)) {
        errors.push({ field: at('url'), message: `An ${server.transport} server needs an http(s) URL.` });
      }
      const headers: Record<string, string> = {};
      for (const [header, variable] of Object.entries(server.headersFromEnv ?? {})) {
        const value = env[variable];
        if (value === undefined || value === '') {
          errors.push({
            field: at(`headersFromEnv.${header}`),
            message: `Environment variable ${variable} is not set.`,
          });
        } else headers[header] = value;
      }
      transport = { kind: server.transport, url: server.url ?? '', headers };
    }
    return {
      spec: {
        label: server.name,
        transport,
        allowedTools: server.allowedTools ?? null,
        callTimeoutMs: server.callTimeoutMs ?? DEFAULT_MCP.callTimeoutMs,
        connectTimeoutMs: server.connectTimeoutMs ?? DEFAULT_MCP.connectTimeoutMs,
      },
      models: server.models ?? null,
      keys: server.keys ?? null,
    };
  });
  return {
    servers,
    callEvents: input.callEvents ?? DEFAULT_MCP.callEvents,
    allowedServerUrls: allowedPatterns(input.allowedServerUrls ?? [], errors),
    clientCallTimeoutMs: input.clientCallTimeoutMs ?? DEFAULT_MCP.callTimeoutMs,
    clientConnectTimeoutMs: input.clientConnectTimeoutMs ?? DEFAULT_MCP.connectTimeoutMs,
    approvalTimeoutMs: input.approvalTimeoutMs ?? DEFAULT_MCP.approvalTimeoutMs,
  };
}

function allowedPatterns(sources: readonly string[], errors: FieldError[]): UrlPattern[] {
  return sources.flatMap((source, i) => {
    const parsed = parseUrlPattern(source);
    if (parsed.ok) return [parsed.pattern];
    errors.push({ field: `mcp.allowedServerUrls[${i}]`, message: parsed.message });
    return [];
  });
}

function pick(
  env: Readonly<Record<string, string | undefined>>,
  keys: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Whether a client-declared server's URL may be reached, judged before any connection: it
 * matches one of the patterns (see `url-policy.ts`), and an IP address in it passes the
 * address policy. Host names are judged again, by their addresses, when they are resolved.
 *
 * @example
 * urlAllowed('https://mcp.example.com/sse', ['https://*.example.com/*']); // true
 * urlAllowed('https://127.0.0.1/.example.com/', ['https://*.example.com/*']); // false
 */
export function urlAllowed(url: string, patterns: readonly string[]): boolean {
  // Patterns that do not parse allow nothing; configurations report them when loaded.
  return destinationRefusal(url, allowedPatterns(patterns, [])) === null;
}
