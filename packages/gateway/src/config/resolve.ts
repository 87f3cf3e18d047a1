/**
 * Turns a configuration as written (every field optional) into the effective configuration:
 * checked against the schema, defaults filled in, cross-field rules applied, secrets read from
 * the environment. Nothing here touches the network; file reads are injected.
 */

import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { formatPath, protocolError } from '@realtime-gateway/protocol';
import { checkValue } from '@realtime-gateway/protocol/schema';
import { type ConsoleConfig, DEFAULT_CONSOLE } from '../console/config.js';
import { type ContinuityConfig, resolveContinuity } from '../continuity/config.js';
import type { Dialect } from '../dialects/dialect.js';
import { type GuardrailConfig, resolveGuardrails } from '../guardrails/config.js';
import { type LedgerConfig, resolveLedgerConfig, resolvePrices } from '../ledger/config.js';
import { type McpConfig, resolveMcpConfig } from '../mcp/config.js';
import type { PriceOverride } from '../pricing/prices.js';
import { type RecordingConfig, resolveRecordingConfig } from '../recording/config.js';
import { type NodeConfig, resolveNodeConfig, resolveStoreConfig, type StoreConfig } from '../store/config.js';
import type { Budget } from '../vocabulary/budget.js';
import type { Limits } from '../vocabulary/limits.js';
import { type GatewayConfigInput, GatewayConfigSchema } from './schema.js';
import { resolveTelemetry, type TelemetryConfig } from './telemetry.js';

export type { Limits };

export type UpstreamKind = 'openai' | 'azure' | 'generic';
export type InputChecking = 'off' | 'warn' | 'enforce';
export type AuthMode = 'keys' | 'none' | 'passthrough';

/** An upstream, ready to connect to. */
export interface UpstreamConfig {
  readonly name: string;
  readonly baseUrl: string;
  readonly kind: UpstreamKind;
  /** The API key read from `apiKeyEnv`; never logged, never sent to clients. */
  readonly apiKey: string | null;
  readonly apiKeyEnv: string | null;
  readonly models: readonly string[];
  readonly weight: number;
  readonly maxSessions: number;
  readonly connectTimeoutMs: number;
  /** The upstream's cap on one session's length, or null for none. */
  readonly maxSessionMs: number | null;
  /** PEM text of extra certificate authorities. */
  readonly ca: string | null;
  readonly caFile: string | null;
  /** Whether client-declared MCP tools are forwarded or run by the gateway. */
  readonly mcpTools: 'native' | 'emulate';
  /**
   * Who mints client secrets for sessions on this upstream: the gateway (`mint`), or the
   * upstream, to which the request is forwarded (`forward`: OpenAI and Azure run such sessions
   * themselves).
   */
  readonly clientSecrets: 'forward' | 'mint';
  /**
   * Who answers WebRTC calls for this upstream's models: the gateway, bridging them to a
   * WebSocket session (`terminate`), or the upstream (`forward`: OpenAI and Azure run calls).
   */
  readonly webrtc: 'forward' | 'terminate';
  /** The protocol the upstream speaks; the gateway translates a session's events to it. */
  readonly dialect: Dialect;
}

/** A STUN or TURN server for the gateway's ICE agent, its credential read from the environment. */
export interface IceServerConfig {
  readonly urls: string;
  readonly username: string | null;
  /** Read from {@link credentialEnv}; never logged. */
  readonly credential: string | null;
  readonly credentialEnv: string | null;
}

