/**
 * The MCP middleware: the gateway runs MCP tools inside relayed sessions.
 *
 * The upstream sees the gateway's MCP tools as ordinary function tools ({@link ToolSync}). When
 * the model calls one, the gateway runs it ({@link CallBook}, through the states of
 * `call-state.ts`), asking the client first when the tool requires approval
 * ({@link Approvals}), then gives the model the results and asks it to answer
 * ({@link FollowUp}), so the model answers without the client doing anything. The client sees
 * the calls as `mcp_call` items, or not at all ({@link ClientView}). On upstreams that cannot
 * run MCP tools, the client's own `type: "mcp"` tools are run the same way (emulated).
 */
import type {
  ClientEvent,
  FunctionCallItem,
  ResponseDoneEvent,
  ServerEvent,
} from '@realtime-gateway/protocol';
import {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
  type Verdict,
} from '../session/middleware.js';
import { specificity } from '../vocabulary/models.js';
import type { SessionInfo } from '../vocabulary/session.js';
import { Approvals } from './approvals.js';
import { advance, type Call, CallBook, callArguments, type ResponseWork } from './calls.js';
import { ClientView } from './client-view.js';
import type { McpConfig } from './config.js';
import type { McpConnection, McpFailure } from './connection.js';
import { FollowUp } from './follow-up.js';
import { type CallOutcome, type McpObserver, NO_MCP_OBSERVER, outcomeOf } from './observer.js';
import type { McpPool } from './pool.js';
import { RecentSet, TRACKED_IDS } from './recent-set.js';
import type { ToolSource } from './session-tools.js';
import { ToolSync } from './tool-sync.js';

/**
 * What the MCP middleware needs to know of an upstream (a configured upstream fits), so that
 * it does not depend on the configuration's types.
 *
 * @example
 * const generic: McpUpstream = { name: 'local', mcpTools: 'emulate' };
 */
export interface McpUpstream {
  readonly name: string;
  /** `emulate`: the upstream cannot run MCP tools, so the gateway runs the client's. */
  readonly mcpTools?: 'native' | 'emulate';
}

/**
 * @example
 * const options: McpMiddlewareOptions = { config: config.mcp, upstreams: config.upstreams, pool: new McpPool(log) };
 */
export interface McpMiddlewareOptions {
  readonly config: McpConfig;
  readonly upstreams: readonly McpUpstream[];
  readonly pool: McpPool;
  readonly observer?: McpObserver;
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

/** How a call settles: by which event, with what result. */
interface Settlement {
  readonly via: 'finish' | 'cancel' | 'reject' | 'expire';
  readonly output?: string;
  readonly error?: McpFailure;
  readonly seconds?: number;
  /** The tool call was aborted (its response or session ended) before it returned. */
  readonly aborted?: boolean;
}

interface McpSessionOptions {
  readonly ctx: MiddlewareContext;
  readonly middleware: McpMiddlewareOptions;
  readonly operatorSources: readonly ToolSource[];
  readonly emulate: boolean;
}

/** One session's MCP middleware, once the session has started. */
class McpSession {
  private readonly ctx: MiddlewareContext;
  private readonly observer: McpObserver;
  /** Ids of events the gateway sent upstream, so their errors are not the client's. */
  private readonly ownEvents = new RecentSet<string>(TRACKED_IDS);
  private readonly calls = new CallBook();
  private readonly tools: ToolSync;
  private readonly approvals: Approvals;
  private readonly followUp: FollowUp;
  private readonly view: ClientView;
  private closed = false;

  constructor(options: McpSessionOptions) {
    const { ctx, middleware } = options;
    this.ctx = ctx;
    this.observer = middleware.observer ?? NO_MCP_OBSERVER;
    const sendClient = (event: ServerEvent) => ctx.sendClient(event);
    this.tools = new ToolSync({
      ctx,
      config: middleware.config,
      pool: middleware.pool,
      operatorSources: options.operatorSources,
      emulate: options.emulate,
      ownEvents: this.ownEvents,
    });
    this.approvals = new Approvals({
      timeoutMs: middleware.config.approvalTimeoutMs,
      sendClient,
      onExpired: (call, error) => this.settle(call, { via: 'expire', error }),
    });
    this.followUp = new FollowUp({
      sendUpstream: (event) => ctx.sendUpstream(event),
      sendClient,
      ownEvents: this.ownEvents,
      pending: () => this.calls.followUpPending(),
    });
    this.view = new ClientView({ callEvents: middleware.config.callEvents, sendClient });
    this.tools.open();
  }

