/**
 * One MCP server, as the gateway's client of it: connected on first use with the official MCP
 * SDK (stdio, Streamable HTTP or SSE), its tool list cached and refreshed when the server says
 * it changed, tool calls bounded by a timeout, and the connection re-established after it fails.
 *
 * The connection's lifecycle is an explicit state machine:
 *
 *   idle ──use──▶ connecting ──ok──▶ ready ──transport closed──▶ broken
 *                     │                                           │
 *                     └──fails──▶ broken ──use after backoff──▶ connecting
 *   any ──close()──▶ closed
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { NO_LOG, type SessionLog } from '../vocabulary/session.js';
import type { GuardedFetch } from './guarded-fetch.js';
import type { UrlPattern } from './url-policy.js';

/** What the gateway uses of the MCP SDK. */
interface Sdk {
  readonly Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
  readonly SSEClientTransport: typeof import('@modelcontextprotocol/sdk/client/sse.js').SSEClientTransport;
  readonly StdioClientTransport: typeof import('@modelcontextprotocol/sdk/client/stdio.js').StdioClientTransport;
  readonly StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
  readonly ErrorCode: typeof import('@modelcontextprotocol/sdk/types.js').ErrorCode;
  readonly McpError: typeof import('@modelcontextprotocol/sdk/types.js').McpError;
  readonly ToolListChangedNotificationSchema: typeof import('@modelcontextprotocol/sdk/types.js').ToolListChangedNotificationSchema;
  /** The gateway's own, on undici. */
  readonly createGuardedFetch: typeof import('./guarded-fetch.js').createGuardedFetch;
}

/**
 * The MCP SDK (with zod, which it brings) and undici (for the guarded fetch) are loaded at the
 * first connect, so that a gateway without MCP servers never loads them: together they are
 * more than half the heap the gateway would have at start.
 */
let sdk: Sdk | null = null;
let loadingSdk: Promise<Sdk> | null = null;

function loadSdk(): Promise<Sdk> {
  loadingSdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('./guarded-fetch.js'),
  ]).then(([client, sse, stdio, streamable, types, guarded]) => {
    sdk = {
      Client: client.Client,
      SSEClientTransport: sse.SSEClientTransport,
      StdioClientTransport: stdio.StdioClientTransport,
      StreamableHTTPClientTransport: streamable.StreamableHTTPClientTransport,
      ErrorCode: types.ErrorCode,
      McpError: types.McpError,
      ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
      createGuardedFetch: guarded.createGuardedFetch,
    };
    return sdk;
  });
  // A failed load (a broken install) is tried again at the next connect.
  loadingSdk.catch(() => {
    loadingSdk = null;
  });
  return loadingSdk;
}

/** How to reach an MCP server, with secrets already resolved. */
export type McpTransportSpec =
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly cwd?: string;
    }
  | {
      readonly kind: 'http' | 'sse';
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
    };

/** One MCP server. */
export interface McpServerSpec {
  /** The server's label: its configured name, or a client tool's `server_label`. */
  readonly label: string;
  readonly transport: McpTransportSpec;
  /** Tools offered from this server; all when null. */
  readonly allowedTools: readonly string[] | null;
  /** Longest a tool call may take. */
  readonly callTimeoutMs: number;
  /** Longest connecting and listing tools may take. */
  readonly connectTimeoutMs: number;
  /**
   * Client-declared servers only: the allowlist every HTTP request, redirect and resolved
   * address of the http/sse transports is checked against (with the address policy), so that
   * what is dialled is what was allowed. Operator servers have none: their URLs are trusted.
   */
  readonly allowlist?: readonly UrlPattern[];
}

/** A tool as the server describes it. */
export interface McpTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

/** The GA protocol's kinds of MCP failure, as reported in an `mcp_call` item's `error`. */
export type McpErrorType = 'protocol_error' | 'tool_execution_error' | 'http_error';

export interface McpFailure {
  readonly type: McpErrorType;
  readonly message: string;
  /** JSON-RPC error code (protocol errors) or HTTP status (HTTP errors). */
  readonly code?: number;
  /** The request ran out of time (a protocol error, reported apart in metrics). */
  readonly timedOut?: true;
}

/** What a tool call came to: its output as text, or a typed failure. */
export type ToolCallOutcome =
  | { readonly ok: true; readonly output: string }
  | { readonly ok: false; readonly error: McpFailure };

/** What listing tools came to. */
export type ToolListOutcome =
  | { readonly ok: true; readonly tools: readonly McpTool[] }
  | { readonly ok: false; readonly error: McpFailure };

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'broken' | 'closed';

