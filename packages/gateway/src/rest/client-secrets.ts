/**
 * `POST /v1/realtime/client_secrets` answered by the gateway, for upstreams that have no client
 * secrets of their own (`clientSecrets: mint`): the request is checked as OpenAI checks it, the
 * secret is bound to the calling key and the session configuration, and the answer has
 * OpenAI's shape, so an application's server needs no change to mint through the gateway.
 */
import {
  type BetaSessionConfig,
  type BetaSessionCreateResponse,
  type BetaTranscriptionSessionConfig,
  type BetaTranscriptionSessionCreateResponse,
  betaSessionRequestToGa,
  betaTranscriptionSessionRequestToGa,
  type ClientSecretResponse as ClientSecretAnswer,
  gaClientSecretToBetaSession,
  gaClientSecretToBetaTranscriptionSession,
  newSessionId,
  parseClientEvent,
  protocolError,
  type RealtimeSession,
  type TranscriptionSession,
} from '@realtime-gateway/protocol';
import {
  BetaSessionConfigSchema,
  BetaTranscriptionSessionConfigSchema,
  checkValue,
} from '@realtime-gateway/protocol/schema';
import type { Principal } from '../auth/authenticator.js';
import { type Refusal, refusal, storeUnavailable } from '../refusal.js';
import type { ClientSecrets, MintedSecret } from '../secrets/client-secrets.js';
import { StoreError } from '../store/store.js';

/** What minting needs besides the request. */
export interface MintOptions {
  readonly secrets: ClientSecrets;
  /** Lifetime of a secret whose request gives no `expires_after`. */
  readonly defaultTtlSeconds: number;
  /** The longest lifetime a request may ask for. */
  readonly maxTtlSeconds: number;
}

/** One minting request. */
export interface MintRequest {
  readonly body: Buffer;
  readonly principal: Principal;
  /** The model a realtime session gets when its configuration names none. */
  readonly defaultModel: string;
}

/** OpenAI's answer to a minting request. */
export interface ClientSecretResponse {
  readonly value: string;
  /** Unix time in seconds. */
  readonly expires_at: number;
  readonly session: Readonly<Record<string, unknown>>;
}

/** OpenAI's lower bound for `expires_after.seconds`. */
const MIN_TTL_SECONDS = 10;

/** A part of the request as read, or the refusal it earns. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly refusal: Refusal };

const badRequest = (code: string, message: string, param: string | null = null): Checked<never> => ({
  ok: false,
  refusal: refusal(400, code, message, { param }),
});

/** The request body as an object, or why it is not one. */
export function readJson(body: Buffer): Checked<Record<string, unknown>> {
  if (body.length === 0) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return badRequest('invalid_json', 'We could not parse the JSON body of your request.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return badRequest('invalid_type', 'The request body must be a JSON object.');
  return { ok: true, value: value as Record<string, unknown> };
}

/** The lifetime asked for in `expires_after`, checked against OpenAI's rules and the configured bound. */
export function lifetime(expiresAfter: unknown, options: MintOptions): Checked<number> {
  if (expiresAfter === undefined) return { ok: true, value: options.defaultTtlSeconds };
  if (typeof expiresAfter !== 'object' || expiresAfter === null || Array.isArray(expiresAfter))
    return badRequest(
      'invalid_type',
      "Invalid type for 'expires_after': expected an object.",
      'expires_after',
    );
  const { anchor, seconds } = expiresAfter as { anchor?: unknown; seconds?: unknown };
  if (anchor !== undefined && anchor !== 'created_at')
    return badRequest(
      'invalid_value',
      `Invalid value for 'expires_after.anchor': ${JSON.stringify(anchor)}. Supported values are: 'created_at'.`,
      'expires_after.anchor',
    );
  if (seconds === undefined) return { ok: true, value: options.defaultTtlSeconds };
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < MIN_TTL_SECONDS ||
    seconds > options.maxTtlSeconds
  )
    return badRequest(
      'invalid_value',
      `Invalid value for 'expires_after.seconds': expected an integer from ${MIN_TTL_SECONDS} to ${options.maxTtlSeconds}.`,
      'expires_after.seconds',
    );
  return { ok: true, value: seconds };
}

/**
 * The session configuration, checked as a `session.update` would be, with its type and (for a
 * realtime session) its model filled in. Also reads the `session` part of a WebRTC offer.
 */
export function sessionOf(value: unknown, defaultModel: string): Checked<Record<string, unknown>> {
  const session = value === undefined ? { type: 'realtime' } : value;
  if (typeof session !== 'object' || session === null || Array.isArray(session))
    return badRequest('invalid_type', "Invalid type for 'session': expected an object.", 'session');
  const config = { ...(session as Record<string, unknown>) };
  config.type ??= 'realtime';
  if (config.type === 'realtime') config.model ??= defaultModel;
  const checked = parseClientEvent({ type: 'session.update', session: config }, { rejectNulls: true });
  if (!checked.ok) {
    const { code, message, param } = checked.error;
    return badRequest(code, message, param);
  }
  return { ok: true, value: config };
}

