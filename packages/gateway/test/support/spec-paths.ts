/**
 * Field paths of the GA spec's event schemas, read from the spec itself, so tests can hold the
 * continuity code to the spec rather than to its own reading of it. A path is a list of keys,
 * with `[]` for "every element of an array".
 */
import { readFileSync } from 'node:fs';

const SPEC_URL = new URL('../../../protocol/test/spec/openai-realtime.schema.json', import.meta.url);

interface Node {
  readonly $ref?: string;
  readonly properties?: Record<string, Node>;
  readonly items?: Node;
  readonly oneOf?: Node[];
  readonly anyOf?: Node[];
  readonly allOf?: Node[];
  readonly enum?: unknown[];
  readonly const?: unknown;
  readonly type?: string | string[];
}

export const SPEC_SCHEMAS = (
  JSON.parse(readFileSync(SPEC_URL, 'utf8')) as { components: { schemas: Record<string, Node> } }
).components.schemas;

function resolve(node: Node): { node: Node; name: string | undefined } {
  let name: string | undefined;
  while (node.$ref !== undefined) {
    name = node.$ref.split('/').at(-1)!;
    node = SPEC_SCHEMAS[name]!;
  }
  return { node, name };
}

/** Every property path a schema declares, through refs and alternatives (cycles cut). */
export function schemaPaths(schemaName: string): string[][] {
  const out = new Map<string, string[]>();
  const walk = (start: Node, path: string[], seen: ReadonlySet<string>): void => {
    const { node, name } = resolve(start);
    if (name !== undefined && seen.has(name)) return;
    const next = name === undefined ? seen : new Set([...seen, name]);
    for (const branch of [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.allOf ?? [])])
      walk(branch, path, next);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = [...path, key];
      out.set(p.join('.'), p);
      walk(child, p, next);
    }
    if (node.items !== undefined) walk(node.items, [...path, '[]'], next);
  };
  walk({ $ref: `#/components/schemas/${schemaName}` }, [], new Set());
  return [...out.values()];
}

/** The schema of each event type in a union (`RealtimeServerEvent`, `RealtimeClientEvent`). */
export function eventSchemaNames(union: string): Map<string, string> {
  const byType = new Map<string, string>();
  const root = SPEC_SCHEMAS[union]!;
  for (const branch of [...(root.anyOf ?? []), ...(root.oneOf ?? [])]) {
    const name = branch.$ref?.split('/').at(-1);
    if (name === undefined) continue;
    const typeNode = SPEC_SCHEMAS[name]?.properties?.type;
    const type = typeNode?.const ?? typeNode?.enum?.[0];
    if (typeof type === 'string') byType.set(type, name);
  }
  return byType;
}

/** Whether a path is declared by a schema (for finding fields a value has that the schema lacks). */
export function undeclaredPaths(schemaName: string, value: unknown): string[] {
  const declared = new Set(schemaPaths(schemaName).map((p) => p.join('.')));
  const found: string[] = [];
  const walk = (v: unknown, path: string[]): void => {
    if (Array.isArray(v)) {
      for (const element of v) walk(element, [...path, '[]']);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, child] of Object.entries(v)) {
      const p = [...path, key];
      if (!declared.has(p.join('.'))) found.push(p.join('.'));
      // Free-form objects (tool parameters, metadata) declare nothing inside; stop at them.
      else if (hasDeclaredChildren(declared, p)) walk(child, p);
    }
  };
  walk(value, []);
  return found;
}

function hasDeclaredChildren(declared: ReadonlySet<string>, path: string[]): boolean {
  const prefix = `${path.join('.')}.`;
  for (const d of declared) if (d.startsWith(prefix)) return true;
  return false;
}

/** The values at a path in a value (every element for `[]`). */
export function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(value) ? value.flatMap((v) => valuesAt(v, rest)) : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const record = value as Record<string, unknown>;
  return head! in record ? valuesAt(record[head!], rest) : [];
}

/** A copy of a value with the strings at a path replaced by `f` of them. */
export function mapAt(value: unknown, path: readonly string[], f: (s: string) => string): unknown {
  if (path.length === 0) return typeof value === 'string' ? f(value) : value;
  const [head, ...rest] = path;
  if (head === '[]') return Array.isArray(value) ? value.map((v) => mapAt(v, rest, f)) : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (!(head! in record)) return value;
  return { ...record, [head!]: mapAt(record[head!], rest, f) };
}