/** How long a broken connection waits before the next attempt: doubling from 250 ms to 30 s. */
export function backoffMs(failures: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, failures - 1));
}

/** Renders a tool result's content as the text the model gets as the function output. */
export function resultText(result: { content?: unknown; structuredContent?: unknown }): string {
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    return JSON.stringify(result.structuredContent);
  }
  const parts = Array.isArray(result.content) ? (result.content as { type?: string; text?: string }[]) : [];
  return parts
    .map((part) => {
      if (part.type === 'text') return part.text ?? '';
      if (part.type === 'resource' || part.type === 'resource_link') return JSON.stringify(part);
      // Images and audio are not text a function output can carry; the model learns they exist.
      return `[${part.type ?? 'unknown'} content]`;
    })
    .join('\n');
}

/** Classifies anything the SDK threw into the protocol's failure kinds. */
export function failureFrom(error: unknown, timeoutMs?: number): McpFailure {
  // Before the SDK is loaded nothing can have thrown one of its errors.
  if (sdk !== null && error instanceof sdk.McpError) {
    if (error.code === sdk.ErrorCode.RequestTimeout) {
      return {
        type: 'protocol_error',
        code: error.code,
        message: `MCP request timed out after ${timeoutMs ?? '?'} ms`,
      };
    }
    return { type: 'protocol_error', code: error.code, message: error.message };
  }
  const status = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof status === 'number' && status >= 100 && status < 600)
    return { type: 'http_error', code: status, message };
  return { type: 'protocol_error', message };
}

/** Without a `fetch`, the SDK uses the global one. */
function transportFor(
  { StdioClientTransport, StreamableHTTPClientTransport, SSEClientTransport }: Sdk,
  spec: McpTransportSpec,
  fetch: FetchLike | undefined,
): Transport {
  switch (spec.kind) {
    case 'stdio':
      return new StdioClientTransport({
        command: spec.command,
        args: [...spec.args],
        env: { ...spec.env },
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        stderr: 'ignore',
      });
    case 'http':
      return new StreamableHTTPClientTransport(new URL(spec.url), {
        requestInit: { headers: { ...spec.headers } },
        ...(fetch === undefined ? {} : { fetch }),
      });
    case 'sse':
      return new SSEClientTransport(new URL(spec.url), {
        requestInit: { headers: { ...spec.headers } },
        ...(fetch === undefined ? {} : { fetch }),
      });
  }
}

const CLIENT_INFO = { name: 'realtime-gateway', version: '0.1.0' };

/**
 * A shared connection to one MCP server.
 *
 * @example
 * const crm = new McpConnection(spec);
 * const listed = await crm.listTools();
 * const outcome = await crm.callTool('lookup', { id: 7 }, abortSignal);
 * await crm.close();
 */
export class McpConnection {
  private stateValue: ConnectionState = 'idle';
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private cachedTools: readonly McpTool[] | null = null;
  private failures = 0;
  private retryAt = 0;
  private lastFailure: McpFailure | null = null;
  private readonly toolListeners = new Set<(tools: readonly McpTool[]) => void>();
  /** Made on first connect for a spec with an allowlist; its sockets live as long as this. */
  private guarded: GuardedFetch | null = null;

  constructor(
    readonly spec: McpServerSpec,
    private readonly log: SessionLog = NO_LOG,
  ) {}

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The server's tools (those allowed), from the cache once listed. */
  async listTools(): Promise<ToolListOutcome> {
    if (this.cachedTools !== null && this.stateValue === 'ready')
      return { ok: true, tools: this.cachedTools };
    const client = await this.ensureClient();
    if (!client.ok) return client;
    if (this.cachedTools !== null) return { ok: true, tools: this.cachedTools };
    return this.refreshTools(client.client);
  }

  /** Subscribes to tool list changes; returns the unsubscribe function. */
  onToolsChanged(listener: (tools: readonly McpTool[]) => void): () => void {
    this.toolListeners.add(listener);
    return () => this.toolListeners.delete(listener);
  }

  /** Calls a tool; never throws. A disallowed tool is refused without asking the server. */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<ToolCallOutcome> {
    if (this.spec.allowedTools !== null && !this.spec.allowedTools.includes(name)) {
      return {
        ok: false,
        error: { type: 'protocol_error', message: `Tool '${name}' is not allowed on '${this.spec.label}'.` },
      };
    }
    const client = await this.ensureClient();
    if (!client.ok) return client;
    const timeout = this.spec.callTimeoutMs;
    try {
      const result = await client.client.callTool({ name, arguments: args }, undefined, {
        timeout,
        ...(signal === undefined ? {} : { signal }),
      });
      const output = resultText(result as { content?: unknown; structuredContent?: unknown });
      if (result.isError === true)
        return { ok: false, error: { type: 'tool_execution_error', message: output } };
      return { ok: true, output };
    } catch (error) {
      if (signal?.aborted)
        return { ok: false, error: { type: 'protocol_error', message: 'The call was cancelled.' } };
      return { ok: false, error: failureFrom(error, timeout) };
    }
  }

