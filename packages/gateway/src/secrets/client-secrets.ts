/**
 * Client secrets minted by the gateway: short-lived keys (`ek_…`) an application's server gets
 * for a browser or phone, bound to the gateway key that minted them and to a session
 * configuration. A secret opens one session, before it expires; it is kept in the store only as
 * a hash, so neither the store nor a log ever holds a usable secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { SessionIntent } from '../vocabulary/session.js';

/** OpenAI's ephemeral keys start so; SDKs use the prefix to tell them from API keys. */
export const CLIENT_SECRET_PREFIX = 'ek_';

/** What a secret was minted for, and what the session it opens is bound to. */
export interface SecretBinding {
  /** The gateway key that minted it (null when auth is off); its limits apply to the session. */
  readonly keyId: string | null;
  /** The model as the minting request named it (before alias rewriting); null for transcription. */
  readonly model: string | null;
  readonly intent: SessionIntent;
  /** The session configuration, applied before the client's first event. */
  readonly session: Readonly<Record<string, unknown>>;
  /** Unix time, in seconds, after which the secret opens nothing. */
  readonly expiresAt: number;
}

/** A minted secret: its value (shown once, to the minting caller) and when it expires. */
export interface MintedSecret {
  readonly value: string;
  readonly expiresAt: number;
}

/** A secret taken from the store to open a session. */
export interface RedeemedSecret {
  readonly binding: SecretBinding;
  /**
   * Puts the secret back, for the time it has left: the session it was to open was refused
   * (a limit, an unreachable upstream), and a refusal should not cost the client its secret.
   */
  giveBack(): Promise<void>;
}

/** Whether a credential is a client secret rather than an API key. */
export function isClientSecret(credential: string): boolean {
  return credential.startsWith(CLIENT_SECRET_PREFIX);
}

/** The store key of a secret: its hash, never the secret. */
function storeKey(value: string): string {
  return `client_secret:${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

/**
 * Mints and redeems client secrets in the store, so that one minted on any process (or node)
 * opens a session on any other, once.
 *
 * @example
 * const secrets = new ClientSecrets(store);
 * const { value, expiresAt } = await secrets.mint({ keyId: 'app', model: 'gpt-realtime', intent: 'conversation', session }, 600);
 * // … the browser connects with `value`
 * const redeemed = await secrets.redeem(value); // null the second time
 */
export class ClientSecrets {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async mint(binding: Omit<SecretBinding, 'expiresAt'>, ttlSeconds: number): Promise<MintedSecret> {
    const value = `${CLIENT_SECRET_PREFIX}${randomBytes(24).toString('base64url')}`;
    const expiresAt = Math.floor(this.now() / 1000) + ttlSeconds;
    const kept: SecretBinding = { ...binding, expiresAt };
    await this.store.put(storeKey(value), JSON.stringify(kept), ttlSeconds * 1000);
    return { value, expiresAt };
  }

  /** Takes a secret to open a session: used up unless given back; null when unknown, used or expired. */
  async redeem(value: string): Promise<RedeemedSecret | null> {
    const key = storeKey(value);
    const kept = await this.store.pop(key);
    if (kept === null) return null;
    const binding = JSON.parse(kept) as SecretBinding;
    if (binding.expiresAt * 1000 <= this.now()) return null;
    return {
      binding,
      giveBack: async () => {
        const left = binding.expiresAt * 1000 - this.now();
        if (left > 0) await this.store.put(key, kept, left);
      },
    };
  }
}
