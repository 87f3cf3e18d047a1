/**
 * The tools of one session as the MCP middleware manages them: the client's own tools, the
 * MCP servers whose tools the gateway offers (the operator's, and those the client declared as
 * `type: "mcp"` tools on an upstream that cannot run them), and the function names under which
 * the model sees them.
 */
import type { McpTool as McpToolDeclaration, Tool } from '@realtime-gateway/protocol';
import type { McpConnection, McpTool } from './connection.js';
import { ToolNames, type ToolRef } from './tool-names.js';
import { functionTool, isAllowed, needsApproval } from './tool-policy.js';

/** A server whose tools the session offers. */
export interface ToolSource {
  readonly label: string;
  readonly origin: 'operator' | 'client';
  readonly connection: McpConnection;
  /** The client's declaration, for client-declared servers. */
  readonly declaration: McpToolDeclaration | null;
  /** The tools offered, once listed (after the declaration's `allowed_tools`). */
  tools: readonly McpTool[];
  /** Gives the connection back to the pool. */
  release(): void;
}

/** A gateway tool the model called, resolved. */
export interface ResolvedTool {
  readonly ref: ToolRef;
  readonly source: ToolSource;
  readonly tool: McpTool;
  readonly needsApproval: boolean;
}

const NO_SOURCES: ReadonlyMap<string, ToolSource> = new Map();

/**
 * @example
 * const tools = new SessionTools();
 * tools.addSource(crmSource);
 * tools.setSourceTools('crm', listed);
 * upstreamSession.tools = tools.upstreamTools();
 */
export class SessionTools {
  private readonly names = new ToolNames();
  /** Made at the first source: most sessions never have one. */
  private sourcesMap: Map<string, ToolSource> | null = null;
  /** The client's tools as it declared them (MCP declarations included). */
  private declared: readonly Tool[] = [];

  private get sources(): ReadonlyMap<string, ToolSource> {
    return this.sourcesMap ?? NO_SOURCES;
  }

  /** The client's tools as declared: what the client sees in `session.updated`. */
  get clientDeclared(): readonly Tool[] {
    return this.declared;
  }

  setClientTools(tools: readonly Tool[]): void {
    this.declared = tools;
  }

  addSource(source: ToolSource): void {
    this.removeSource(source.label);
    if (this.sourcesMap === null) this.sourcesMap = new Map();
    this.sourcesMap.set(source.label, source);
  }

  removeSource(label: string): void {
    const existing = this.sources.get(label);
    if (existing === undefined) return;
    this.sourcesMap?.delete(label);
    this.names.removeServer(label);
    existing.release();
  }

  source(label: string): ToolSource | null {
    return this.sources.get(label) ?? null;
  }

  /** Client-declared sources, for reconciling with a new declaration. */
  clientSources(): ToolSource[] {
    return [...this.sources.values()].filter((s) => s.origin === 'client');
  }

  /** Records a source's listed tools (filtered by its declaration) and names them. */
  setSourceTools(label: string, tools: readonly McpTool[]): void {
    const source = this.sources.get(label);
    if (source === undefined) return;
    const declaration = source.declaration;
    source.tools = declaration === null ? tools : tools.filter((tool) => isAllowed(declaration, tool));
    this.names.removeServer(label);
    for (const tool of source.tools) this.names.add({ server: label, tool: tool.name });
  }

  /** The gateway's tools as function tools. */
  gatewayTools(): Tool[] {
    const tools: Tool[] = [];
    for (const source of this.sources.values()) {
      for (const tool of source.tools)
        tools.push(functionTool(this.names.add({ server: source.label, tool: tool.name }), tool));
    }
    return tools;
  }

  /** The tools the upstream gets: the client's own (MCP declarations excepted) and the gateway's. */
  upstreamTools(emulateDeclaredMcp: boolean): Tool[] {
    return [...withoutMcp(this.declared, emulateDeclaredMcp), ...this.gatewayTools()];
  }

  /** Whether any server has tools listed. */
  hasGatewayTools(): boolean {
    for (const source of this.sources.values()) if (source.tools.length > 0) return true;
    return false;
  }

  /** Whether a function name is one of the gateway's. */
  isGatewayFunction(name: string): boolean {
    return this.names.has(name);
  }

  /** The gateway tool behind a function name, or null. */
  resolve(functionName: string): ResolvedTool | null {
    const ref = this.names.resolve(functionName);
    if (ref === null) return null;
    const source = this.sources.get(ref.server);
    const tool = source?.tools.find((t) => t.name === ref.tool);
    if (source === undefined || tool === undefined) return null;
    const approval = source.declaration !== null && needsApproval(source.declaration, tool);
    return { ref, source, tool, needsApproval: approval };
  }

  /** Releases every source. */
  clear(): void {
    for (const label of [...this.sources.keys()]) this.removeSource(label);
  }
}

/** A client's tools without its MCP declarations, when the gateway runs those itself. */
export function withoutMcp(tools: readonly Tool[], emulating: boolean): Tool[] {
  return emulating ? tools.filter((tool) => tool.type !== 'mcp') : [...tools];
}
