/**
 * The MCP session extension: the gateway runs MCP tools inside relayed sessions.
 *
 * The upstream sees the gateway's MCP tools as ordinary function tools. When the model calls
 * one, the gateway runs it, then injects the result upstream (`conversation.item.create` with a
 * `function_call_output`, then one `response.create` for all calls of the response) so the model
 * answers without the client doing anything. The client sees the calls as `mcp_call` items with
 * the GA MCP events, or not at all (`mcp.callEvents`). On upstreams that cannot run MCP tools,
 * the client's own `type: "mcp"` tools are run the same way (emulated), with `mcp_list_tools`
 * items and approval requests as OpenAI's hosted tools produce them.
 *
 * A call's lifecycle: streaming (arguments arriving) → awaiting_approval (client-declared tools
 * that require it) → running → settled. A response's calls are finished together once the
 * upstream's `response.done` has arrived and every call has settled.
 */
import {
  type ClientEvent,
  type ConversationItem,
  type FunctionCallItem,
  type McpApprovalResponseItem,
  newEventId,
  newItemId,
  type ResponseDoneEvent,
  type ServerEvent,
  type Session,
  type Tool,
} from '@realtime-gateway/protocol';
import type { UpstreamConfig } from '../config/resolve.js';
import { specificity } from '../routing/router.js';
import {
  DROP,
  type ExtensionContext,
  type ExtensionVerdict,
  FORWARD,
  type SessionExtension,
  type SessionExtensionFactory,
  type SessionInfo,
} from '../session/extension.js';
import { NO_LOG, type SessionLog } from '../session/observer.js';
import {
  approvalRequestItem,
  argumentsDelta,
  argumentsDone,
  type CallView,
  callProgress,
  conversationItem,
  functionOutput,
  mcpCallItem,
  outputItemAdded,
  outputItemDone,
  requestError,
} from './call-events.js';
import type { McpConfig } from './config.js';
import { backoffMs, type McpFailure } from './connection.js';
import { DeclaredServers } from './declared-servers.js';
import type { McpPool } from './pool.js';
import { RecentSet } from './recent-set.js';
import { SessionTools, type ToolSource, withoutMcp } from './session-tools.js';
import { functionNameFor } from './tool-names.js';

/** What the extension reports for metrics. */
export interface McpObserver {
  toolCall(server: string, tool: string, outcome: CallOutcome, seconds: number): void;
}

export type CallOutcome =
  | 'success'
  | 'tool_error'
  | 'protocol_error'
  | 'http_error'
  | 'timeout'
  | 'cancelled'
  | 'rejected';

const NO_MCP_OBSERVER: McpObserver = { toolCall: () => {} };

/** How many injected event and call ids a session remembers; answers come within a few events. */
const TRACKED_IDS = 1024;

export interface McpExtensionOptions {
  readonly config: McpConfig;
  readonly upstreams: readonly UpstreamConfig[];
  readonly pool: McpPool;
  readonly observer?: McpObserver;
  readonly log?: SessionLog;
}

type CallState = 'streaming' | 'awaiting_approval' | 'running' | 'settled';

interface Call {
  readonly itemId: string;
  readonly callId: string;
  readonly responseId: string;
  readonly outputIndex: number;
  readonly source: ToolSource;
  readonly toolName: string;
  readonly needsApproval: boolean;
  arguments: string;
  state: CallState;
  started: boolean;
  approvalRequestId: string | null;
  /** Rejects the call if the client does not answer its approval request in time. */
  approvalExpiry: NodeJS.Timeout | null;
  output: string | null;
  error: McpFailure | null;
  readonly controller: AbortController;
}

interface ResponseWork {
  readonly responseId: string;
  readonly calls: Call[];
  upstreamDone: ResponseDoneEvent | null;
  cancelled: boolean;
  finished: boolean;
}

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  'session.update',
  'conversation.item.create',
  'response.create',
  'response.cancel',
]);

const SERVER_TYPES: ReadonlySet<string> = new Set([
  'session.created',
  'session.updated',
  'error',
  'response.output_item.added',
  'response.output_item.done',
  'conversation.item.added',
  'conversation.item.created',
  'conversation.item.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.done',
]);

