/**
 * Client-declared `type: "mcp"` tools on an upstream that cannot run them: the gateway opens
 * the declared servers the operator allows (through the shared pool), shows the client the
 * `mcp_list_tools` item as OpenAI's hosted tools do, and offers the listed tools upstream.
 * Declarations that change or disappear close their servers; those refused get an `error`.
 */
import {
  type ConversationItem,
  type McpTool as McpToolDeclaration,
  newEventId,
  newItemId,
  type Tool,
} from '@realtime-gateway/protocol';
import type { MiddlewareContext } from '../session/middleware.js';
import type { SessionLog } from '../vocabulary/session.js';
import { destinationRefusal } from './address-policy.js';
import { conversationItem, requestError } from './call-events.js';
import type { McpConfig } from './config.js';
import type { McpTransportSpec } from './connection.js';
import type { McpPool } from './pool.js';
import type { SessionTools, ToolSource } from './session-tools.js';
import { declaredHeaders, listedTool } from './tool-policy.js';

/** Where the client's `mcp_list_tools` items and errors go. */
type ClientSide = Pick<MiddlewareContext, 'sendClient'>;

export interface DeclaredServersOptions {
  readonly config: McpConfig;
  readonly pool: McpPool;
  readonly log: SessionLog;
  readonly sessionId: string;
  /** Called when a declared server's tools have been listed (the upstream's tools changed). */
  readonly onListed: () => void;
}

/**
 * @example
 * const declared = new DeclaredServers(tools, { config, pool, log, sessionId, onListed: sync });
 * declared.reconcile(session.tools, event.event_id ?? null, ctx);
 */
export class DeclaredServers {
  private closed = false;

  constructor(
    private readonly tools: SessionTools,
    private readonly options: DeclaredServersOptions,
  ) {}

  /** Stops reacting to listings still under way (the session ended). */
  close(): void {
    this.closed = true;
  }

  /** Opens client-declared MCP servers that are new, and drops those no longer declared. */
  reconcile(declared: readonly Tool[], eventId: string | null, ctx: ClientSide): void {
    const wanted = new Map<string, { declaration: McpToolDeclaration; index: number }>();
    declared.forEach((tool, index) => {
      if (tool.type === 'mcp') wanted.set(tool.server_label, { declaration: tool, index });
    });
    for (const source of this.tools.clientSources()) {
      const next = wanted.get(source.label);
      if (next === undefined || JSON.stringify(next.declaration) !== JSON.stringify(source.declaration)) {
        this.tools.removeSource(source.label);
      }
    }
    for (const [label, { declaration, index }] of wanted) {
      if (this.tools.source(label)?.origin === 'client') continue;
      const refusal = this.refuse(declaration);
      if (refusal !== null) {
        ctx.sendClient(
          requestError(refusal.code, refusal.message, `session.tools[${index}].server_url`, eventId),
        );
        continue;
      }
      this.open(declaration, ctx);
    }
  }

  private refuse(declaration: McpToolDeclaration): { code: string; message: string } | null {
    // A client server may not take an operator server's place (or its tools' names).
    if (this.tools.source(declaration.server_label)?.origin === 'operator') {
      return {
        code: 'mcp_server_label_conflict',
        message: `The server_label '${declaration.server_label}' is taken by a server of the gateway; choose another.`,
      };
    }
    if (declaration.server_url === undefined || declaration.server_url === null) {
      return {
        code: 'mcp_server_unsupported',
        message: `MCP tool '${declaration.server_label}' has no server_url; connectors and tunnels are only available on OpenAI.`,
      };
    }
    if (destinationRefusal(declaration.server_url, this.options.config.allowedServerUrls) !== null) {
      return {
        code: 'mcp_server_not_allowed',
        message: `The gateway does not allow connecting to the MCP server at '${declaration.server_url}'.`,
      };
    }
    return null;
  }

  private open(declaration: McpToolDeclaration, ctx: ClientSide): void {
    const url = declaration.server_url as string;
    const transport: McpTransportSpec = {
      kind: new URL(url).pathname.endsWith('/sse') ? 'sse' : 'http',
      url,
      headers: declaredHeaders(declaration),
    };
    const lease = this.options.pool.acquire({
      label: declaration.server_label,
      transport,
      allowedTools: null,
      callTimeoutMs: this.options.config.clientCallTimeoutMs,
      connectTimeoutMs: this.options.config.clientConnectTimeoutMs,
      allowlist: this.options.config.allowedServerUrls,
    });
    const source: ToolSource = {
      label: declaration.server_label,
      origin: 'client',
      connection: lease.connection,
      declaration,
      tools: [],
      release: lease.release,
    };
    this.tools.addSource(source);
    const item: ConversationItem = {
      type: 'mcp_list_tools',
      id: newItemId(),
      server_label: declaration.server_label,
      tools: [],
    };
    const itemId = item.id as string;
    ctx.sendClient(conversationItem('conversation.item.added', item));
    ctx.sendClient({ type: 'mcp_list_tools.in_progress', event_id: newEventId(), item_id: itemId });
    void lease.connection.listTools().then((listed) => {
      if (this.closed || this.tools.source(declaration.server_label) !== source) return;
      if (!listed.ok) {
        this.options.log.warn(
          {
            sessionId: this.options.sessionId,
            mcpServer: declaration.server_label,
            error: listed.error.message,
          },
          'client MCP server unavailable',
        );
        ctx.sendClient({ type: 'mcp_list_tools.failed', event_id: newEventId(), item_id: itemId });
        ctx.sendClient(conversationItem('conversation.item.done', item));
        return;
      }
      this.tools.setSourceTools(declaration.server_label, listed.tools);
      const done: ConversationItem = { ...item, tools: source.tools.map(listedTool) };
      ctx.sendClient({ type: 'mcp_list_tools.completed', event_id: newEventId(), item_id: itemId });
      ctx.sendClient(conversationItem('conversation.item.done', done));
      this.options.onListed();
    });
  }
}
