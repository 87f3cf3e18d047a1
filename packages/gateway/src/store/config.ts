/**
 * The `store` and `node` sections of the configuration: where deployment-wide state lives (this
 * process's memory, or Redis shared by every node), what admission does while it cannot be
 * reached, and how this node is named and reached by the others.
 */
import { hostname } from 'node:os';
import {
  boolean,
  enumOf,
  type Infer,
  integer,
  object,
  optional,
  string,
} from '@realtime-gateway/protocol/schema';
import type { ConfigError } from '../config/resolve.js';

const ttl = () => optional(integer({ min: 1000 }));

export const StoreConfigSchema = object({
  /** How long a node's session slots and directory entries outlive it if it dies without giving them back. */
  leaseTtlMs: ttl(),
  /** How long a store operation may take before it counts as failed. */
  timeoutMs: optional(integer({ min: 1 })),
  /**
   * What admission does while the store cannot answer: `fail-closed` (the default) refuses new
   * sessions with 503 `store_unavailable`; `fail-open` admits them on this node's own counts.
   */
  onUnavailable: optional(enumOf(['fail-closed', 'fail-open'])),
  /** Keep the state in Redis (or Valkey), shared by every node that names the same server and prefix. */
  redis: optional(
    object({
      /** `redis://host:6379/0`, or `rediss://` for TLS; better without the password, which goes in `passwordEnv`. */
      url: string(),
      /** The environment variable holding the password (Redis `AUTH`). */
      passwordEnv: optional(string()),
      /** The user name for Redis ACLs, when not `default`. */
      username: optional(string()),
      /** Prefix of every key and channel; nodes with the same prefix are one deployment (default `realtime-gateway:`). */
      keyPrefix: optional(string()),
      /** TLS to Redis (implied by `rediss://`): extra CA, client certificate and key, as PEM files. */
      tls: optional(
        object({
          caFile: optional(string()),
          certFile: optional(string()),
          keyFile: optional(string()),
          /** Check the server's certificate (default true). */
          rejectUnauthorized: optional(boolean()),
        }),
      ),
    }),
  ),
});

export const NodeConfigSchema = object({
  /** This node's name in metrics (`node` label), logs and the admin API; default the host name. */
  id: optional(string()),
  /**
   * The listener the deployment's other nodes pass requests to (a call's hangup or sideband
   * connection held here). Opened with `store.redis`; it takes only requests carrying the token.
   */
  internal: optional(
    object({
      /** Default 127.0.0.1: set the address the other nodes reach this one on. */
      host: optional(string()),
      /** 0 (the default) picks a free port, which is advertised. */
      port: optional(integer({ min: 0, max: 65_535 })),
      /** The host the other nodes are told to use, when not `host` (for example the pod's IP). */
      advertiseHost: optional(string()),
    }),
  ),
  /** The environment variable holding the token every node of the deployment shares (32+ characters). */
  tokenEnv: optional(string()),
});

export type StoreConfigInput = Infer<typeof StoreConfigSchema>;
export type NodeConfigInput = Infer<typeof NodeConfigSchema>;

/** TLS to Redis, the files read. */
export interface RedisTlsConfig {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
  readonly rejectUnauthorized: boolean;
}

export interface RedisConfig {
  readonly url: string;
  readonly username: string | null;
  /** Read from {@link passwordEnv}; never logged. */
  readonly password: string | null;
  readonly passwordEnv: string | null;
  readonly keyPrefix: string;
  /** Null for plain TCP (a `redis://` URL without `tls`). */
  readonly tls: RedisTlsConfig | null;
}

export interface StoreConfig {
  readonly leaseTtlMs: number;
  readonly timeoutMs: number;
  readonly onUnavailable: 'fail-closed' | 'fail-open';
  /** Null: the store is this process's memory (or, with `--workers`, the primary's). */
  readonly redis: RedisConfig | null;
}

export interface NodeConfig {
  readonly id: string;
  readonly internal: { readonly host: string; readonly port: number; readonly advertiseHost: string | null };
  /** Read from {@link tokenEnv}; never logged. Null when no variable is named. */
  readonly token: string | null;
  readonly tokenEnv: string | null;
}

/** Defaults of the `store` section; the README's configuration reference lists the same values. */
export const DEFAULT_STORE = Object.freeze({
  leaseTtlMs: 15_000,
  timeoutMs: 2000,
  onUnavailable: 'fail-closed' as const,
  keyPrefix: 'realtime-gateway:',
});

/** The shortest node token: it is all that stands between the network and the internal listener. */
export const MIN_NODE_TOKEN_LENGTH = 32;