/** WebRTC calls the gateway terminates. */
export interface WebRtcConfig {
  /** Local addresses ICE candidates may use; empty for every host address. */
  readonly iceAddresses: readonly string[];
  readonly iceServers: readonly IceServerConfig[];
  readonly maxCalls: number;
  readonly maxCallsPerKey: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** A gateway key as the gateway keeps it: only its hash. */
export interface KeyConfig {
  readonly id: string;
  /** Lower-case hex SHA-256 of the key. */
  readonly sha256: string;
  /** Models the key may use, or null for all. */
  readonly models: readonly string[] | null;
  readonly maxSessions: number;
  /** New sessions per minute, or null for no rate limit. */
  readonly sessionsPerMinute: number | null;
  readonly maxCalls: number;
  /** The dialect the key's clients speak when their upgrade does not say, or null (GA). */
  readonly dialect: Dialect | null;
  /** What the key may spend, or null for no cap. */
  readonly budget: Budget | null;
}

/** The effective configuration. */
export interface GatewayConfig {
  readonly server: {
    readonly host: string;
    readonly port: number;
    /**
     * Browser origins (`https://app.example.com`) allowed to open sessions and call the REST
     * endpoints; null for any. Requests without an `Origin` (servers) are not browsers.
     */
    readonly allowedOrigins: readonly string[] | null;
    /** Proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges). */
    readonly trustedProxies: readonly string[];
    /** PEM certificate and key when serving TLS. */
    readonly tls: {
      readonly cert: string;
      readonly key: string;
      readonly certFile: string;
      readonly keyFile: string;
    } | null;
    /**
     * The second listener with a certificate from the development certificate authority (made by
     * the command line in {@link GatewayConfig.dataDir}); never enabled together with `tls`.
     */
    readonly devTls: { readonly enabled: boolean; readonly port: number };
  };
  /** Absolute path of the directory where the gateway keeps what outlives a restart. */
  readonly dataDir: string;
  readonly upstreams: readonly UpstreamConfig[];
  readonly aliases: Readonly<Record<string, string>>;
  readonly auth: {
    readonly mode: AuthMode;
    readonly keys: readonly KeyConfig[];
    /** Whether `mode: none` may listen on an address that is not loopback (an open relay). */
    readonly allowAnonymous: boolean;
  };
  readonly admin: { readonly keyHash: string | null; readonly listen: Listen | null };
  readonly routing: {
    readonly maxAttempts: number;
    readonly failureThreshold: number;
    readonly cooldownMs: number;
    readonly loadRefreshMs: number;
  };
  readonly inputChecking: InputChecking;
  readonly limits: Limits;
  readonly log: {
    readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
    readonly format: 'json' | 'pretty';
  };
  readonly metrics: {
    readonly enabled: boolean;
    /** Where `/metrics` is served: a listener of its own, or (null) the client port. */
    readonly listen: Listen | null;
    /** The hex SHA-256 of the bearer token `/metrics` asks for, or null. */
    readonly keyHash: string | null;
  };
  readonly shutdown: { readonly drainMs: number };
  /** Client secrets the gateway mints (`POST /v1/realtime/client_secrets`). */
  readonly clientSecrets: {
    /** Lifetime of a secret whose request gives no `expires_after`. */
    readonly defaultTtlSeconds: number;
    /** The longest lifetime a request may ask for. */
    readonly maxTtlSeconds: number;
  };
  /** Deployment-wide state (slots, buckets, directory); see `store/config.ts`. */
  readonly store: StoreConfig;
  /** This node's name and internal listener (see `store/config.ts`). */
  readonly node: NodeConfig;
  readonly mcp: McpConfig;
  readonly webrtc: WebRtcConfig;
  /** OpenTelemetry traces; see `config/telemetry.ts`. */
  readonly telemetry: TelemetryConfig;
  /** Sessions outliving their upstream connection (see `continuity/config.ts`). */
  readonly continuity: ContinuityConfig;
  /** The usage ledger (see `ledger/config.ts`). */
  readonly ledger: LedgerConfig;
  /** Guardrails on input and output text (see `guardrails/config.ts`). */
  readonly guardrails: readonly GuardrailConfig[];
  /** Recorded sessions, or null when none is (see `recording/config.ts`). */
  readonly recording: RecordingConfig | null;
  /** The web console (served only with the admin API; see `console/config.ts`). */
  readonly console: ConsoleConfig;
  /** Price overrides by model, over the built-in table (`pricing/prices.ts`). */
  readonly prices: Readonly<Record<string, PriceOverride>>;
}

/** Default limits; the README's configuration reference lists the same values. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  // OpenAI accepts audio appends of up to 15 MiB; a frame carrying one is a little larger.
  maxFrameBytes: 16 * 1024 * 1024,
  idleTimeoutMs: 5 * 60_000,
  // OpenAI ends realtime sessions after 60 minutes.
  maxSessionMs: 60 * 60_000,
  sessionWarningMs: 60_000,
  maxSessions: 10_000,
  maxSessionsPerKey: 100,
  highWaterBytes: 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
  maxHeldFrames: 256,
  keepaliveMs: 30_000,
  maxRestBodyBytes: 1024 * 1024,
  restTimeoutMs: 30_000,
  // Above maxSessions: plain HTTP requests and pending upgrades need sockets too.
  maxConnections: 20_000,
  // Behind a proxy or load balancer every client shares its address; raise this there.
  maxConnectionsPerAddress: 1000,
  // Node's defaults (60 s for headers, 5 min for a request) let slow clients hold sockets long.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Room for failover: several upstream attempts of up to connectTimeoutMs each.
  upgradeTimeoutMs: 60_000,
});

export const DEFAULT_UPSTREAM = Object.freeze({
  kind: 'generic' as UpstreamKind,
  // A generic upstream (a self-hosted engine) cannot run MCP tools, so the gateway does.
  mcpTools: 'emulate' as 'native' | 'emulate',
  // A generic upstream (a self-hosted engine) has no client secrets of its own, so the gateway mints them.
  clientSecrets: 'mint' as 'forward' | 'mint',
  // A generic upstream (a self-hosted engine) speaks WebSocket only, so the gateway answers its calls.
  webrtc: 'terminate' as 'forward' | 'terminate',
  dialect: 'ga' as Dialect,
  models: ['*'],
  weight: 1,
  maxSessions: 10_000,
  connectTimeoutMs: 10_000,
  maxSessionMs: null as number | null,
});

/** OpenAI's defaults: 10 minutes unless asked, at most 2 hours. */
export const DEFAULT_CLIENT_SECRETS = Object.freeze({ defaultTtlSeconds: 600, maxTtlSeconds: 7200 });

/** Defaults of the `webrtc` section; the README's configuration reference lists the same values. */
export const DEFAULT_WEBRTC = Object.freeze({
  maxCalls: 1000,
  maxCallsPerKey: 100,
  // A browser sends RTCP at least every few seconds, and its microphone's RTP all the time.
  idleTimeoutMs: 15_000,
  connectTimeoutMs: 15_000,
});

/** The development TLS listener's port when `server.port` is not 0, and the data directory. */
export const DEFAULT_DEV_TLS_PORT = 8443;
export const DEFAULT_DATA_DIR = '.realtime-gateway';
/** The share of a budget past which a live session is warned. */
export const DEFAULT_BUDGET_WARN_AT = 0.8;

export const DEFAULT_ROUTING = Object.freeze({
  maxAttempts: 3,
  failureThreshold: 5,
  cooldownMs: 30_000,
  loadRefreshMs: 500,
});

/** A configuration problem, naming the field it concerns. */
export interface ConfigError {
  /** The field as a path: `upstreams[1].weight`, or '' for the file as a whole. */
  readonly field: string;
  readonly message: string;
}

export type ResolveResult =
  | { readonly ok: true; readonly config: GatewayConfig }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** What resolving needs from the outside world. */
export interface ResolveEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file (extra CA certificates); throws when it cannot. */
  readonly readFile: (path: string) => string;
  /** What a relative `dataDir` is relative to; default the process's working directory. */
  readonly cwd?: string;
}

