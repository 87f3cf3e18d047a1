import type { IncomingHttpHeaders } from 'node:http';
import type { AuthMode, KeyConfig } from '../config/resolve.js';
import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import { ClientSecrets, isClientSecret, type RedeemedSecret } from '../secrets/client-secrets.js';
import { MemoryStore } from '../store/memory-store.js';
import { rateBucket } from '../store/pools.js';
import { type Store, StoreError } from '../store/store.js';
import { extractCredential, hashKey } from './credentials.js';

/** Who a request is, once authenticated. */
export interface Principal {
  /** The gateway key's id; null when auth is off or in passthrough mode. */
  readonly keyId: string | null;
  /** The gateway key's settings; null when auth is off or in passthrough mode. */
  readonly key: KeyConfig | null;
  /**
   * In passthrough mode, the client's own upstream key, sent upstream in place of the
   * configured one. Null otherwise: a gateway key never goes upstream.
   */
  readonly upstreamKey: string | null;
  /** The client secret the request came with, once redeemed: its session configuration applies. */
  readonly secret: RedeemedSecret | null;
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly refusal: Refusal };

const ANONYMOUS: Principal = Object.freeze({ keyId: null, key: null, upstreamKey: null, secret: null });

/** A key's new-session rate is counted per minute. */
const RATE_PERIOD_MS = 60_000;

/**
 * Checks credentials, per-key model permissions and per-key rate limits. Keys are looked up by
 * their hash, so the clear key is never compared or kept. Rate limits are buckets in the store,
 * one per key for the whole deployment.
 *
 * @example
 * const auth = new Authenticator('keys', config.auth.keys, store);
 * const result = auth.authenticate(req.headers);
 * if (!result.ok) return refuse(result.refusal);
 */
export class Authenticator {
  private readonly byHash = new Map<string, KeyConfig>();
  private readonly byId = new Map<string, KeyConfig>();
  /** The client secrets this gateway mints and accepts. */
  readonly secrets: ClientSecrets;

  constructor(
    readonly mode: AuthMode,
    keys: readonly KeyConfig[],
    /** Where the rate-limit buckets are; by default this process's memory. */
    private readonly store: Store = new MemoryStore(),
  ) {
    for (const key of keys) {
      this.byHash.set(key.sha256, key);
      this.byId.set(key.id, key);
    }
    this.secrets = new ClientSecrets(store);
  }

  /**
   * Identifies the caller from its headers (bearer or subprotocol), without using up a client
   * secret: a secret is no API key, so here it is refused unless keys pass through. Use
   * {@link admitSession} where a secret may open a session.
   */
  authenticate(headers: IncomingHttpHeaders): AuthResult {
    if (this.mode === 'none') return { ok: true, principal: ANONYMOUS };
    const credential = extractCredential(headers);
    if (credential === null) {
      return {
        ok: false,
        refusal: refusal(
          401,
          'missing_api_key',
          "You didn't provide an API key. Provide it as 'Authorization: Bearer <key>' or, from a browser, as the subprotocol 'openai-insecure-api-key.<key>'.",
        ),
      };
    }
    if (this.mode === 'passthrough') {
      return { ok: true, principal: { keyId: null, key: null, upstreamKey: credential.key, secret: null } };
    }
    const key = this.byHash.get(hashKey(credential.key));
    if (key === undefined) {
      return { ok: false, refusal: refusal(401, 'invalid_api_key', 'Incorrect API key provided.') };
    }
    return { ok: true, principal: { keyId: key.id, key, upstreamKey: null, secret: null } };
  }

  /**
   * Identifies who opens a session: as {@link authenticate}, and a client secret the gateway
   * minted is redeemed (used up) and stands for the key that minted it. In passthrough mode
   * every credential, client secrets included, is the client's upstream key.
   */
  async admitSession(headers: IncomingHttpHeaders): Promise<AuthResult> {
    const credential = extractCredential(headers);
    if (credential === null || !isClientSecret(credential.key) || this.mode === 'passthrough')
      return this.authenticate(headers);
    let secret: RedeemedSecret | null;
    try {
      secret = await this.secrets.redeem(credential.key);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return { ok: false, refusal: storeUnavailable() };
    }
    const keyId = secret?.binding.keyId ?? null;
    const key = keyId === null ? null : (this.byId.get(keyId) ?? null);
    // A secret whose key has since been removed from the configuration opens nothing.
    if (secret === null || (keyId !== null && key === null)) {
      return {
        ok: false,
        refusal: refusal(401, 'invalid_api_key', 'The client secret is unknown, already used or expired.'),
      };
    }
    return { ok: true, principal: { keyId, key, upstreamKey: null, secret } };
  }

  /** Refuses (403) a model the key is not allowed to use. */
  authorizeModel(principal: Principal, model: string): Refusal | null {
    const allowed = principal.key?.models;
    if (allowed == null || allowed.includes(model)) return null;
    return refusal(
      403,
      'model_not_allowed',
      `The key '${principal.keyId}' may not use the model '${model}'.`,
      {
        param: 'model',
      },
    );
  }

  /** Takes one new-session token from the key's rate limit, or refuses (429; 503 if the store cannot say). */
  async takeSessionToken(principal: Principal): Promise<Refusal | null> {
    const perMinute = principal.key?.sessionsPerMinute ?? null;
    if (principal.keyId === null || perMinute === null) return null;
    let taken: boolean;
    try {
      taken = await this.store.take(rateBucket(principal.keyId), perMinute, RATE_PERIOD_MS);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return storeUnavailable();
    }
    if (taken) return null;
    return refusal(
      429,
      'rate_limit_exceeded',
      `The key '${principal.keyId}' opened more than ${principal.key?.sessionsPerMinute} sessions in a minute.`,
      { type: 'rate_limit_error' },
    );
  }
}