  close(): void {
    this.closed = true;
    for (const call of this.calls.all()) call.controller.abort();
    this.approvals.close();
    this.tools.close();
  }

  onClient(event: ClientEvent): Verdict<ClientEvent> {
    switch (event.type) {
      case 'session.update':
        return this.tools.onClientUpdate(event);
      case 'conversation.item.create':
        if (event.item.type !== 'mcp_approval_response') return FORWARD;
        this.onApprovalResponse(event);
        return DROP;
      case 'response.create': {
        const withTools = this.tools.responseWithTools(event);
        // One response follows the gateway's calls, as one response at a time is all a
        // conversation has.
        if (this.followUp.offer(withTools ?? event, event.event_id ?? null)) return DROP;
        return withTools === null ? FORWARD : { action: 'replace', event: withTools };
      }
      case 'response.cancel':
        return this.onClientCancel();
      default:
        return FORWARD;
    }
  }

  onUpstream(event: ServerEvent): Verdict<ServerEvent> {
    switch (event.type) {
      case 'session.created':
        return this.tools.onSessionCreated(event);
      case 'session.updated':
        return this.tools.onSessionUpdated(event);
      case 'error':
        return this.onUpstreamError(event);
      case 'response.output_item.added': {
        const item = event.item;
        if (item.type !== 'function_call') return FORWARD;
        const resolved = this.tools.resolve(item.name);
        if (resolved === null) return FORWARD;
        return this.view.added(this.calls.open({ ...event, item }, resolved));
      }
      case 'response.output_item.done': {
        const call = this.calls.forItem(event.item);
        if (call === null) return FORWARD;
        this.start(call, (event.item as FunctionCallItem).arguments);
        return DROP;
      }
      case 'conversation.item.added':
      case 'conversation.item.created':
      case 'conversation.item.done': {
        if (this.followUp.isEcho(event.type, event.item)) return DROP;
        const call = this.calls.forItem(event.item);
        return call === null ? FORWARD : this.view.item(event, call);
      }
      case 'response.function_call_arguments.delta': {
        const call = this.calls.byItemId(event.item_id);
        return call === null ? FORWARD : this.view.argumentsDelta(call, event.delta);
      }
      case 'response.function_call_arguments.done': {
        const call = this.calls.byItemId(event.item_id);
        if (call === null) return FORWARD;
        call.arguments = event.arguments;
        const verdict = this.view.argumentsDone(call);
        // The replacement must reach the client before the call's own events.
        queueMicrotask(() => this.start(call, event.arguments));
        return verdict;
      }
      case 'response.done':
        return this.onResponseDone(event);
      default:
        return FORWARD;
    }
  }

  private onUpstreamError(event: Extract<ServerEvent, { type: 'error' }>): Verdict<ServerEvent> {
    const cause = event.error.event_id;
    if (cause === undefined || cause === null || !this.ownEvents.has(cause)) return FORWARD;
    this.ownEvents.delete(cause);
    this.tools.ownEventRefused(cause);
    this.ctx.log.warn(
      { sessionId: this.ctx.info.sessionId, code: event.error.code, message: event.error.message },
      'upstream refused an event the MCP middleware sent',
    );
    return DROP;
  }

  private onResponseDone(event: ResponseDoneEvent): Verdict<ServerEvent> {
    const work = this.calls.response(event.response.id ?? '');
    if (work === null) return FORWARD;
    work.upstreamDone = event;
    if (event.response.status !== 'completed') {
      // Cancelled, failed or cut short: no follow-up; calls still running are abandoned.
      work.cancelled = true;
      for (const call of work.calls) call.controller.abort();
      this.settleWaiting(work);
    }
    for (const call of work.calls) this.start(call, call.arguments);
    this.maybeFinish(work);
    return DROP;
  }