/**
 * Whether a listening address is reachable from this machine only: `localhost`, 127.0.0.0/8 or
 * `::1` (also as an IPv4-mapped address). `0.0.0.0`, `::` and host names are not.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

const SHA256 = /^sha256:([0-9a-f]{64})$/i;

/** Where an operator listener listens (`admin.listen`, `metrics.listen`). */
export interface Listen {
  readonly host: string;
  readonly port: number;
}

/** A listener's settings; loopback unless a host is given. */
function listenOf(raw: { host?: string | null; port: number } | null): Listen | null {
  return raw === null ? null : { host: raw.host ?? '127.0.0.1', port: raw.port };
}

/** `server.trustedProxies`: each an IP address or a CIDR range of one. */
function proxyRanges(entries: readonly string[], errors: ConfigError[]): string[] {
  entries.forEach((entry, index) => {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = Number(prefix);
    const validPrefix = prefix === undefined || (/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32));
    if (family === 0 || !validPrefix || extra !== undefined)
      errors.push({
        field: `server.trustedProxies[${index}]`,
        message: `Expected an IP address or a CIDR range such as 10.0.0.0/8, not '${entry.slice(0, 64)}'.`,
      });
  });
  return [...entries];
}

/** A `sha256:<hex>` key hash as lower-case hex, or null (with an error when it is malformed). */
function keyHashOf(value: string | null, field: string, errors: ConfigError[]): string | null {
  if (value === null) return null;
  const match = SHA256.exec(value);
  if (match === null) {
    errors.push({ field, message: "Expected 'sha256:' followed by 64 hex digits." });
    return null;
  }
  return match[1]!.toLowerCase();
}

