/**
 * Names under which MCP tools are offered to the model as function tools. Two servers may both
 * have a `search` tool, and the client may declare its own `search`, so each gateway tool gets a
 * namespaced name (`crm__search`). Function names must match `^[a-zA-Z0-9_-]{1,64}$`, so names
 * are sanitized and long ones shortened with a hash suffix; the mapping back is a lookup table,
 * never a parse of the name.
 */

/** Longest function name OpenAI accepts. */
export const MAX_FUNCTION_NAME = 64;
const SEPARATOR = '__';

/** Which server and tool a function name stands for. */
export interface ToolRef {
  /** The server's label (operator servers: their configured name; client servers: `server_label`). */
  readonly server: string;
  /** The tool's name on its MCP server. */
  readonly tool: string;
}

function sanitize(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/** A short stable hash (FNV-1a, base 36) that keeps shortened names distinct. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) {
    hash ^= text.charCodeAt(k);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/**
 * The function name for a server's tool.
 *
 * @example
 * functionNameFor({ server: 'crm', tool: 'find.customer' }); // 'crm__find_customer'
 */
export function functionNameFor(ref: ToolRef): string {
  const name = `${sanitize(ref.server)}${SEPARATOR}${sanitize(ref.tool)}`;
  const exact = name === `${ref.server}${SEPARATOR}${ref.tool}`;
  if (exact && name.length <= MAX_FUNCTION_NAME) return name;
  // Sanitizing can make two names equal (`a.b`, `a_b`), and shortening loses the tail; the hash
  // of the original pair keeps them apart.
  const suffix = `_${shortHash(`${ref.server}\u0000${ref.tool}`)}`;
  return `${name.slice(0, MAX_FUNCTION_NAME - suffix.length)}${suffix}`;
}

/**
 * A two-way table of the function names a session offers for MCP tools.
 *
 * @example
 * const names = new ToolNames();
 * const fn = names.add({ server: 'crm', tool: 'lookup' });
 * names.resolve(fn); // { server: 'crm', tool: 'lookup' }
 */
export class ToolNames {
  /** Made at the first tool: most sessions never have one. */
  private byName: Map<string, ToolRef> | null = null;

  /** Registers a tool and returns its function name. */
  add(ref: ToolRef): string {
    const name = functionNameFor(ref);
    if (this.byName === null) this.byName = new Map();
    this.byName.set(name, ref);
    return name;
  }

  /** Removes every tool of a server (its tool list changed or it was dropped). */
  removeServer(server: string): void {
    const byName = this.byName;
    if (byName === null) return;
    for (const [name, ref] of byName) if (ref.server === server) byName.delete(name);
  }

  /** The tool a function name stands for, or null for any other function (the client's own). */
  resolve(functionName: string): ToolRef | null {
    return this.byName?.get(functionName) ?? null;
  }

  has(functionName: string): boolean {
    return this.byName?.has(functionName) ?? false;
  }
}
