/**
 * `POST /v1/realtime/translations/client_secrets` answered by the gateway, for upstreams set to
 * `clientSecrets: mint`, as `client-secrets.ts` answers conversations': the body is checked as
 * the SDK types it (`RealtimeTranslationClientSecretCreateRequest`), the secret is bound to the
 * calling key, the model and the session's audio settings, and the answer is OpenAI's
 * (`{ value, expires_at, session }`, the session a translation session object). The secret
 * opens one session on `/v1/realtime/translations`, and no conversation.
 */
import {
  protocolError,
  type TranslationClientSecretRequest,
  type TranslationClientSecretResponse,
  translationServer,
} from '@realtime-gateway/protocol';
import { checkValue, TranslationClientSecretRequestSchema } from '@realtime-gateway/protocol/schema';
import { type Refusal, refusal } from '../refusal.js';
import { lifetime, type MintOptions, type MintRequest, mintSecret, readJson } from './client-secrets.js';

/**
 * Mints a translation client secret, or refuses the request (400 naming the field).
 *
 * @example
 * const answer = await mintTranslationClientSecret({ body, principal, defaultModel: 'gpt-realtime-translate' }, options);
 * if ('status' in answer) return sendRefusal(res, answer);
 * res.end(JSON.stringify(answer)); // { value: 'ek_…', expires_at, session: { id, type: 'translation', model, audio, expires_at } }
 */
export async function mintTranslationClientSecret(
  request: MintRequest,
  options: MintOptions,
): Promise<Refusal | TranslationClientSecretResponse> {
  const body = readJson(request.body);
  if (!body.ok) return body.refusal;
  const ttl = lifetime(body.value.expires_after, options);
  if (!ttl.ok) return ttl.refusal;
  // The lifetime first, for its words and the configured bound; then the body as the SDK types
  // it, strictly (OpenAI refuses a field it does not know), the model required as OpenAI's is.
  const issue = checkValue(TranslationClientSecretRequestSchema, body.value, true);
  if (issue !== undefined) {
    const { code, message, param } = protocolError(issue, null);
    return refusal(400, code, message, { param });
  }
  const config = (body.value as TranslationClientSecretRequest).session;
  const minted = await mintSecret(
    options.secrets,
    { keyId: request.principal.keyId, model: config.model, intent: 'translation', session: config },
    ttl.value,
  );
  if ('status' in minted) return minted;
  return {
    value: minted.value,
    expires_at: minted.expiresAt,
    session: translationServer.session({ model: config.model, audio: config.audio ?? {} }),
  };
}