/** `server.allowedOrigins`: `*` for any, else origins exactly as a browser sends them. */
function allowedOrigins(
  given: readonly string[] | undefined,
  errors: ConfigError[],
): readonly string[] | null {
  if (given === undefined || given.includes('*')) return null;
  given.forEach((origin, index) => {
    let canonical: string | null = null;
    try {
      canonical = new URL(origin).origin;
    } catch {
      // Reported below.
    }
    if (canonical !== origin)
      errors.push({
        field: `server.allowedOrigins[${index}]`,
        message: `Expected an origin such as 'https://app.example.com' (scheme, host and port only), got '${origin}'.`,
      });
  });
  return given;
}

/**
 * Checks and completes a configuration.
 *
 * @example
 * const result = resolveConfig({ upstreams: [{ name: 'openai', baseUrl: 'https://api.openai.com/v1',
 *   kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY' }] }, { env: process.env, readFile });
 * if (!result.ok) for (const e of result.errors) console.error(`${e.field}: ${e.message}`);
 */
export function resolveConfig(input: unknown, environment: ResolveEnvironment): ResolveResult {
  const issue = checkValue(GatewayConfigSchema, input ?? {}, true);
  if (issue !== undefined) {
    const error = protocolError(issue, null);
    return { ok: false, errors: [{ field: formatPath(issue.path), message: error.message }] };
  }
  const raw = (input ?? {}) as GatewayConfigInput;
  const errors: ConfigError[] = [];

  const names = new Set<string>();
  const upstreams: UpstreamConfig[] = (raw.upstreams ?? []).map((u, i) => {
    const at = (field: string) => `upstreams[${i}].${field}`;
    if (names.has(u.name))
      errors.push({ field: at('name'), message: `Duplicate upstream name '${u.name}'.` });
    names.add(u.name);
    if (!isHttpUrl(u.baseUrl)) {
      errors.push({ field: at('baseUrl'), message: `Expected an http(s) or ws(s) URL, got '${u.baseUrl}'.` });
    }
    let apiKey: string | null = null;
    if (u.apiKeyEnv) {
      apiKey = environment.env[u.apiKeyEnv] ?? null;
      if (!apiKey) {
        errors.push({
          field: at('apiKeyEnv'),
          message: `Environment variable ${u.apiKeyEnv} is not set.`,
        });
      }
    }
    let ca: string | null = null;
    if (u.caFile) {
      try {
        ca = environment.readFile(u.caFile);
      } catch (error) {
        errors.push({ field: at('caFile'), message: `Cannot read ${u.caFile}: ${(error as Error).message}` });
      }
    }
    const kind = u.kind ?? DEFAULT_UPSTREAM.kind;
    return {
      name: u.name,
      baseUrl: u.baseUrl.replace(/\/+$/, ''),
      kind,
      apiKey,
      apiKeyEnv: u.apiKeyEnv ?? null,
      models: u.models ?? DEFAULT_UPSTREAM.models,
      weight: u.weight ?? DEFAULT_UPSTREAM.weight,
      maxSessions: u.maxSessions ?? DEFAULT_UPSTREAM.maxSessions,
      connectTimeoutMs: u.connectTimeoutMs ?? DEFAULT_UPSTREAM.connectTimeoutMs,
      maxSessionMs: maxSessionMs(u.maxSessionMs, kind),
      ca,
      caFile: u.caFile ?? null,
      mcpTools: u.mcpTools ?? (kind === 'generic' ? 'emulate' : 'native'),
      clientSecrets: u.clientSecrets ?? (kind === 'generic' ? 'mint' : 'forward'),
      webrtc: u.webrtc ?? (kind === 'generic' ? 'terminate' : 'forward'),
      dialect: u.dialect ?? DEFAULT_UPSTREAM.dialect,
    };
  });

  const givenLimits = withoutNulls(raw.limits ?? {});
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    // A smaller total lowers the per-address default with it; an explicit value is checked below.
    maxConnectionsPerAddress: Math.min(
      DEFAULT_LIMITS.maxConnectionsPerAddress,
      givenLimits.maxConnections ?? DEFAULT_LIMITS.maxConnections,
    ),
    ...givenLimits,
  };
  errors.push(...edgeLimitErrors(limits, upstreams));
  if (limits.highWaterBytes > limits.maxBufferedBytes) {
    errors.push({
      field: 'limits.highWaterBytes',
      message: `Must not exceed limits.maxBufferedBytes (${limits.maxBufferedBytes}).`,
    });
  }
  if (limits.sessionWarningMs >= limits.maxSessionMs) {
    errors.push({
      field: 'limits.sessionWarningMs',
      message: `Must be less than limits.maxSessionMs (${limits.maxSessionMs}).`,
    });
  }

  const keyIds = new Set<string>();
  const keys: KeyConfig[] = (raw.auth?.keys ?? []).map((k, i) => {
    const match = SHA256.exec(k.hash);
    if (!match) {
      errors.push({
        field: `auth.keys[${i}].hash`,
        message: "Expected 'sha256:' followed by 64 hex digits (realtime-gateway --hash-key prints it).",
      });
    }
    if (keyIds.has(k.id))
      errors.push({ field: `auth.keys[${i}].id`, message: `Duplicate key id '${k.id}'.` });
    const budget = k.budget ?? null;
    if (budget !== null && budget.usd == null && budget.tokens == null)
      errors.push({ field: `auth.keys[${i}].budget`, message: 'A budget needs usd, tokens or both.' });
    keyIds.add(k.id);
    return {
      id: k.id,
      sha256: (match?.[1] ?? '').toLowerCase(),
      models: k.models ?? null,
      maxSessions: k.maxSessions ?? limits.maxSessionsPerKey,
      sessionsPerMinute: k.sessionsPerMinute ?? null,
      maxCalls: k.maxCalls ?? raw.webrtc?.maxCallsPerKey ?? DEFAULT_WEBRTC.maxCallsPerKey,
      dialect: k.dialect ?? null,
      budget:
        budget === null
          ? null
          : {
              usd: budget.usd ?? null,
              tokens: budget.tokens ?? null,
              period: budget.period,
              warnAt: budget.warnAt ?? DEFAULT_BUDGET_WARN_AT,
            },
    };
  });
  const mode = raw.auth?.mode ?? (keys.length > 0 ? 'keys' : 'none');
  if (mode === 'keys' && keys.length === 0) {
    errors.push({ field: 'auth.keys', message: "auth.mode is 'keys' but no key is configured." });
  }
  const host = raw.server?.host ?? '127.0.0.1';
  const port = raw.server?.port ?? 8080;
  const allowAnonymous = raw.auth?.allowAnonymous ?? false;
  if (mode === 'none' && !allowAnonymous && !isLoopbackHost(host)) {
    errors.push({
      field: 'auth.allowAnonymous',
      message:
        `The gateway would listen on '${host}', which is not a loopback address, with auth.mode 'none': ` +
        'anyone who reaches it could open sessions on its upstreams and spend their keys. Configure ' +
        'gateway keys (auth.keys; realtime-gateway --hash-key KEY), or set auth.allowAnonymous: true ' +
        'to run an open relay on purpose.',
    });
  }

  const adminHash = keyHashOf(raw.admin?.keyHash ?? null, 'admin.keyHash', errors);
  const metricsHash = keyHashOf(raw.metrics?.keyHash ?? null, 'metrics.keyHash', errors);
  const adminListen = listenOf(raw.admin?.listen ?? null);
  const metricsListen = listenOf(raw.metrics?.listen ?? null);
  if (adminListen !== null && adminHash === null)
    errors.push({ field: 'admin.listen', message: 'The admin API needs admin.keyHash to exist.' });

  const aliases = raw.aliases ?? {};
  for (const [alias, target] of Object.entries(aliases)) {
    if (aliases[target] !== undefined) {
      errors.push({ field: `aliases.${alias}`, message: `Alias target '${target}' is itself an alias.` });
    }
  }

  const origins = allowedOrigins(raw.server?.allowedOrigins ?? undefined, errors);
  const trustedProxies = proxyRanges(raw.server?.trustedProxies ?? [], errors);
  let tls: GatewayConfig['server']['tls'] = null;
  if (raw.server?.tls) {
    const { certFile, keyFile } = raw.server.tls;
    const read = (file: string, field: string): string => {
      try {
        return environment.readFile(file);
      } catch (error) {
        errors.push({
          field: `server.tls.${field}`,
          message: `Cannot read ${file}: ${(error as Error).message}`,
        });
        return '';
      }
    };
    tls = { cert: read(certFile, 'certFile'), key: read(keyFile, 'keyFile'), certFile, keyFile };
  }
  const devTls = resolveDevTls(raw.server?.devTls ?? {}, { tls: tls !== null, host, port }, errors);

  const mcp = resolveMcpConfig(raw.mcp ?? undefined, environment.env, errors);
  const webrtc = resolveWebRtc(raw.webrtc ?? {}, environment.env, errors);
  const telemetry = resolveTelemetry(raw.telemetry ?? undefined, environment.env, errors);
  const cwd = environment.cwd ?? process.cwd();
  const dataDir = resolvePath(cwd, raw.dataDir ?? DEFAULT_DATA_DIR);
  const ledger = resolveLedgerConfig(raw.ledger, { dataDir, cwd, env: environment.env }, errors);
  // A budget is counted from the ledger's records: without a ledger nothing would count.
  if (!ledger.enabled)
    keys.forEach((key, i) => {
      if (key.budget !== null)
        errors.push({
          field: `auth.keys[${i}].budget`,
          message: 'Budgets are counted from the usage ledger, which ledger.enabled: false turns off.',
        });
    });

  const guardrails = resolveGuardrails(raw.guardrails, environment.env, errors);

  const store = resolveStoreConfig(raw.store, environment, errors);
  const node = resolveNodeConfig(raw.node, store, environment, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      server: { host, port, tls, devTls, allowedOrigins: origins, trustedProxies },
      dataDir,
      upstreams,
      aliases,
      auth: { mode, keys, allowAnonymous },
      admin: { keyHash: adminHash, listen: adminListen },
      routing: { ...DEFAULT_ROUTING, ...withoutNulls(raw.routing ?? {}) },
      inputChecking: raw.inputChecking ?? 'enforce',
      limits,
      log: { level: raw.log?.level ?? 'info', format: raw.log?.format ?? 'json' },
      metrics: { enabled: raw.metrics?.enabled ?? true, listen: metricsListen, keyHash: metricsHash },
      shutdown: { drainMs: raw.shutdown?.drainMs ?? 10_000 },
      clientSecrets: {
        defaultTtlSeconds: Math.min(
          raw.clientSecrets?.defaultTtlSeconds ?? DEFAULT_CLIENT_SECRETS.defaultTtlSeconds,
          raw.clientSecrets?.maxTtlSeconds ?? DEFAULT_CLIENT_SECRETS.maxTtlSeconds,
        ),
        maxTtlSeconds: raw.clientSecrets?.maxTtlSeconds ?? DEFAULT_CLIENT_SECRETS.maxTtlSeconds,
      },
      store,
      node,
      mcp,
      webrtc,
      telemetry,
      ledger,
      guardrails,
      recording: resolveRecordingConfig(raw.recording, cwd),
      console: { ...DEFAULT_CONSOLE, ...withoutNulls(raw.console ?? {}) },
      prices: resolvePrices(raw.prices),
      continuity: resolveContinuity(raw.continuity),
    },
  };
}

