/**
 * Resume tokens: what a client presents to get its session back after its connection dropped.
 * A token names a session, is bound to the key that opened it and expires; it is signed with
 * HMAC-SHA256, so nothing needs storing to check one. The secret is the process's own, or, in a
 * deployment of several processes (`--workers`, nodes sharing a store), one derived from the
 * deployment's forwarding token ({@link deploymentResumeSecret}): any process then knows a
 * token for genuine and can pass the resume to the process that holds the session.
 *
 * The token carries the session id and expiry in the clear (the client knows both) and a keyed
 * fingerprint of the key id, never the key id itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Refusal, refusal } from '../refusal.js';

const PREFIX = 'rt1';
/** Longer than any token this module mints; longer input is refused before any work. */
const MAX_TOKEN_LENGTH = 512;
const FINGERPRINT_BYTES = 12;

/** What a valid token vouches for. */
export interface ResumeGrant {
  readonly sessionId: string;
  readonly keyId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Why a token was refused. `unknown`: malformed, forged, or minted by another process (or
 * before a restart). `other_key`: valid, but the session belongs to another key. `expired`:
 * valid and the caller's, but too old.
 */
export type ResumeRefusal =
  | { readonly ok: false; readonly reason: 'unknown' }
  | { readonly ok: false; readonly reason: 'other_key' }
  | {
      readonly ok: false;
      readonly reason: 'expired';
      readonly sessionId: string;
      readonly expiredAt: number;
    };

/** The outcome of checking a token. */
export type ResumeCheck = ({ readonly ok: true } & ResumeGrant) | ResumeRefusal;

/** Mints and checks resume tokens under one secret. */
export interface ResumeTokens {
  /** A token for the session, bound to the key, valid for `ttlMs` from `now`. */
  mint(sessionId: string, keyId: string, options: { readonly ttlMs: number; readonly now: number }): string;
  /** Checks a token presented by a caller authenticated as `keyId`, at `now`. */
  check(token: string, keyId: string, now: number): ResumeCheck;
  /**
   * The session a genuine token names, whoever presents it and however old it is; null for
   * anything else. Only to find where the session lives: {@link check} decides the resume.
   */
  sessionOf(token: string): string | null;
}

export interface ResumeTokenOptions {
  /** The signing secret, at least 32 bytes; a fresh random one by default (for tests, a fixed one). */
  readonly secret?: Uint8Array;
}

/**
 * Resume tokens signed with a secret of their own. Make one per process: tokens from another
 * instance (another secret) are `unknown`.
 *
 * @example
 * const tokens = createResumeTokens();
 * const token = tokens.mint(session.id, key.id, { ttlMs: 60_000, now: Date.now() });
 * const result = tokens.check(token, key.id, Date.now());
 * if (!result.ok) return refuse(resumeRefusal(result));
 */
export function createResumeTokens(options: ResumeTokenOptions = {}): ResumeTokens {
  const secret = options.secret === undefined ? randomBytes(32) : Buffer.from(options.secret);
  if (secret.length < 32) throw new RangeError('a resume token secret needs at least 32 bytes');
  const mac = (label: string, ...parts: string[]): Buffer => {
    const h = createHmac('sha256', secret).update(label);
    // Lengths first, so that no two lists of parts sign the same bytes.
    for (const part of parts) h.update(`${Buffer.byteLength(part)}:${part};`);
    return h.digest();
  };
  const fingerprint = (keyId: string): Buffer => mac('key', keyId).subarray(0, FINGERPRINT_BYTES);

  return {
    mint(sessionId, keyId, { ttlMs, now }) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
      if (sessionId === '') throw new RangeError('a resume token needs a session id');
      const expiresAt = Math.floor(now + ttlMs);
      const body = [
        b64(Buffer.from(sessionId, 'utf8')),
        b64(fingerprint(keyId)),
        expiresAt.toString(36),
      ].join('.');
      const token = `${PREFIX}.${body}.${b64(mac('token', body))}`;
      if (token.length > MAX_TOKEN_LENGTH)
        throw new RangeError('the session id is too long for a resume token');
      return token;
    },

    check(token, keyId, now) {
      const parsed = genuine(token);
      if (parsed === null) return UNKNOWN;
      if (!safeEqual(parsed.fingerprint, fingerprint(keyId))) return OTHER_KEY;
      if (now >= parsed.expiresAt)
        return { ok: false, reason: 'expired', sessionId: parsed.sessionId, expiredAt: parsed.expiresAt };
      return { ok: true, sessionId: parsed.sessionId, keyId, expiresAt: parsed.expiresAt };
    },

    sessionOf(token) {
      return genuine(token)?.sessionId ?? null;
    },
  };

  function genuine(token: string): ParsedToken | null {
    const parsed = parseToken(token);
    return parsed !== null && safeEqual(parsed.signature, mac('token', parsed.body)) ? parsed : null;
  }
}

/**
 * The resume-token secret every process of a deployment derives from the forwarding token they
 * share: the same on each, and not the forwarding token itself (a token's signature never
 * vouches for a forwarded request).
 *
 * @example
 * createResumeTokens({ secret: deploymentResumeSecret(internal.token) });
 */
export function deploymentResumeSecret(forwardingToken: string): Buffer {
  return createHmac('sha256', forwardingToken).update('realtime-gateway resume-token secret').digest();
}

const UNKNOWN: ResumeRefusal = Object.freeze({ ok: false, reason: 'unknown' });
const OTHER_KEY: ResumeRefusal = Object.freeze({ ok: false, reason: 'other_key' });

interface ParsedToken {
  readonly body: string;
  readonly sessionId: string;
  readonly fingerprint: Buffer;
  readonly expiresAt: number;
  readonly signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** The parts of a well-formed token; null for anything else. */
function parseToken(token: unknown): ParsedToken | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX) return null;
  const [, session, fp, expiry, signature] = parts as [string, string, string, string, string];
  if (!B64URL.test(session) || !B64URL.test(fp) || !B64URL.test(signature)) return null;
  if (!/^[0-9a-z]{1,12}$/.test(expiry)) return null;
  const signatureBytes = Buffer.from(signature, 'base64url');
  // One spelling per token: base64url's unused trailing bits may not vary.
  if (b64(signatureBytes) !== signature) return null;
  return {
    body: `${session}.${fp}.${expiry}`,
    sessionId: Buffer.from(session, 'base64url').toString('utf8'),
    fingerprint: Buffer.from(fp, 'base64url'),
    expiresAt: Number.parseInt(expiry, 36),
    signature: signatureBytes,
  };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** Constant-time comparison; lengths differ only for malformed input, which may return early. */
function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The HTTP refusal for a refused token, OpenAI-shaped. `unknown` and `other_key` read the same to
 * the caller, so a token cannot be used to learn whether another key's session exists.
 *
 * @example
 * const r = resumeRefusal({ ok: false, reason: 'expired', sessionId: 's', expiredAt: 0 });
 * // { status: 401, code: 'resume_token_expired', … }
 */
export function resumeRefusal(result: ResumeRefusal): Refusal {
  if (result.reason === 'expired')
    return refusal(401, 'resume_token_expired', 'The resume token has expired; open a new session.', {
      param: 'resume_token',
    });
  return refusal(401, 'invalid_resume_token', 'The resume token is not valid for this key.', {
    param: 'resume_token',
  });
}
