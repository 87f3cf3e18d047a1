/**
 * Which tools the upstream is told about. The upstream sees the client's own tools plus the
 * gateway's MCP tools as function tools (and, on an upstream that cannot run MCP tools, not the
 * client's `type: "mcp"` declarations, whose servers the gateway opens instead). Whenever the
 * gateway's tools change it sends the upstream a `session.update` of its own, and hides the
 * upstream's `session.updated` answer from the client, who did not ask for it; the client sees
 * sessions with its own tools, as it declared them.
 */
import {
  type ClientEvent,
  newEventId,
  type ServerEventMap,
  type Session,
  type Tool,
} from '@realtime-gateway/protocol';
import { DROP, FORWARD, type MiddlewareContext, type Verdict } from '../session/middleware.js';
import { requestError } from './call-events.js';
import type { McpConfig } from './config.js';
import { backoffMs } from './connection.js';
import { DeclaredServers } from './declared-servers.js';
import type { McpPool } from './pool.js';
import { type RecentSet, TRACKED_IDS } from './recent-set.js';
import { type ResolvedTool, SessionTools, type ToolSource, withoutMcp } from './session-tools.js';
import { functionNameFor } from './tool-names.js';

type SessionUpdate = Extract<ClientEvent, { type: 'session.update' }>;
type ResponseCreate = Extract<ClientEvent, { type: 'response.create' }>;
type SessionEvent = ServerEventMap['session.created' | 'session.updated'];

/**
 * The session, and what decides its tools.
 *
 * @example
 * const options: ToolSyncOptions = { ctx, config, pool, operatorSources: [], emulate: true, ownEvents };
 */
export interface ToolSyncOptions {
  readonly ctx: MiddlewareContext;
  readonly config: McpConfig;
  readonly pool: McpPool;
  /** The operator's servers that apply to the session. */
  readonly operatorSources: readonly ToolSource[];
  /** The upstream cannot run MCP tools: the gateway runs the client's declared ones. */
  readonly emulate: boolean;
  /** Ids of the events the gateway sends upstream, so that their errors are not the client's. */
  readonly ownEvents: RecentSet<string>;
}

/**
 * @example
 * const sync = new ToolSync({ ctx, config, pool, operatorSources, emulate: false, ownEvents });
 * sync.open();
 * return sync.onClientUpdate(event); // the client's session.update, with the gateway's tools
 */
export class ToolSync {
  private readonly tools = new SessionTools();
  private readonly declaredServers: DeclaredServers;
  private upstreamReady = false;
  /**
   * The ids of the gateway's own `session.update`s the upstream has yet to answer, oldest
   * first: a `session.updated` answers the oldest, an `error` naming one means none will.
   * Made at the first.
   */
  private pendingUpdates: Set<string> | null = null;
  private closed = false;

  constructor(private readonly options: ToolSyncOptions) {
    this.declaredServers = new DeclaredServers(this.tools, {
      config: options.config,
      pool: options.pool,
      log: options.ctx.log,
      sessionId: options.ctx.info.sessionId,
      onListed: () => this.sync(),
    });
  }

  /** Starts listing the operator servers' tools, and following their changes. */
  open(): void {
    const sources = this.options.operatorSources;
    // Read only when needed: a session's signal is made on first use.
    const signal = sources.length === 0 ? null : this.options.ctx.signal;
    for (const source of sources) {
      this.tools.addSource(source);
      const off = source.connection.onToolsChanged((listed) => {
        this.tools.setSourceTools(source.label, listed);
        this.sync();
      });
      signal!.addEventListener('abort', off, { once: true });
      this.listOperatorTools(source, 1);
    }
  }

  close(): void {
    this.closed = true;
    this.declaredServers.close();
    this.tools.clear();
  }

  /** The gateway tool behind a function the model called, or null for one of the client's. */
  resolve(functionName: string): ResolvedTool | null {
    return this.tools.resolve(functionName);
  }

  /** The client's `session.update`: its tools are recorded, and the upstream gets the gateway's with them. */
  onClientUpdate(event: SessionUpdate): Verdict<ClientEvent> {
    const session = event.session;
    if (session.type !== 'realtime') return FORWARD;
    const emulate = this.options.emulate;
    const hasTools = session.tools !== undefined && session.tools !== null;
    const choice = session.tool_choice;
    // An upstream that cannot run MCP tools cannot be told to choose one either: the choice
    // becomes the gateway's function for that tool (or any tool, for a whole server).
    const mcpChoice = emulate && typeof choice === 'object' && choice !== null && choice.type === 'mcp';
    if (!hasTools && !mcpChoice) return FORWARD;
    const declared = (session.tools ?? this.tools.clientDeclared) as Tool[];
    if (hasTools) {
      this.tools.setClientTools(declared);
      if (emulate) this.declaredServers.reconcile(declared, event.event_id ?? null, this.options.ctx);
    }
    const rewritten = { ...session };
    if (mcpChoice) {
      const { server_label, name } = choice as { server_label: string; name?: string | null };
      rewritten.tool_choice = name
        ? { type: 'function', name: functionNameFor({ server: server_label, tool: name }) }
        : 'required';
    }
    // Nothing to add or take away: the client's frame goes on as it came.
    const toolsChange =
      this.tools.hasGatewayTools() || (emulate && declared.some((tool) => tool.type === 'mcp'));
    if (!toolsChange && !mcpChoice) return FORWARD;
    if (hasTools) rewritten.tools = this.tools.upstreamTools(emulate);
    return { action: 'replace', event: { ...event, session: rewritten } };
  }

