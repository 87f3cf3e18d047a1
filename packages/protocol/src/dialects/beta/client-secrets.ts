/**
 * The beta REST endpoints that mint ephemeral keys, `POST /v1/realtime/sessions` and
 * `POST /v1/realtime/transcription_sessions`, answered through GA's
 * `POST /v1/realtime/client_secrets`: the beta body becomes a GA client secret request, and the
 * GA answer (`{ value, expires_at, session }`) becomes the beta one (the session, flat, with
 * `client_secret: { value, expires_at }`).
 */
import type {
  RealtimeSession,
  RealtimeSessionConfig,
  TranscriptionSession,
  TranscriptionSessionConfig,
} from '../../model/session.js';
import type { Fields } from './common.js';
import type { BetaSessionConfig, BetaSessionCreateResponse } from './session.js';
import { betaSessionToGa, gaSessionToBeta } from './session-translate.js';
import type { BetaClientSecretConfig } from './shared.js';
import type {
  BetaTranscriptionSessionConfig,
  BetaTranscriptionSessionCreateResponse,
} from './transcription-session.js';
import { betaTranscriptionSessionToGa, gaTranscriptionSessionToBeta } from './transcription-translate.js';
import { type Translation, underPath } from './unsupported.js';

/** The body of GA `POST /v1/realtime/client_secrets`: the secret's lifetime and its session. */
export interface ClientSecretRequest<S> {
  expires_after?: { anchor?: 'created_at'; seconds?: number };
  session: S;
}

/** The answer of GA `POST /v1/realtime/client_secrets`: the secret, its expiry and the session. */
export interface ClientSecretResponse<S> {
  value: string;
  /** Unix seconds. */
  expires_at: number;
  session: S;
}

function expiresAfter(
  clientSecret: BetaClientSecretConfig | null | undefined,
): ClientSecretRequest<never>['expires_after'] {
  const expiry = clientSecret?.expires_at ?? clientSecret?.expires_after;
  if (expiry === undefined || expiry === null) return undefined;
  const out: NonNullable<ClientSecretRequest<never>['expires_after']> = {};
  if (expiry.anchor !== undefined && expiry.anchor !== null) out.anchor = expiry.anchor;
  if (expiry.seconds !== undefined && expiry.seconds !== null) out.seconds = expiry.seconds;
  return out;
}

function withoutClientSecret<T extends object>(body: T): T {
  const { client_secret: _, ...rest } = body as T & { client_secret?: unknown };
  return rest as T;
}

function request<S>(body: Fields, translated: Translation<S>): Translation<ClientSecretRequest<S>> {
  const expires_after = expiresAfter(body.client_secret as BetaClientSecretConfig | undefined);
  const value: ClientSecretRequest<S> = { session: translated.value };
  if (expires_after !== undefined) value.expires_after = expires_after;
  return { value, unsupported: translated.unsupported };
}

/**
 * The GA client secret request for a beta `POST /v1/realtime/sessions` body: its session
 * through {@link betaSessionToGa}, and `client_secret.expires_at` (or `expires_after`) as
 * `expires_after`. Paths in `unsupported` are those of the beta body.
 *
 * @example
 * const { value, unsupported } = betaSessionRequestToGa({ model: 'gpt-realtime', voice: 'verse', client_secret: { expires_at: { anchor: 'created_at', seconds: 600 } } });
 * // value: { expires_after: { anchor: 'created_at', seconds: 600 }, session: { type: 'realtime', model: 'gpt-realtime', audio: { output: { voice: 'verse' } } } }
 */
export function betaSessionRequestToGa(
  body: BetaSessionConfig,
): Translation<ClientSecretRequest<RealtimeSessionConfig>> {
  return request(body as Fields, betaSessionToGa(withoutClientSecret(body)));
}

/**
 * The GA client secret request for a beta `POST /v1/realtime/transcription_sessions` body,
 * like {@link betaSessionRequestToGa}, its session through {@link betaTranscriptionSessionToGa}.
 *
 * @example
 * const { value } = betaTranscriptionSessionRequestToGa({ input_audio_transcription: { model: 'whisper-1' } });
 * // value.session: { type: 'transcription', audio: { input: { transcription: { model: 'whisper-1' } } } }
 */
export function betaTranscriptionSessionRequestToGa(
  body: BetaTranscriptionSessionConfig,
): Translation<ClientSecretRequest<TranscriptionSessionConfig>> {
  return request(body as Fields, betaTranscriptionSessionToGa(withoutClientSecret(body)));
}

/**
 * The beta answer to `POST /v1/realtime/sessions` from a GA client secret answer: the session
 * through {@link gaSessionToBeta}, with the secret as `client_secret: { value, expires_at }`.
 * Paths in `unsupported` are those of the GA answer (`session.reasoning`).
 *
 * @example
 * const { value } = gaClientSecretToBetaSession({ value: 'ek_1', expires_at: 1767225600, session });
 * response.end(JSON.stringify(value)); // { ...the session, flat, client_secret: { value: 'ek_1', expires_at: 1767225600 } }
 */
export function gaClientSecretToBetaSession(
  answer: ClientSecretResponse<RealtimeSession>,
): Translation<BetaSessionCreateResponse> {
  const session = gaSessionToBeta(answer.session);
  return {
    value: { ...session.value, client_secret: { value: answer.value, expires_at: answer.expires_at } },
    unsupported: underPath(['session'], session.unsupported),
  };
}

/**
 * The beta answer to `POST /v1/realtime/transcription_sessions` from a GA client secret
 * answer, like {@link gaClientSecretToBetaSession}.
 *
 * @example
 * const { value } = gaClientSecretToBetaTranscriptionSession({ value: 'ek_2', expires_at: 1767225600, session });
 * // value.client_secret: { value: 'ek_2', expires_at: 1767225600 }
 */
export function gaClientSecretToBetaTranscriptionSession(
  answer: ClientSecretResponse<TranscriptionSession>,
): Translation<BetaTranscriptionSessionCreateResponse> {
  const session = gaTranscriptionSessionToBeta(answer.session);
  return {
    value: { ...session.value, client_secret: { value: answer.value, expires_at: answer.expires_at } },
    unsupported: underPath(['session'], session.unsupported),
  };
}
