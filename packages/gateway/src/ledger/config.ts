/**
 * The `ledger` and `prices` sections of the configuration: where usage is written and how, and
 * the prices it is costed at.
 */
import { join, resolve as resolvePath } from 'node:path';
import {
  boolean,
  type Infer,
  integer,
  number,
  object,
  optional,
  record,
  string,
} from '@realtime-gateway/protocol/schema';
import type { ConfigError } from '../config/resolve.js';
import { PRICE_KINDS, type PriceOverride } from '../pricing/prices.js';

const priceField = () => optional(number({ min: 0 }));

/** A model's prices in USD, per million tokens of each kind and per minute of audio; any subset. */
export const PriceConfigSchema = object({
  textInput: priceField(),
  cachedTextInput: priceField(),
  audioInput: priceField(),
  cachedAudioInput: priceField(),
  imageInput: priceField(),
  cachedImageInput: priceField(),
  textOutput: priceField(),
  audioOutput: priceField(),
  /** USD per minute of audio, for transcription billed by duration. */
  perMinute: priceField(),
});

/** Prices by model name (a dated snapshot name falls back to its model's). */
export const PricesConfigSchema = record(PriceConfigSchema);

export const LedgerConfigSchema = object({
  /** Meter usage into the ledger (default true). */
  enabled: optional(boolean()),
  /** The embedded store (the default): a SQLite file. */
  sqlite: optional(
    object({
      /** Relative to the working directory; default `ledger.sqlite` in `dataDir`. */
      path: optional(string()),
    }),
  ),
  /** A PostgreSQL store instead, shared by every node of a deployment. */
  postgres: optional(
    object({
      /** `postgres://user@host:5432/database`: better without the password, which goes in `passwordEnv`. */
      url: string(),
      /** The environment variable holding the password. */
      passwordEnv: optional(string()),
      /** Connections kept open (default 2). */
      maxConnections: optional(integer({ min: 1, max: 100 })),
    }),
  ),
  /** Records per write (default 500). */
  batchSize: optional(integer({ min: 1, max: 10_000 })),
  /** Longest a record waits before it is written, in milliseconds (default 1000). */
  flushIntervalMs: optional(integer({ min: 10 })),
  /** Records kept queued at most while the ledger is down; beyond, new ones are lost, counted and logged (default 100000). */
  maxQueued: optional(integer({ min: 1 })),
  /** Wait between attempts while the ledger is down, in milliseconds (default 5000). */
  retryMs: optional(integer({ min: 10 })),
});

export type LedgerConfigInput = Infer<typeof LedgerConfigSchema>;

/** Where the ledger lives. */
export type LedgerStore =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /** Read from {@link passwordEnv}; never logged. */
      readonly password: string | null;
      readonly passwordEnv: string | null;
      readonly maxConnections: number;
    };

export interface LedgerConfig {
  readonly enabled: boolean;
  readonly store: LedgerStore;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueued: number;
  readonly retryMs: number;
}

/** Defaults of the `ledger` section; the README's configuration reference lists the same values. */
export const DEFAULT_LEDGER = Object.freeze({
  sqliteFile: 'ledger.sqlite',
  batchSize: 500,
  flushIntervalMs: 1000,
  // About 30 MB of records: hours of a busy gateway's usage through an outage.
  maxQueued: 100_000,
  retryMs: 5000,
  maxConnections: 2,
});

/**
 * The `ledger` section with its defaults, the PostgreSQL password read from the environment.
 *
 * @example
 * resolveLedgerConfig({ postgres: { url: 'postgres://gw@db/usage', passwordEnv: 'PGPASSWORD' } },
 *   { dataDir: '/srv/gw/.realtime-gateway', cwd: '/srv/gw', env: process.env }, errors);
 */
export function resolveLedgerConfig(
  raw: LedgerConfigInput | null | undefined,
  where: {
    readonly dataDir: string;
    readonly cwd: string;
    readonly env: Readonly<Record<string, string | undefined>>;
  },
  errors: ConfigError[],
): LedgerConfig {
  const given = raw ?? {};
  let store: LedgerStore = {
    kind: 'sqlite',
    path: given.sqlite?.path
      ? resolvePath(where.cwd, given.sqlite.path)
      : join(where.dataDir, DEFAULT_LEDGER.sqliteFile),
  };
  if (given.postgres) {
    const { url, passwordEnv } = given.postgres;
    if (given.sqlite)
      errors.push({ field: 'ledger.sqlite', message: 'Give ledger.sqlite or ledger.postgres, not both.' });
    // The URL is not repeated: it may carry a password.
    if (!/^postgres(ql)?:\/\/[^/]/.test(url) || !canParse(url))
      errors.push({
        field: 'ledger.postgres.url',
        message: 'Expected a URL such as postgres://user@host:5432/database.',
      });
    let password: string | null = null;
    if (passwordEnv) {
      password = where.env[passwordEnv] ?? null;
      if (!password)
        errors.push({
          field: 'ledger.postgres.passwordEnv',
          message: `Environment variable ${passwordEnv} is not set.`,
        });
    }
    store = {
      kind: 'postgres',
      url,
      password,
      passwordEnv: passwordEnv ?? null,
      maxConnections: given.postgres.maxConnections ?? DEFAULT_LEDGER.maxConnections,
    };
  }
  return {
    enabled: given.enabled ?? true,
    store,
    batchSize: given.batchSize ?? DEFAULT_LEDGER.batchSize,
    flushIntervalMs: given.flushIntervalMs ?? DEFAULT_LEDGER.flushIntervalMs,
    maxQueued: given.maxQueued ?? DEFAULT_LEDGER.maxQueued,
    retryMs: given.retryMs ?? DEFAULT_LEDGER.retryMs,
  };
}

/** The `prices` section: overrides by model, only the kinds given. */
export function resolvePrices(
  raw: Readonly<Record<string, Infer<typeof PriceConfigSchema>>> | null | undefined,
): Readonly<Record<string, PriceOverride>> {
  const out: Record<string, PriceOverride> = {};
  for (const [model, given] of Object.entries(raw ?? {})) {
    const override: Record<string, number> = {};
    for (const kind of PRICE_KINDS) {
      const value = given[kind];
      if (typeof value === 'number') override[kind] = value;
    }
    out[model] = override;
  }
  return out;
}

function canParse(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}