/**
 * `server.devTls`: on by default when the gateway serves no certificate of its own and listens on
 * loopback only (the development certificate names loopback addresses only); never with one.
 */
function resolveDevTls(
  raw: { readonly enabled?: boolean | null; readonly port?: number | null },
  server: { readonly tls: boolean; readonly host: string; readonly port: number },
  errors: ConfigError[],
): GatewayConfig['server']['devTls'] {
  const enabled = raw.enabled ?? (!server.tls && isLoopbackHost(server.host));
  const port = raw.port ?? (server.port === 0 ? 0 : DEFAULT_DEV_TLS_PORT);
  if (raw.enabled === true && server.tls) {
    errors.push({
      field: 'server.devTls.enabled',
      message:
        'Must not be true with server.tls: a gateway with a certificate of its own never serves a development one.',
    });
  }
  if (enabled && port !== 0 && port === server.port) {
    errors.push({ field: 'server.devTls.port', message: `Must differ from server.port (${server.port}).` });
  }
  return { enabled: enabled && !server.tls, port };
}

/** The `webrtc` section with its defaults; TURN credentials come from the environment. */
function resolveWebRtc(
  raw: NonNullable<GatewayConfigInput['webrtc']>,
  env: ResolveEnvironment['env'],
  errors: ConfigError[],
): WebRtcConfig {
  const iceAddresses = raw.iceAddresses ?? [];
  iceAddresses.forEach((address, i) => {
    if (isIP(address) === 0)
      errors.push({
        field: `webrtc.iceAddresses[${i}]`,
        message: `Expected an IP address, got '${address}'.`,
      });
  });
  const iceServers = (raw.iceServers ?? []).map((server, i) => {
    if (!/^(stun|stuns|turn|turns):/.test(server.urls))
      errors.push({
        field: `webrtc.iceServers[${i}].urls`,
        message: `Expected a stun: or turn: URL, got '${server.urls}'.`,
      });
    let credential: string | null = null;
    if (server.credentialEnv) {
      credential = env[server.credentialEnv] ?? null;
      if (!credential)
        errors.push({
          field: `webrtc.iceServers[${i}].credentialEnv`,
          message: `Environment variable ${server.credentialEnv} is not set.`,
        });
    }
    return {
      urls: server.urls,
      username: server.username ?? null,
      credential,
      credentialEnv: server.credentialEnv ?? null,
    };
  });
  return {
    iceAddresses,
    iceServers,
    maxCalls: raw.maxCalls ?? DEFAULT_WEBRTC.maxCalls,
    maxCallsPerKey: raw.maxCallsPerKey ?? DEFAULT_WEBRTC.maxCallsPerKey,
    idleTimeoutMs: raw.idleTimeoutMs ?? DEFAULT_WEBRTC.idleTimeoutMs,
    connectTimeoutMs: raw.connectTimeoutMs ?? DEFAULT_WEBRTC.connectTimeoutMs,
  };
}