  /**
   * A `response.create` that lists its own tools replaces the session's for that response; the
   * gateway's are added to them (and declared MCP tools emulated), as for the session. Null when
   * the response names no tools.
   */
  responseWithTools(event: ResponseCreate): ResponseCreate | null {
    const own = event.response?.tools;
    if (own === undefined || own === null) return null;
    if (this.options.emulate) {
      // The gateway opens declared MCP servers with the session; one named for a single
      // response is left out, and the client is told so rather than left to wonder.
      own.forEach((tool, index) => {
        if (tool.type !== 'mcp') return;
        this.options.ctx.sendClient(
          requestError(
            'mcp_tool_not_supported_here',
            `MCP tool '${tool.server_label}' is left out of this response: on this upstream, declare MCP tools with session.update.`,
            `response.tools[${index}]`,
            event.event_id ?? null,
          ),
        );
      });
    }
    const tools = [...withoutMcp(own as Tool[], this.options.emulate), ...this.tools.gatewayTools()];
    return { ...event, response: { ...event.response, tools } };
  }

  /** The upstream's `session.created`: from now on it can be told about tools. */
  onSessionCreated(event: ServerEventMap['session.created']): Verdict<SessionEvent> {
    this.upstreamReady = true;
    const tools = event.session.type === 'realtime' ? event.session.tools : undefined;
    if (tools !== undefined && tools !== null && this.tools.clientDeclared.length === 0)
      this.tools.setClientTools(tools as Tool[]);
    this.sync(true);
    return this.sessionForClient(event);
  }

  /** The upstream's `session.updated`: hidden when it answers the gateway's own update. */
  onSessionUpdated(event: ServerEventMap['session.updated']): Verdict<SessionEvent> {
    const oldest = this.pendingUpdates?.values().next();
    if (oldest !== undefined && !oldest.done) {
      this.pendingUpdates?.delete(oldest.value);
      return DROP;
    }
    return this.sessionForClient(event);
  }

  /** The upstream refused an event of the gateway's; if it was a `session.update`, nothing will answer it. */
  ownEventRefused(eventId: string): void {
    this.pendingUpdates?.delete(eventId);
  }

  /** Sends the upstream the full tool list: the client's own plus the gateway's. */
  private sync(onlyIfAny = false): void {
    if (!this.upstreamReady || this.closed) return;
    if (onlyIfAny && !this.tools.hasGatewayTools()) return;
    const eventId = newEventId();
    this.options.ownEvents.add(eventId);
    // An upstream that never answers must not grow the set without end.
    if (this.pendingUpdates === null) this.pendingUpdates = new Set();
    if (this.pendingUpdates.size >= TRACKED_IDS)
      this.pendingUpdates.delete(this.pendingUpdates.values().next().value!);
    this.pendingUpdates.add(eventId);
    this.options.ctx.sendUpstream({
      type: 'session.update',
      event_id: eventId,
      session: { type: 'realtime', tools: this.tools.upstreamTools(this.options.emulate) },
    });
  }

  /** The session as the client should see it: its own tools as it declared them. */
  private sessionForClient(event: SessionEvent): Verdict<SessionEvent> {
    const session = event.session;
    if (session.type !== 'realtime' || session.tools === undefined || session.tools === null) return FORWARD;
    const upstreamTools = session.tools as Tool[];
    const own = upstreamTools.filter(
      (tool) => !(tool.type === 'function' && tool.name != null && this.tools.isGatewayFunction(tool.name)),
    );
    const declaredMcp = this.options.emulate
      ? this.tools.clientDeclared.filter((tool) => tool.type === 'mcp')
      : [];
    if (own.length === upstreamTools.length && declaredMcp.length === 0) return FORWARD;
    const shown: Session = { ...session, tools: [...own, ...declaredMcp] };
    return { action: 'replace', event: { ...event, session: shown } };
  }

  /**
   * Lists an operator server's tools for this session; while the server is unavailable (not
   * started yet, or reconnecting after a crash) it tries again with the connection's backoff.
   */
  private listOperatorTools(source: ToolSource, attempt: number): void {
    void source.connection.listTools().then((listed) => {
      if (this.closed) return;
      if (listed.ok) {
        this.tools.setSourceTools(source.label, listed.tools);
        this.sync();
        return;
      }
      this.options.ctx.log.warn(
        {
          sessionId: this.options.ctx.info.sessionId,
          mcpServer: source.label,
          error: listed.error.message,
          attempt,
        },
        'MCP tools unavailable',
      );
      const retry = setTimeout(() => this.listOperatorTools(source, attempt + 1), backoffMs(attempt));
      retry.unref();
      this.options.ctx.signal.addEventListener('abort', () => clearTimeout(retry), { once: true });
    });
  }
}
