/**
 * Reading a `POST /v1/realtime/calls` body as OpenAI takes it: the SDP offer raw
 * (`application/sdp`, the model in `?model=`), or multipart/form-data with an `sdp` part and
 * an optional `session` part holding the session configuration (and its model).
 */
import { type Refusal, refusal } from '../refusal.js';
import { multipartPart } from '../rest/body.js';
import { sessionOf } from '../rest/client-secrets.js';
import { checkOffer } from './sdp.js';

/** The model a call gets when neither its configuration nor its query names one, as OpenAI does. */
const DEFAULT_MODEL = 'gpt-realtime';

/** An offer as read from the request. */
export interface OfferRequest {
  readonly sdp: string;
  /** The model asked for; null when the request names none (a client secret fixes it). */
  readonly model: string | null;
  /** The `session` part's configuration, checked; null without one. */
  readonly session: Readonly<Record<string, unknown>> | null;
}

/**
 * @example
 * const offer = readOffer(body, req.headers['content-type'] ?? '', url.searchParams);
 * if ('status' in offer) return sendRefusal(res, offer);
 */
export function readOffer(body: Buffer, contentType: string, query: URLSearchParams): OfferRequest | Refusal {
  const type = contentType.toLowerCase();
  let sdp: string;
  let session: Record<string, unknown> | null = null;
  if (type.startsWith('application/sdp')) sdp = body.toString('utf8');
  else if (type.startsWith('multipart/form-data')) {
    const sdpPart = multipartPart(body, contentType, 'sdp');
    if (sdpPart === null)
      return refusal(400, 'missing_required_parameter', "Missing required parameter: 'sdp'.", {
        param: 'sdp',
      });
    sdp = body.subarray(sdpPart.start, sdpPart.end).toString('utf8');
    const sessionPart = multipartPart(body, contentType, 'session');
    if (sessionPart !== null) {
      const text = body.subarray(sessionPart.start, sessionPart.end).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return refusal(400, 'invalid_json', "The 'session' part is not valid JSON.", { param: 'session' });
      }
      const checked = sessionOf(value, query.get('model') || DEFAULT_MODEL);
      if (!checked.ok) return checked.refusal;
      session = checked.value;
      // A configuration without a model leaves it to the query or the client secret.
      if (typeof (value as { model?: unknown }).model !== 'string' && !query.get('model'))
        delete session.model;
    }
  } else
    return refusal(
      400,
      'invalid_content_type',
      "A call's offer is sent as 'application/sdp' or as multipart/form-data with an 'sdp' part.",
    );
  const problem = checkOffer(sdp);
  if (problem !== null) return problem;
  const named = typeof session?.model === 'string' ? session.model : null;
  return { sdp, model: named ?? (query.get('model') || null), session };
}