  /** Closes the connection for good. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.toolListeners.clear();
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => {});
    await this.guarded?.close().catch(() => {});
  }

  private async ensureClient(): Promise<{ ok: true; client: Client } | { ok: false; error: McpFailure }> {
    switch (this.stateValue) {
      case 'closed':
        return {
          ok: false,
          error: { type: 'protocol_error', message: `MCP server '${this.spec.label}' is closed.` },
        };
      case 'ready':
        return { ok: true, client: this.client! };
      case 'broken':
        if (Date.now() < this.retryAt) {
          const reason = this.lastFailure?.message ?? 'unavailable';
          return {
            ok: false,
            error: {
              ...(this.lastFailure ?? { type: 'protocol_error' }),
              message: `MCP server '${this.spec.label}' is unavailable: ${reason}`,
            },
          };
        }
        break;
      default:
        break;
    }
    this.connecting ??= this.connect();
    try {
      return { ok: true, client: await this.connecting };
    } catch (error) {
      return { ok: false, error: failureFrom(error, this.spec.connectTimeoutMs) };
    } finally {
      this.connecting = null;
    }
  }

  private async connect(): Promise<Client> {
    this.stateValue = 'connecting';
    let loaded: Sdk;
    try {
      loaded = await loadSdk();
    } catch (error) {
      if (!this.isClosed()) this.markBroken(failureFrom(error));
      throw error;
    }
    const { Client, ErrorCode, McpError, ToolListChangedNotificationSchema } = loaded;
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      void this.refreshTools(client, true);
    });
    client.onclose = () => {
      if (this.client !== client || this.stateValue === 'closed') return;
      this.log.warn({ mcpServer: this.spec.label }, 'MCP server connection closed');
      this.client = null;
      this.cachedTools = null;
      this.markBroken({ type: 'protocol_error', message: 'the connection closed' });
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new McpError(ErrorCode.RequestTimeout, 'connect timed out')),
          this.spec.connectTimeoutMs,
        );
      });
      await Promise.race([
        client.connect(transportFor(loaded, this.spec.transport, this.fetch(loaded)), {
          timeout: this.spec.connectTimeoutMs,
        }),
        timeout,
      ]);
    } catch (error) {
      await client.close().catch(() => {});
      const failure = failureFrom(error, this.spec.connectTimeoutMs);
      this.log.warn({ mcpServer: this.spec.label, error: failure.message }, 'MCP server connect failed');
      if (!this.isClosed()) this.markBroken(failure);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.isClosed()) {
      await client.close().catch(() => {});
      throw new McpError(ErrorCode.ConnectionClosed, 'closed while connecting');
    }
    this.client = client;
    this.stateValue = 'ready';
    this.failures = 0;
    return client;
  }

  private fetch({ createGuardedFetch }: Sdk): FetchLike | undefined {
    if (this.spec.allowlist === undefined) return undefined;
    this.guarded ??= createGuardedFetch(this.spec.allowlist);
    return this.guarded.fetch;
  }

  /** Read through a method: `close()` may run while `connect()` awaits. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private markBroken(failure: McpFailure): void {
    this.stateValue = 'broken';
    this.failures++;
    this.lastFailure = failure;
    this.retryAt = Date.now() + backoffMs(this.failures);
  }

  private async refreshTools(client: Client, notify = false): Promise<ToolListOutcome> {
    try {
      const tools: McpTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: this.spec.connectTimeoutMs,
        });
        for (const tool of page.tools) {
          if (this.spec.allowedTools !== null && !this.spec.allowedTools.includes(tool.name)) continue;
          tools.push({
            name: tool.name,
            ...(tool.description === undefined ? {} : { description: tool.description }),
            inputSchema: tool.inputSchema as Record<string, unknown>,
            ...(tool.annotations === undefined
              ? {}
              : { annotations: tool.annotations as Record<string, unknown> }),
          });
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      this.cachedTools = tools;
      if (notify) for (const listener of this.toolListeners) listener(tools);
      return { ok: true, tools };
    } catch (error) {
      return { ok: false, error: failureFrom(error, this.spec.connectTimeoutMs) };
    }
  }
}