  private onClientCancel(): Verdict<ClientEvent> {
    const unfinished = this.calls.unfinished();
    if (unfinished.length === 0) return FORWARD;
    let upstreamIdle = false;
    for (const work of unfinished) {
      work.cancelled = true;
      for (const call of work.calls) call.controller.abort();
      if (work.upstreamDone !== null) upstreamIdle = true;
    }
    // Calls were aborted; each settles as cancelled and the response finishes without a
    // follow-up. When the upstream's response is already over there is nothing for it to cancel.
    if (!upstreamIdle) return FORWARD;
    for (const work of this.calls.unfinished()) this.settleWaiting(work);
    return DROP;
  }

  private onApprovalResponse(event: Extract<ClientEvent, { type: 'conversation.item.create' }>): void {
    if (event.item.type !== 'mcp_approval_response') return;
    const decision = this.approvals.answer(event.item, event.event_id ?? null);
    if (decision === null) return;
    if (decision.approved) {
      advance(decision.call, { type: 'approve' });
      void this.run(decision.call);
    } else this.settle(decision.call, { via: 'reject', error: decision.failure });
  }

  /** The call's arguments are complete: it runs, or waits for approval, or is cancelled with its response. */
  private start(call: Call, args: string): void {
    if (call.state !== 'streaming') return;
    call.arguments = args;
    if (this.calls.response(call.responseId)?.cancelled) {
      this.settle(call, {
        via: 'cancel',
        error: { type: 'protocol_error', message: 'The response was cancelled.' },
      });
      return;
    }
    advance(call, { type: 'start', approval: call.needsApproval });
    if (call.needsApproval) this.approvals.request(call);
    else void this.run(call);
  }

  private async run(call: Call): Promise<void> {
    this.view.progress(call, 'running');
    const started = performance.now();
    const args = callArguments(call.arguments);
    if (args === null) {
      const error: McpFailure = {
        type: 'protocol_error',
        code: -32602,
        message: 'The call arguments are not a JSON object.',
      };
      this.settle(call, { via: 'finish', error, seconds: 0 });
      return;
    }
    const span = this.ctx.trace.span(`execute_tool ${call.toolName}`, {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': call.toolName,
      'gen_ai.tool.call.id': call.callId,
      'gen_ai.tool.type': 'extension',
      'realtime_gateway.mcp.server': call.source.label,
    });
    const outcome = await call.source.connection.callTool(call.toolName, args, call.controller.signal);
    // The type only: a tool's message may echo its arguments, which are the user's words.
    if (!outcome.ok) span.fail(outcome.error.type);
    span.end();
    const seconds = (performance.now() - started) / 1000;
    if (outcome.ok) this.settle(call, { via: 'finish', output: outcome.output, seconds });
    else
      this.settle(call, {
        via: 'finish',
        error: outcome.error,
        seconds,
        aborted: call.controller.signal.aborted,
      });
  }

  private settle(call: Call, settlement: Settlement): void {
    if (!advance(call, { type: settlement.via })) return;
    this.approvals.release(call);
    call.error = settlement.error ?? null;
    call.output = settlement.output ?? null;
    this.observer.toolCall(
      call.source.label,
      call.toolName,
      this.outcome(call, settlement),
      settlement.seconds ?? 0,
    );
    if (!this.closed) this.view.progress(call, 'settled');
    const work = this.calls.response(call.responseId);
    if (work !== null) this.maybeFinish(work);
  }

  private outcome(call: Call, settlement: Settlement): CallOutcome {
    // A rejected or expired approval is the user's decision, not a failure of the tool.
    if (settlement.via === 'reject' || settlement.via === 'expire') return 'rejected';
    if (settlement.via === 'cancel') return 'cancelled';
    return outcomeOf(call.error, settlement.aborted === true);
  }