function isFunctionCall(item: ConversationItem): item is FunctionCallItem {
  return item.type === 'function_call';
}

function outcomeOf(error: McpFailure | null, cancelled: boolean): CallOutcome {
  if (cancelled) return 'cancelled';
  if (error === null) return 'success';
  if (error.type === 'tool_execution_error') return 'tool_error';
  if (error.type === 'http_error') return 'http_error';
  return error.timedOut ? 'timeout' : 'protocol_error';
}

/** One session's MCP extension. */
class McpSession implements SessionExtension {
  readonly clientEventTypes = CLIENT_TYPES;
  readonly serverEventTypes = SERVER_TYPES;
  private readonly tools = new SessionTools();
  private readonly declaredServers: DeclaredServers;
  private ctx: ExtensionContext | null = null;
  private upstreamReady = false;
  private ownUpdatesPending = 0;
  /** Ids of events the extension sent upstream, so their errors are not the client's. */
  private readonly ownEventIds = new RecentSet<string>(TRACKED_IDS);
  private readonly calls = new Map<string, Call>();
  private readonly responses = new Map<string, ResponseWork>();
  private readonly approvals = new Map<string, Call>();
  /** Call ids whose outputs the gateway injected: their echoes are not the client's business. */
  private readonly injectedCallIds = new RecentSet<string>(TRACKED_IDS);
  /** A `response.create` the client sent while the gateway's follow-up was pending. */
  private heldCreate: ClientEvent | null = null;
  private closed = false;

  constructor(
    private readonly info: SessionInfo,
    private readonly options: McpExtensionOptions,
    private readonly operatorSources: readonly ToolSource[],
    private readonly emulate: boolean,
  ) {
    this.declaredServers = new DeclaredServers(this.tools, {
      config: options.config,
      pool: options.pool,
      log: this.log,
      sessionId: info.sessionId,
      onListed: () => this.syncUpstreamTools(),
    });
  }

  private get visible(): boolean {
    return this.options.config.callEvents === 'mcp';
  }