/**
 * Mints a client secret for `request`, or refuses it; the answer is OpenAI's response body.
 *
 * @example
 * const answer = await mintClientSecret({ body, principal, defaultModel: 'gpt-realtime' }, options);
 * if ('status' in answer) return sendRefusal(res, answer);
 */
export async function mintClientSecret(
  request: MintRequest,
  options: MintOptions,
): Promise<Refusal | ClientSecretResponse> {
  const body = readJson(request.body);
  if (!body.ok) return body.refusal;
  return mint(body.value, request, options);
}

/** Which of the beta endpoints a request came to. */
export type BetaMintEndpoint = 'sessions' | 'transcription_sessions';

/**
 * The beta endpoints that minted secrets before `client_secrets`, `POST /v1/realtime/sessions`
 * and `POST /v1/realtime/transcription_sessions`, answered as they were: a flat beta session
 * configuration in, the beta session with `client_secret: { value, expires_at }` out. The
 * secret is minted as a GA request translated from the beta body would be; a beta field GA has
 * no equivalent for (`temperature`) is refused by name rather than dropped.
 *
 * @example
 * const answer = await mintBetaSession('sessions', { body, principal, defaultModel: 'gpt-realtime' }, options);
 * if ('status' in answer) return sendRefusal(res, answer);
 * res.end(JSON.stringify(answer)); // { id, object: 'realtime.session', model, voice, …, client_secret: { value: 'ek_…', expires_at } }
 */
export async function mintBetaSession(
  endpoint: BetaMintEndpoint,
  request: MintRequest,
  options: MintOptions,
): Promise<Refusal | BetaSessionCreateResponse | BetaTranscriptionSessionCreateResponse> {
  const body = readJson(request.body);
  if (!body.ok) return body.refusal;
  const transcription = endpoint === 'transcription_sessions';
  const issue = checkValue(
    transcription ? BetaTranscriptionSessionConfigSchema : BetaSessionConfigSchema,
    body.value,
    true,
  );
  if (issue !== undefined) {
    const { code, message, param } = protocolError(issue, null);
    return refusal(400, code, message, { param });
  }
  const translated = transcription
    ? betaTranscriptionSessionRequestToGa(body.value as BetaTranscriptionSessionConfig)
    : betaSessionRequestToGa(body.value as BetaSessionConfig);
  const unsupported = translated.unsupported[0];
  if (unsupported !== undefined)
    return refusal(400, 'unsupported_parameter', unsupported.message, { param: unsupported.param });
  const answer = await mint(translated.value as unknown as Record<string, unknown>, request, options);
  if ('status' in answer) return answer;
  // Every field of the session came from the beta body, so every one has a beta name.
  const beta = transcription
    ? gaClientSecretToBetaTranscriptionSession(answer as unknown as ClientSecretAnswer<TranscriptionSession>)
    : gaClientSecretToBetaSession(answer as unknown as ClientSecretAnswer<RealtimeSession>);
  return beta.value;
}

/** Mints a secret for a GA client secret request body, or refuses it. */
async function mint(
  body: Record<string, unknown>,
  request: MintRequest,
  options: MintOptions,
): Promise<Refusal | ClientSecretResponse> {
  const ttl = lifetime(body.expires_after, options);
  if (!ttl.ok) return ttl.refusal;
  const checked = sessionOf(body.session, request.defaultModel);
  if (!checked.ok) return checked.refusal;
  const session = checked.value;
  const transcription = session.type === 'transcription';
  const minted = await mintSecret(
    options.secrets,
    {
      keyId: request.principal.keyId,
      model: transcription ? null : (session.model as string),
      intent: transcription ? 'transcription' : 'conversation',
      session,
    },
    ttl.value,
  );
  if ('status' in minted) return minted;
  return {
    value: minted.value,
    expires_at: minted.expiresAt,
    session: { ...session, object: 'realtime.session', id: newSessionId() },
  };
}

/**
 * A secret minted for `binding`, or 503 `store_unavailable` when the store that keeps secrets
 * for every node cannot be reached.
 *
 * @example
 * const minted = await mintSecret(secrets, { keyId, model, intent: 'conversation', session }, 600);
 * if ('status' in minted) return minted;
 */
export async function mintSecret(
  secrets: ClientSecrets,
  binding: Parameters<ClientSecrets['mint']>[0],
  ttlSeconds: number,
): Promise<MintedSecret | Refusal> {
  try {
    return await secrets.mint(binding, ttlSeconds);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    return storeUnavailable();
  }
}