  /** Settles, as cancelled, calls that no abort reaches: those awaiting approval. */
  private settleWaiting(work: ResponseWork): void {
    for (const call of work.calls) {
      if (call.state === 'awaiting_approval')
        this.settle(call, {
          via: 'cancel',
          error: { type: 'protocol_error', message: 'The call was cancelled.' },
        });
    }
  }

  /** Once the upstream's response is done and every call settled: show the results, follow up. */
  private maybeFinish(work: ResponseWork): void {
    if (this.closed) return;
    const calls = this.calls.finish(work);
    if (calls === null) return;
    this.view.finish({ done: work.upstreamDone as ResponseDoneEvent, calls, cancelled: work.cancelled });
    if (work.cancelled) this.followUp.release();
    else this.followUp.deliver(calls);
  }
}

/** Whether an operator server applies to a session, by its model and key. */
function serverApplies(
  server: { readonly models: readonly string[] | null; readonly keys: readonly string[] | null },
  info: SessionInfo,
): boolean {
  if (server.models !== null && specificity({ models: server.models }, info.model, info.upstreamModel) === 0)
    return false;
  if (server.keys !== null && (info.keyId === null || !server.keys.includes(info.keyId))) return false;
  return true;
}

/**
 * The MCP middleware for the gateway's sessions: operator servers on the routes and keys they
 * are configured for, and emulation of client-declared MCP tools on upstreams set to `emulate`.
 *
 * @example
 * const pool = new McpPool(log);
 * const mcp = createMcpMiddleware({ config: config.mcp, upstreams: config.upstreams, pool });
 * const middleware = mcp(info); // null for a session without MCP tools
 */
export function createMcpMiddleware(options: McpMiddlewareOptions): MiddlewareFactory {
  // This configuration's operator connections: sessions made from it use these, even once a
  // newer configuration has replaced some (they close when their last session ends).
  const connections = options.pool.useOperatorServers(options.config.servers.map((server) => server.spec));
  return (info): Middleware | null => {
    if (info.intent === 'transcription') return null;
    const upstream = options.upstreams.find((u) => u.name === info.upstreamName);
    const emulate = (upstream?.mcpTools ?? 'native') === 'emulate';
    const applicable: McpConnection[] = [];
    for (const server of options.config.servers) {
      if (!serverApplies(server, info)) continue;
      const connection = connections.get(server.spec.label);
      if (connection !== undefined) applicable.push(connection);
    }
    if (applicable.length === 0 && !emulate) return null;
    return new McpMiddleware(options, applicable, emulate);
  };
}

/** One session's MCP middleware: its methods are shared, its state is the {@link McpSession}. */
class McpMiddleware implements Middleware {
  readonly name = 'mcp';
  readonly client = CLIENT_TYPES;
  readonly upstream = SERVER_TYPES;
  private session: McpSession | null = null;

  constructor(
    private readonly options: McpMiddlewareOptions,
    private readonly applicable: readonly McpConnection[],
    private readonly emulate: boolean,
  ) {}

  open(ctx: MiddlewareContext): void {
    // Leased when the session starts: a session refused before it never holds a server.
    const operatorSources: ToolSource[] = [];
    for (const connection of this.applicable) {
      const lease = this.options.pool.leaseOperator(connection);
      if (lease === null) continue;
      operatorSources.push({
        label: connection.spec.label,
        origin: 'operator',
        connection,
        declaration: null,
        tools: [],
        release: lease.release,
      });
    }
    const { options: middleware, emulate } = this;
    this.session = new McpSession({ ctx, middleware, operatorSources, emulate });
  }

  // Frames that are not valid known events pass by: input checking answers those.
  onClient(frame: Frame<ClientEvent>): Verdict<ClientEvent> {
    return frame.event === null || this.session === null ? FORWARD : this.session.onClient(frame.event);
  }

  onUpstream(frame: Frame<ServerEvent>): Verdict<ServerEvent> {
    return frame.event === null || this.session === null ? FORWARD : this.session.onUpstream(frame.event);
  }

  close(): undefined {
    this.session?.close();
    return undefined;
  }
}