  private get log(): SessionLog {
    return this.options.log ?? NO_LOG;
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  onOpen(ctx: ExtensionContext): void {
    this.ctx = ctx;
    for (const source of this.operatorSources) {
      this.tools.addSource(source);
      const off = source.connection.onToolsChanged((listed) => {
        this.tools.setSourceTools(source.label, listed);
        this.syncUpstreamTools();
      });
      ctx.signal.addEventListener('abort', off, { once: true });
      this.listOperatorTools(source, 1);
    }
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
        this.syncUpstreamTools();
        return;
      }
      this.log.warn(
        { sessionId: this.info.sessionId, mcpServer: source.label, error: listed.error.message, attempt },
        'MCP tools unavailable',
      );
      const retry = setTimeout(() => this.listOperatorTools(source, attempt + 1), backoffMs(attempt));
      retry.unref();
      this.ctx?.signal.addEventListener('abort', () => clearTimeout(retry), { once: true });
    });
  }

  onClose(): void {
    this.closed = true;
    this.declaredServers.close();
    for (const call of this.calls.values()) {
      call.controller.abort();
      if (call.approvalExpiry !== null) clearTimeout(call.approvalExpiry);
    }
    this.tools.clear();
  }

  // ------------------------------------------------------------------------------------------
  // Client events

  onClientEvent(event: ClientEvent, ctx: ExtensionContext): ExtensionVerdict<ClientEvent> {
    switch (event.type) {
      case 'session.update':
        return this.onClientSessionUpdate(event, ctx);
      case 'conversation.item.create':
        if (event.item.type === 'mcp_approval_response') {
          this.onApprovalResponse(event.item, event.event_id ?? null, ctx);
          return DROP;
        }
        return FORWARD;
      case 'response.create': {
        const withTools = this.responseWithGatewayTools(event, ctx);
        if (this.followUpPending()) {
          // One response follows the gateway's calls, as one response at a time is all a
          // conversation has: a second request is refused as a server would refuse it.
          if (this.heldCreate !== null) {
            ctx.sendClient(
              requestError(
                'conversation_already_has_active_response',
                'A response is already waiting for tool results; it will answer.',
                null,
                event.event_id ?? null,
              ),
            );
            return DROP;
          }
          this.heldCreate = withTools ?? event;
          return DROP;
        }
        return withTools === null ? FORWARD : { action: 'replace', event: withTools };
      }
      case 'response.cancel':
        return this.onClientCancel();
      default:
        return FORWARD;
    }
  }

  private onClientSessionUpdate(
    event: Extract<ClientEvent, { type: 'session.update' }>,
    ctx: ExtensionContext,
  ): ExtensionVerdict<ClientEvent> {
    const session = event.session;
    if (session.type !== 'realtime') return FORWARD;
    const hasTools = session.tools !== undefined && session.tools !== null;
    const choice = session.tool_choice;
    // An upstream that cannot run MCP tools cannot be told to choose one either: the choice
    // becomes the gateway's function for that tool (or any tool, for a whole server).
    const mcpChoice = this.emulate && typeof choice === 'object' && choice !== null && choice.type === 'mcp';
    if (!hasTools && !mcpChoice) return FORWARD;
    const declared = (session.tools ?? this.tools.clientDeclared) as Tool[];
    if (hasTools) {
      this.tools.setClientTools(declared);
      if (this.emulate) this.declaredServers.reconcile(declared, event.event_id ?? null, ctx);
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
      this.tools.hasGatewayTools() || (this.emulate && declared.some((tool) => tool.type === 'mcp'));
    if (!toolsChange && !mcpChoice) return FORWARD;
    if (hasTools) rewritten.tools = this.tools.upstreamTools(this.emulate);
    return { action: 'replace', event: { ...event, session: rewritten } };
  }

  /**
   * A `response.create` that lists its own tools replaces the session's for that response; the
   * gateway's are added to them (and declared MCP tools emulated), as for the session. Null when
   * the response names no tools.
   */
  private responseWithGatewayTools(
    event: Extract<ClientEvent, { type: 'response.create' }>,
    ctx: ExtensionContext,
  ): ClientEvent | null {
    const own = event.response?.tools;
    if (own === undefined || own === null) return null;
    if (this.emulate) {
      // The gateway opens declared MCP servers with the session; one named for a single
      // response is left out, and the client is told so rather than left to wonder.
      own.forEach((tool, index) => {
        if (tool.type !== 'mcp') return;
        ctx.sendClient(
          requestError(
            'mcp_tool_not_supported_here',
            `MCP tool '${tool.server_label}' is left out of this response: on this upstream, declare MCP tools with session.update.`,
            `response.tools[${index}]`,
            event.event_id ?? null,
          ),
        );
      });
    }
    const tools = [...withoutMcp(own as Tool[], this.emulate), ...this.tools.gatewayTools()];
    return { ...event, response: { ...event.response, tools } };
  }

  /** Sends the upstream the full tool list: the client's own plus the gateway's. */
  private syncUpstreamTools(onlyIfAny = false): void {
    if (!this.upstreamReady || this.ctx === null || this.closed) return;
    if (onlyIfAny && !this.tools.hasGatewayTools()) return;
    const eventId = newEventId();
    this.ownEventIds.add(eventId);
    this.ownUpdatesPending++;
    this.ctx.sendUpstream({
      type: 'session.update',
      event_id: eventId,
      session: { type: 'realtime', tools: this.tools.upstreamTools(this.emulate) },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Server events

  onServerEvent(event: ServerEvent, ctx: ExtensionContext): ExtensionVerdict<ServerEvent> {
    switch (event.type) {
      case 'session.created': {
        this.upstreamReady = true;
        const tools = event.session.type === 'realtime' ? event.session.tools : undefined;
        if (tools !== undefined && tools !== null && this.tools.clientDeclared.length === 0)
          this.tools.setClientTools(tools as Tool[]);
        this.syncUpstreamTools(true);
        return this.sessionForClient(event);
      }
      case 'session.updated':
        if (this.ownUpdatesPending > 0) {
          this.ownUpdatesPending--;
          return DROP;
        }
        return this.sessionForClient(event);
      case 'error':
        return this.onUpstreamError(event);
      case 'response.output_item.added':
        return this.onOutputItemAdded(event);
      case 'response.output_item.done': {
        const call = this.callFor(event.item);
        if (call === null) return FORWARD;
        if (!call.started && isFunctionCall(event.item)) this.startCall(call, event.item.arguments, ctx);
        return DROP;
      }
      case 'conversation.item.added':
      case 'conversation.item.created':
      case 'conversation.item.done':
        return this.onConversationItem(event);
      case 'response.function_call_arguments.delta': {
        const call = this.calls.get(event.item_id);
        if (call === undefined) return FORWARD;
        return this.visible
          ? { action: 'replace', event: argumentsDelta(this.view(call), event.delta) }
          : DROP;
      }
      case 'response.function_call_arguments.done': {
        const call = this.calls.get(event.item_id);
        if (call === undefined) return FORWARD;
        call.arguments = event.arguments;
        const verdict: ExtensionVerdict<ServerEvent> = this.visible
          ? { action: 'replace', event: argumentsDone(this.view(call)) }
          : DROP;
        // The replacement must reach the client before the call's own events.
        queueMicrotask(() => this.startCall(call, event.arguments, ctx));
        return verdict;
      }
      case 'response.done':
        return this.onResponseDone(event, ctx);
      default:
        return FORWARD;
    }
  }

  /** The session as the client should see it: its own tools as it declared them. */
  private sessionForClient(
    event: Extract<ServerEvent, { type: 'session.created' | 'session.updated' }>,
  ): ExtensionVerdict<ServerEvent> {
    const session = event.session;
    if (session.type !== 'realtime' || session.tools === undefined || session.tools === null) return FORWARD;
    const upstreamTools = session.tools as Tool[];
    const own = upstreamTools.filter(
      (tool) => !(tool.type === 'function' && tool.name != null && this.tools.isGatewayFunction(tool.name)),
    );
    const declaredMcp = this.emulate ? this.tools.clientDeclared.filter((tool) => tool.type === 'mcp') : [];
    if (own.length === upstreamTools.length && declaredMcp.length === 0) return FORWARD;
    const shown: Session = { ...session, tools: [...own, ...declaredMcp] };
    return { action: 'replace', event: { ...event, session: shown } };
  }

  private onUpstreamError(event: Extract<ServerEvent, { type: 'error' }>): ExtensionVerdict<ServerEvent> {
    const cause = event.error.event_id;
    if (cause === undefined || cause === null || !this.ownEventIds.has(cause)) return FORWARD;
    this.ownEventIds.delete(cause);
    if (this.ownUpdatesPending > 0) this.ownUpdatesPending--;
    this.log.warn(
      { sessionId: this.info.sessionId, code: event.error.code, message: event.error.message },
      'upstream refused an event the MCP extension sent',
    );
    return DROP;
  }

  private onOutputItemAdded(
    event: Extract<ServerEvent, { type: 'response.output_item.added' }>,
  ): ExtensionVerdict<ServerEvent> {
    const item = event.item;
    if (!isFunctionCall(item)) return FORWARD;
    const resolved = this.tools.resolve(item.name);
    if (resolved === null) return FORWARD;
    const itemId = item.id ?? newItemId();
    const call: Call = {
      itemId,
      callId: item.call_id ?? itemId,
      responseId: event.response_id,
      outputIndex: event.output_index,
      source: resolved.source,
      toolName: resolved.tool.name,
      needsApproval: resolved.needsApproval,
      arguments: '',
      state: 'streaming',
      started: false,
      approvalRequestId: null,
      approvalExpiry: null,
      output: null,
      error: null,
      controller: new AbortController(),
    };
    this.calls.set(itemId, call);
    let work = this.responses.get(event.response_id);
    if (work === undefined) {
      work = {
        responseId: event.response_id,
        calls: [],
        upstreamDone: null,
        cancelled: false,
        finished: false,
      };
      this.responses.set(event.response_id, work);
    }
    work.calls.push(call);
    return this.visible ? { action: 'replace', event: outputItemAdded(this.view(call)) } : DROP;
  }

  private onConversationItem(
    event: Extract<
      ServerEvent,
      { type: 'conversation.item.added' | 'conversation.item.created' | 'conversation.item.done' }
    >,
  ): ExtensionVerdict<ServerEvent> {
    const item = event.item;
    if (item.type === 'function_call_output' && this.injectedCallIds.has(item.call_id)) {
      if (event.type === 'conversation.item.done') this.injectedCallIds.delete(item.call_id);
      return DROP;
    }
    const call = this.callFor(item);
    if (call === null) return FORWARD;
    // The item's final form is sent when the call finishes.
    if (event.type === 'conversation.item.done' || !this.visible) return DROP;
    return {
      action: 'replace',
      event: { ...event, item: mcpCallItem({ ...this.view(call), output: null, error: null }) },
    };
  }

  private callFor(item: ConversationItem): Call | null {
    if (!isFunctionCall(item) || item.id == null) return null;
    return this.calls.get(item.id) ?? null;
  }

  private onResponseDone(event: ResponseDoneEvent, ctx: ExtensionContext): ExtensionVerdict<ServerEvent> {
    const work = this.responses.get(event.response.id ?? '');
    if (work === undefined) return FORWARD;
    work.upstreamDone = event;
    if (event.response.status !== 'completed') {
      // Cancelled, failed or cut short: no follow-up; calls still running are abandoned.
      work.cancelled = true;
      for (const call of work.calls) call.controller.abort();
      this.settleWaiting(work, ctx);
    }
    for (const call of work.calls) if (!call.started) this.startCall(call, call.arguments, ctx);
    this.maybeFinish(work, ctx);
    return DROP;
  }

  // ------------------------------------------------------------------------------------------
  // Calls

  private startCall(call: Call, args: string, ctx: ExtensionContext): void {
    if (call.started) return;
    call.started = true;
    call.arguments = args;
    const work = this.responses.get(call.responseId);
    if (work?.cancelled) {
      this.settle(
        call,
        { type: 'protocol_error', message: 'The response was cancelled.' },
        null,
        ctx,
        0,
        true,
      );
      return;
    }
    if (call.needsApproval) {
      call.state = 'awaiting_approval';
      const request = approvalRequestItem({
        serverLabel: call.source.label,
        toolName: call.toolName,
        arguments: call.arguments,
      });
      call.approvalRequestId = request.id as string;
      this.approvals.set(call.approvalRequestId, call);
      ctx.sendClient(conversationItem('conversation.item.added', request));
      ctx.sendClient(conversationItem('conversation.item.done', request));
      call.approvalExpiry = setTimeout(() => {
        const failure = { type: 'tool_execution_error' as const, message: 'The approval request expired.' };
        this.settle(call, failure, null, ctx, 0, false, true);
      }, this.options.config.approvalTimeoutMs);
      call.approvalExpiry.unref();
      return;
    }
    void this.run(call, ctx);
  }

  private async run(call: Call, ctx: ExtensionContext): Promise<void> {
    call.state = 'running';
    if (this.visible) ctx.sendClient(callProgress(this.view(call), 'response.mcp_call.in_progress'));
    const started = performance.now();
    let args: Record<string, unknown>;
    try {
      const parsed: unknown = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      args = parsed as Record<string, unknown>;
    } catch {
      this.settle(
        call,
        { type: 'protocol_error', code: -32602, message: 'The call arguments are not a JSON object.' },
        null,
        ctx,
        0,
      );
      return;
    }
    const outcome = await call.source.connection.callTool(call.toolName, args, call.controller.signal);
    const seconds = (performance.now() - started) / 1000;
    if (outcome.ok) this.settle(call, null, outcome.output, ctx, seconds);
    else this.settle(call, outcome.error, null, ctx, seconds, call.controller.signal.aborted);
  }

  private settle(
    call: Call,
    error: McpFailure | null,
    output: string | null,
    ctx: ExtensionContext,
    seconds: number,
    cancelled = false,
    rejected = false,
  ): void {
    if (call.state === 'settled') return;
    call.state = 'settled';
    if (call.approvalExpiry !== null) clearTimeout(call.approvalExpiry);
    call.error = error;
    call.output = output;
    const outcome: CallOutcome = rejected ? 'rejected' : outcomeOf(error, cancelled);
    (this.options.observer ?? NO_MCP_OBSERVER).toolCall(call.source.label, call.toolName, outcome, seconds);
    if (this.visible && !this.closed) {
      ctx.sendClient(
        callProgress(
          this.view(call),
          error === null ? 'response.mcp_call.completed' : 'response.mcp_call.failed',
        ),
      );
    }
    const work = this.responses.get(call.responseId);
    if (work !== undefined) this.maybeFinish(work, ctx);
  }

  /** Once the upstream's response is done and every call settled: show the results, inject, follow up. */
  private maybeFinish(work: ResponseWork, ctx: ExtensionContext): void {
    if (work.finished || work.upstreamDone === null || this.closed) return;
    if (work.calls.some((call) => call.state !== 'settled')) return;
    work.finished = true;
    this.responses.delete(work.responseId);
    const calls = [...work.calls].sort((a, b) => a.outputIndex - b.outputIndex);
    for (const call of calls) {
      this.calls.delete(call.itemId);
      if (call.approvalRequestId !== null) this.approvals.delete(call.approvalRequestId);
    }
    ctx.sendClient(this.responseDoneForClient(work.upstreamDone, calls, work.cancelled));
    if (work.cancelled) {
      this.releaseHeldCreate(ctx);
      return;
    }
    for (const call of calls) {
      const eventId = newEventId();
      this.ownEventIds.add(eventId);
      this.injectedCallIds.add(call.callId);
      ctx.sendUpstream({
        type: 'conversation.item.create',
        event_id: eventId,
        item: {
          type: 'function_call_output',
          id: newItemId(),
          call_id: call.callId,
          output: functionOutput(call),
        },
      });
    }
    if (!this.followUpPending()) this.followUp(ctx);
  }

  /** The upstream's `response.done` as the client sees it, with the calls' final events before it. */
  private responseDoneForClient(
    done: ResponseDoneEvent,
    calls: readonly Call[],
    cancelled: boolean,
  ): ServerEvent {
    const byId = new Map(calls.map((call) => [call.itemId, call]));
    if (this.visible) {
      for (const call of calls) {
        this.ctx?.sendClient(outputItemDone(this.view(call)));
        this.ctx?.sendClient(conversationItem('conversation.item.done', mcpCallItem(this.view(call))));
      }
    }
    const output = (done.response.output ?? []).flatMap((item): ConversationItem[] => {
      const call = item.id == null ? undefined : byId.get(item.id);
      if (call === undefined) return [item];
      return this.visible ? [mcpCallItem(this.view(call))] : [];
    });
    const response = { ...done.response, output };
    if (cancelled && response.status === 'completed') {
      return {
        ...done,
        response: {
          ...response,
          status: 'cancelled',
          status_details: { type: 'cancelled', reason: 'client_cancelled' },
        },
      };
    }
    return { ...done, response };
  }

  private followUp(ctx: ExtensionContext): void {
    const held = this.heldCreate;
    this.heldCreate = null;
    if (held !== null) {
      ctx.sendUpstream(held);
      return;
    }
    const eventId = newEventId();
    this.ownEventIds.add(eventId);
    ctx.sendUpstream({ type: 'response.create', event_id: eventId });
  }

  private releaseHeldCreate(ctx: ExtensionContext): void {
    if (this.heldCreate !== null && !this.followUpPending()) {
      const held = this.heldCreate;
      this.heldCreate = null;
      ctx.sendUpstream(held);
    }
  }

  /** Whether the gateway will send a `response.create` of its own once calls finish. */
  private followUpPending(): boolean {
    for (const work of this.responses.values()) if (!work.cancelled && !work.finished) return true;
    return false;
  }

  private onApprovalResponse(
    item: McpApprovalResponseItem,
    eventId: string | null,
    ctx: ExtensionContext,
  ): void {
    const call = this.approvals.get(item.approval_request_id);
    if (call === undefined || call.state !== 'awaiting_approval') {
      ctx.sendClient(
        requestError(
          'invalid_value',
          `No MCP approval request '${item.approval_request_id}' is pending.`,
          'item.approval_request_id',
          eventId,
        ),
      );
      return;
    }
    if (call.approvalExpiry !== null) clearTimeout(call.approvalExpiry);
    const shown: ConversationItem = { ...item, id: item.id ?? newItemId() };
    ctx.sendClient(conversationItem('conversation.item.added', shown));
    ctx.sendClient(conversationItem('conversation.item.done', shown));
    if (item.approve) {
      void this.run(call, ctx);
      return;
    }
    const reason = item.reason ? `: ${item.reason}` : '';
    this.settle(
      call,
      { type: 'tool_execution_error', message: `The user rejected the call${reason}.` },
      null,
      ctx,
      0,
      false,
      true,
    );
  }

  private onClientCancel(): ExtensionVerdict<ClientEvent> {
    let upstreamIdle = false;
    let any = false;
    for (const work of this.responses.values()) {
      if (work.finished) continue;
      any = true;
      work.cancelled = true;
      for (const call of work.calls) call.controller.abort();
      if (work.upstreamDone !== null) upstreamIdle = true;
    }
    if (!any) return FORWARD;
    // Calls were aborted; each settles as cancelled and the response finishes without a follow-up.
    // When the upstream's response is already over there is nothing for it to cancel.
    if (upstreamIdle) {
      const ctx = this.ctx;
      if (ctx !== null) for (const work of [...this.responses.values()]) this.settleWaiting(work, ctx);
      return DROP;
    }
    return FORWARD;
  }

  /** Settles, as cancelled, calls that no abort reaches: those still streaming or awaiting approval. */
  private settleWaiting(work: ResponseWork, ctx: ExtensionContext): void {
    for (const call of work.calls) {
      if (call.state === 'awaiting_approval' || (call.state === 'streaming' && call.started)) {
        this.settle(call, { type: 'protocol_error', message: 'The call was cancelled.' }, null, ctx, 0, true);
      }
    }
  }

  private view(call: Call): CallView {
    return {
      itemId: call.itemId,
      responseId: call.responseId,
      outputIndex: call.outputIndex,
      serverLabel: call.source.label,
      toolName: call.toolName,
      arguments: call.arguments,
      approvalRequestId: call.approvalRequestId,
      output: call.output,
      error: call.error,
    };
  }
}

/** Whether an operator server applies to a session, by its model and key. */
function serverApplies(
  models: readonly string[] | null,
  keys: readonly string[] | null,
  info: SessionInfo,
): boolean {
  if (models !== null && specificity({ models }, info.model, info.upstreamModel) === 0) return false;
  if (keys !== null && (info.keyId === null || !keys.includes(info.keyId))) return false;
  return true;
}

/**
 * The MCP extension for the gateway's sessions: operator servers on the routes and keys they
 * are configured for, and emulation of client-declared MCP tools on upstreams set to `emulate`.
 *
 * @example
 * const pool = new McpPool(log);
 * const gateway = createGateway({ config, extensions: [createMcpExtension({ config: config.mcp, upstreams: config.upstreams, pool })] });
 */
export function createMcpExtension(options: McpExtensionOptions): SessionExtensionFactory {
  for (const server of options.config.servers) {
    if (options.pool.operatorServer(server.spec.label) === null) options.pool.addOperatorServer(server.spec);
  }
  return (info) => {
    if (info.intent === 'transcription') return null;
    const upstream = options.upstreams.find((u) => u.name === info.upstreamName);
    const emulate = (upstream?.mcpTools ?? 'native') === 'emulate';
    const sources: ToolSource[] = [];
    for (const server of options.config.servers) {
      if (!serverApplies(server.models, server.keys, info)) continue;
      const connection = options.pool.operatorServer(server.spec.label);
      if (connection === null) continue;
      sources.push({
        label: server.spec.label,
        origin: 'operator',
        connection,
        declaration: null,
        tools: [],
        release: () => {},
      });
    }
    if (sources.length === 0 && !emulate) return null;
    return new McpSession(info, options, sources, emulate);
  };
}