/** Where the section resolvers read the environment and files. */
export interface StoreEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

/**
 * The `store` section with its defaults, the Redis password and TLS files read.
 *
 * @example
 * resolveStoreConfig({ redis: { url: 'redis://10.0.0.9:6379', passwordEnv: 'REDIS_PASSWORD' } },
 *   { env: process.env, readFile }, errors);
 */
export function resolveStoreConfig(
  given: StoreConfigInput | null | undefined,
  environment: StoreEnvironment,
  errors: ConfigError[],
): StoreConfig {
  return {
    leaseTtlMs: given?.leaseTtlMs ?? DEFAULT_STORE.leaseTtlMs,
    timeoutMs: given?.timeoutMs ?? DEFAULT_STORE.timeoutMs,
    onUnavailable: given?.onUnavailable ?? DEFAULT_STORE.onUnavailable,
    redis: given?.redis ? resolveRedis(given.redis, environment, errors) : null,
  };
}

function resolveRedis(
  given: NonNullable<StoreConfigInput['redis']>,
  environment: StoreEnvironment,
  errors: ConfigError[],
): RedisConfig {
  let scheme: string | null = null;
  try {
    scheme = new URL(given.url).protocol;
  } catch {}
  // The URL is not repeated: it may carry a password.
  if (scheme !== 'redis:' && scheme !== 'rediss:')
    errors.push({ field: 'store.redis.url', message: 'Expected a redis:// or rediss:// URL.' });
  let password: string | null = null;
  if (given.passwordEnv) {
    password = environment.env[given.passwordEnv] ?? null;
    if (!password)
      errors.push({
        field: 'store.redis.passwordEnv',
        message: `Environment variable ${given.passwordEnv} is not set.`,
      });
  }
  const read = (file: string | null | undefined, field: string): string | null => {
    if (!file) return null;
    try {
      return environment.readFile(file);
    } catch (error) {
      errors.push({
        field: `store.redis.tls.${field}`,
        message: `Cannot read ${file}: ${(error as Error).message}`,
      });
      return null;
    }
  };
  const tls =
    given.tls || scheme === 'rediss:'
      ? {
          ca: read(given.tls?.caFile, 'caFile'),
          cert: read(given.tls?.certFile, 'certFile'),
          key: read(given.tls?.keyFile, 'keyFile'),
          rejectUnauthorized: given.tls?.rejectUnauthorized ?? true,
        }
      : null;
  if ((tls?.cert === null) !== (tls?.key === null))
    errors.push({
      field: 'store.redis.tls',
      message: 'A client certificate needs its key, and a key its certificate.',
    });
  return {
    url: given.url,
    username: given.username ?? null,
    password,
    passwordEnv: given.passwordEnv ?? null,
    keyPrefix: given.keyPrefix ?? DEFAULT_STORE.keyPrefix,
    tls,
  };
}

/**
 * The `node` section with its defaults, the token read. With a Redis store the token is needed:
 * without it no node could pass another a request about a call it holds.
 *
 * @example
 * resolveNodeConfig({ id: 'gw-a', tokenEnv: 'GATEWAY_NODE_TOKEN' }, { redis: true }, { env, readFile }, errors);
 */
export function resolveNodeConfig(
  given: NodeConfigInput | null | undefined,
  store: Pick<StoreConfig, 'redis'>,
  environment: StoreEnvironment,
  errors: ConfigError[],
): NodeConfig {
  const id = given?.id ?? hostname();
  // The id becomes a metric label and part of key names: printable, no separators.
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id))
    errors.push({ field: 'node.id', message: 'Expected 1 to 64 letters, digits, ".", "_" or "-".' });
  let token: string | null = null;
  if (given?.tokenEnv) {
    token = environment.env[given.tokenEnv] ?? null;
    if (token === null || token.length < MIN_NODE_TOKEN_LENGTH)
      errors.push({
        field: 'node.tokenEnv',
        message: `Environment variable ${given.tokenEnv} must hold at least ${MIN_NODE_TOKEN_LENGTH} characters.`,
      });
  } else if (store.redis !== null)
    errors.push({
      field: 'node.tokenEnv',
      message:
        'store.redis makes this node one of several: name the environment variable holding the token ' +
        `they share (${MIN_NODE_TOKEN_LENGTH}+ characters), which the internal listener checks.`,
    });
  return {
    id,
    internal: {
      host: given?.internal?.host ?? '127.0.0.1',
      port: given?.internal?.port ?? 0,
      advertiseHost: given?.internal?.advertiseHost ?? null,
    },
    token,
    tokenEnv: given?.tokenEnv ?? null,
  };
}
