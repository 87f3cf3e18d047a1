/**
 * Where configuration comes from, lowest precedence first: the config file (YAML or JSON), then
 * environment variables `REALTIME_GATEWAY_<FIELD>` (nested fields joined by `__`, for example
 * `REALTIME_GATEWAY_LIMITS__MAX_FRAME_BYTES=65536`), then CLI overrides (`--set
 * limits.maxFrameBytes=65536`, `--port`, `--host`). Override values are read as JSON when they
 * parse as JSON and as plain strings otherwise.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type ConfigError, type ResolveResult, resolveConfig } from './resolve.js';
import { GatewayConfigSchema } from './schema.js';

export const ENV_PREFIX = 'REALTIME_GATEWAY_';

/** One override: a field path and the value to put there. */
export interface ConfigOverride {
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  /** Where it came from, for error messages: `env REALTIME_GATEWAY_PORT`, `--set port=1`. */
  readonly source: string;
}

/** Parses config file text; YAML is a superset of JSON, so one parser reads both. */
export function parseConfigText(
  text: string,
  fileName: string,
): { ok: true; value: unknown } | ConfigFailure {
  try {
    const value: unknown = parseYaml(text);
    return { ok: true, value: value ?? {} };
  } catch (error) {
    return { ok: false, errors: [{ field: '', message: `${fileName}: ${(error as Error).message}` }] };
  }
}

type ConfigFailure = { readonly ok: false; readonly errors: readonly ConfigError[] };

function camel(segment: string): string | number {
  if (/^\d+$/.test(segment)) return Number(segment);
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function overrideValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Overrides from `REALTIME_GATEWAY_*` environment variables. A variable whose first segment names
 * no section of the configuration is not one: orchestrators set variables of that shape for a
 * service of the same name (Kubernetes' `REALTIME_GATEWAY_PORT=tcp://…` and
 * `REALTIME_GATEWAY_SERVICE_HOST`), and those must not stop the gateway ({@link unrelatedEnv}).
 */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  for (const [name, value] of Object.entries(env)) {
    const path = envPath(name);
    if (path === null || value === undefined || !isSection(path[0]!)) continue;
    out.push({ path, value: overrideValue(value), source: `env ${name}` });
  }
  return out;
}

/**
 * The `REALTIME_GATEWAY_*` variables that {@link envOverrides} leaves alone, for a warning.
 *
 * @example
 * unrelatedEnv({ REALTIME_GATEWAY_PORT: 'tcp://10.0.0.7:8080' }); // ['REALTIME_GATEWAY_PORT']
 */
export function unrelatedEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env).filter((name) => {
    const path = envPath(name);
    return path !== null && !isSection(path[0]!);
  });
}

function envPath(name: string): (string | number)[] | null {
  return name.startsWith(ENV_PREFIX) ? name.slice(ENV_PREFIX.length).split('__').map(camel) : null;
}

function isSection(key: string | number): boolean {
  return typeof key === 'string' && Object.hasOwn(GatewayConfigSchema.shape, key);
}

/** An override from `--set a.b[0].c=value`. */
export function setOverride(assignment: string): ConfigOverride | ConfigError {
  const eq = assignment.indexOf('=');
  if (eq <= 0) return { field: '', message: `--set expects path=value, got '${assignment}'.` };
  const path = assignment
    .slice(0, eq)
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return { path, value: overrideValue(assignment.slice(eq + 1)), source: `--set ${assignment}` };
}

/** Applies overrides to a copy of the configuration, creating objects and arrays along the way. */
export function applyOverrides(input: unknown, overrides: readonly ConfigOverride[]): unknown {
  const root: Record<string, unknown> = structuredClone((input ?? {}) as Record<string, unknown>);
  for (const { path, value } of overrides) {
    let node: Record<string | number, unknown> = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      let child = node[key];
      if (typeof child !== 'object' || child === null) {
        child = typeof path[i + 1] === 'number' ? [] : {};
        node[key] = child;
      }
      node = child as Record<string | number, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return root;
}

/** Everything that goes into one configuration. */
export interface LoadOptions {
  /** A config file path; none means defaults plus overrides. */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly overrides?: readonly ConfigOverride[];
}

/**
 * Loads, merges and checks the configuration. Errors name the field and, for an overridden
 * field, the override that set it.
 *
 * @example
 * const result = loadConfig({ file: 'gateway.yaml', env: process.env });
 * if (!result.ok) { for (const e of result.errors) console.error(`${e.field}: ${e.message}`); process.exit(1); }
 */
export function loadConfig(options: LoadOptions = {}): ResolveResult {
  const env = options.env ?? {};
  let input: unknown = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      return {
        ok: false,
        errors: [{ field: '', message: `Cannot read ${options.file}: ${(error as Error).message}` }],
      };
    }
    const parsed = parseConfigText(text, options.file);
    if (!parsed.ok) return parsed;
    input = parsed.value;
  }
  const overrides = [...envOverrides(env), ...(options.overrides ?? [])];
  const merged = applyOverrides(input, overrides);
  const result = resolveConfig(merged, { env, readFile: (path) => readFileSync(path, 'utf8') });
  if (result.ok) return result;
  return { ok: false, errors: result.errors.map((error) => attributeOverride(error, overrides)) };
}

function attributeOverride(error: ConfigError, overrides: readonly ConfigOverride[]): ConfigError {
  for (const override of overrides) {
    const field = override.path
      .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`))
      .join('');
    if (error.field === field || error.field.startsWith(`${field}.`) || error.field.startsWith(`${field}[`)) {
      return { field: error.field, message: `${error.message} (set by ${override.source})` };
    }
  }
  return error;
}
