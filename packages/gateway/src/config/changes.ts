/**
 * What differs between two effective configurations: the fields a reload changes, said without
 * their values (so without secrets), and the fields a running gateway cannot change.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConfigError, GatewayConfig } from './resolve.js';

interface RestartOnlyField {
  readonly field: string;
  readonly of: (c: GatewayConfig) => unknown;
  /** Fields whose change already explains this one's (its default is derived from them). */
  readonly unlessChanged?: readonly string[];
}

/**
 * Fields that a running gateway cannot take from a new configuration: its listening socket,
 * whether it speaks TLS at all (a new certificate and key are taken), its development TLS
 * listener and data directory, the store its slots live in, whether it keeps metrics, and its
 * usage ledger (where and how it writes; prices are taken). A reload that changes one is refused as a whole (the running
 * configuration stays as it is).
 */
const RESTART_ONLY: readonly RestartOnlyField[] = [
  { field: 'server.host', of: (c) => c.server.host },
  { field: 'server.port', of: (c) => c.server.port },
  { field: 'server.tls', of: (c) => c.server.tls === null },
  // The development TLS listener is opened at start, its certificate read from the data directory.
  // Its defaults follow the client listener's, so a change there is not told twice.
  {
    field: 'server.devTls',
    of: (c) => (c.server.devTls.enabled ? c.server.devTls.port : 'off'),
    unlessChanged: ['server.host', 'server.port', 'server.tls'],
  },
  { field: 'dataDir', of: (c) => c.dataDir },
  // The store is opened at start, and the node joins its deployment under its id once.
  { field: 'store', of: (c) => c.store },
  { field: 'node', of: (c) => c.node },
  { field: 'metrics.enabled', of: (c) => c.metrics.enabled },
  // Listeners are opened at start; what answers on them follows reloads.
  { field: 'metrics.listen', of: (c) => c.metrics.listen },
  { field: 'admin.listen', of: (c) => c.admin.listen },
  // The exporter and its sampler are made at start.
  { field: 'telemetry', of: (c) => c.telemetry },
  // The logger's destination is made at start; its level follows reloads.
  { field: 'log.format', of: (c) => c.log.format },
  // The ledger's store and writer are opened at start; prices follow reloads. The SQLite file's
  // default is in the data directory, so moving that is not told twice.
  { field: 'ledger', of: (c) => c.ledger, unlessChanged: ['dataDir'] },
  // Recordings are written and swept by one store made at start.
  { field: 'recording', of: (c) => c.recording },
  // The console's sign-ins, streams and event rings are made once, at start.
  { field: 'console', of: (c) => c.console },
];

/**
 * The restart-only fields `next` changes, as configuration errors naming them.
 *
 * @example
 * restartOnlyChanges(running, next); // [{ field: 'server.port', message: 'Changing it needs a restart …' }]
 */
export function restartOnlyChanges(running: GatewayConfig, next: GatewayConfig): ConfigError[] {
  const changed = RESTART_ONLY.filter(({ of }) => !isDeepStrictEqual(of(running), of(next))).map(
    (f) => f.field,
  );
  return changed
    .filter((field) => {
      const implied = RESTART_ONLY.find((f) => f.field === field)?.unlessChanged ?? [];
      return !implied.some((other) => changed.includes(other));
    })
    .map((field) => ({
      field,
      message: 'Changing it needs a restart; the gateway keeps running with its current configuration.',
    }));
}

/** Lists whose entries have names: a change is told as the names added, removed and changed. */
const NAMED_LISTS: Readonly<Record<string, (entry: never) => string>> = {
  upstreams: (u: { name: string }) => u.name,
  'auth.keys': (k: { id: string }) => k.id,
  'mcp.servers': (s: { spec: { label: string } }) => s.spec.label,
};

/**
 * The fields that differ, by path (`limits.maxSessions`), and for upstreams, keys and MCP
 * servers the names added, removed or changed (`auth.keys: +web-app -old-app`). Values are not
 * shown: they may be secrets.
 *
 * @example
 * configChanges(before, after); // ['auth.keys: +new-app', 'limits.idleTimeoutMs']
 */
export function configChanges(before: GatewayConfig, after: GatewayConfig): string[] {
  const out: string[] = [];
  diff(before, after, '', out);
  return out;
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isDeepStrictEqual(a, b)) return;
  const named = NAMED_LISTS[path] as ((entry: unknown) => string) | undefined;
  if (named !== undefined && Array.isArray(a) && Array.isArray(b)) {
    out.push(`${path}: ${listChanges(a, b, named)}`);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      diff(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
    return;
  }
  out.push(path);
}

function listChanges(a: readonly unknown[], b: readonly unknown[], name: (entry: unknown) => string): string {
  const before = new Map(a.map((entry) => [name(entry), entry]));
  const after = new Map(b.map((entry) => [name(entry), entry]));
  const parts: string[] = [];
  for (const [id, entry] of after) {
    if (!before.has(id)) parts.push(`+${id}`);
    else if (!isDeepStrictEqual(before.get(id), entry)) parts.push(`~${id}`);
  }
  for (const id of before.keys()) if (!after.has(id)) parts.push(`-${id}`);
  return parts.length === 0 ? 'reordered' : parts.join(' ');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