/** The rules between the edge limits, and between them and the upstreams' connect timeouts. */
function edgeLimitErrors(limits: Limits, upstreams: readonly UpstreamConfig[]): ConfigError[] {
  const errors: ConfigError[] = [];
  if (limits.maxConnectionsPerAddress > limits.maxConnections) {
    errors.push({
      field: 'limits.maxConnectionsPerAddress',
      message: `Must not exceed limits.maxConnections (${limits.maxConnections}).`,
    });
  }
  // Node refuses a headers timeout longer than the request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    errors.push({
      field: 'limits.headersTimeoutMs',
      message: `Must not exceed limits.requestTimeoutMs (${limits.requestTimeoutMs}).`,
    });
  }
  const slowest = upstreams.reduce<UpstreamConfig | null>(
    (max, u) => (max === null || u.connectTimeoutMs > max.connectTimeoutMs ? u : max),
    null,
  );
  if (slowest !== null && limits.upgradeTimeoutMs <= slowest.connectTimeoutMs) {
    errors.push({
      field: 'limits.upgradeTimeoutMs',
      message: `Must exceed the longest upstream connectTimeoutMs (${slowest.connectTimeoutMs}, upstream '${slowest.name}'), or no connection to it could complete.`,
    });
  }
  return errors;
}

function isHttpUrl(value: string): boolean {
  try {
    return /^(https?|wss?):$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Drops explicit nulls so that spreading over defaults keeps the defaults. */
/** OpenAI ends a realtime session after 60 minutes; other upstreams say nothing of a cap. */
const OPENAI_MAX_SESSION_MS = 3_600_000;

function maxSessionMs(given: number | null | undefined, kind: UpstreamKind): number | null {
  const value = given ?? (kind === 'openai' ? OPENAI_MAX_SESSION_MS : 0);
  return value > 0 ? value : null;
}

function withoutNulls<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) out[key] = v;
  return out as { [K in keyof T]?: Exclude<T[K], null> };
}

/**
 * Whether the gateway terminates every WebRTC call itself: no upstream runs calls of its own, so
 * a call id the gateway does not hold can be no upstream's either.
 */
export function everyCallTerminated(config: Pick<GatewayConfig, 'upstreams'>): boolean {
  return config.upstreams.every((upstream) => upstream.webrtc === 'terminate');
}
