/**
 * REST forwarding of OpenAI's realtime endpoints, with the WebSocket path's auth, routing and
 * limits:
 *
 *   POST /v1/realtime/client_secrets | sessions | transcription_sessions   (JSON)
 *   POST /v1/realtime/translations/client_secrets                          (JSON)
 *   POST /v1/realtime/calls                    (multipart `sdp` + `session`, or application/sdp)
 *   POST /v1/realtime/translations/calls       (the same; always forwarded)
 *   POST /v1/realtime/calls/{id}/accept | hangup | refer | reject
 *
 * Bodies pass byte for byte; the upstream's status, content type and body come back. The
 * client's key never goes upstream (the upstream's own key, or in passthrough mode the client's
 * upstream key, does). A call's `Location` is rewritten to the gateway, and the call is
 * remembered so that its control requests reach the upstream that holds it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TRANSLATION_MODEL } from '@realtime-gateway/protocol';
import type { CallsEndpoint } from '../calls/calls-endpoint.js';
import type { Access, UpstreamTarget } from '../http/access.js';
import type { OriginPolicy } from '../http/origins.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { isRefusal, parseTarget } from '../http/target.js';
import { type Refusal, refusal } from '../refusal.js';
import type { DialectNeed } from '../routing/router.js';
import type { Store } from '../store/store.js';
import { TRANSLATION_NEEDS_GA } from '../translation/upstream-dialect.js';
import { findModel, readBody, rewriteModel } from './body.js';
import {
  type BetaMintEndpoint,
  type MintOptions,
  mintBetaSession,
  mintClientSecret,
} from './client-secrets.js';
import { mintTranslationClientSecret } from './translation-client-secrets.js';

/**
 * Where the gateway mints client secrets itself, for upstreams set to `clientSecrets: mint`:
 * GA's endpoint, the two beta ones that came before it, and translation sessions'.
 */
const MINT_PATHS = new Map<string, 'client_secrets' | 'translations' | BetaMintEndpoint>([
  ['/v1/realtime/client_secrets', 'client_secrets'],
  ['/v1/realtime/translations/client_secrets', 'translations'],
  ['/v1/realtime/sessions', 'sessions'],
  ['/v1/realtime/transcription_sessions', 'transcription_sessions'],
]);
/** The model OpenAI gives a realtime session whose configuration names none. */
const DEFAULT_MODEL = 'gpt-realtime';
/** The model a translation client secret request is routed by when it names none (it is then refused). */
const DEFAULT_TRANSLATION_MODEL = TRANSLATION_MODEL;

/**
 * Requests that create something upstream. Translation calls (WebRTC offers for translation
 * sessions) are always forwarded: the gateway terminates conversations' calls only.
 */
const CREATE_PATHS = new Set([
  '/v1/realtime/client_secrets',
  '/v1/realtime/translations/client_secrets',
  '/v1/realtime/translations/calls',
  '/v1/realtime/sessions',
  '/v1/realtime/transcription_sessions',
  '/v1/realtime/calls',
]);
/** Translation sessions' REST endpoints: routed to GA upstreams only. */
const TRANSLATION_PATHS = new Set([
  '/v1/realtime/translations/client_secrets',
  '/v1/realtime/translations/calls',
]);
/**
 * A call id is kept to characters a URL parser leaves alone: an id such as `..` or `a\b` would be
 * normalised into another upstream path when the request is forwarded.
 */
const CALL_CONTROL = /^\/v1\/realtime\/calls\/([A-Za-z0-9_-]+)\/(accept|hangup|refer|reject)$/;

/** Request headers passed upstream; everything else (cookies, the client's credentials) stays. */
const FORWARDED_HEADERS = [
  'content-type',
  'accept',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'idempotency-key',
];

export interface RestOptions {
  readonly access: Access;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Longest an upstream may take to answer. */
  readonly timeoutMs: number;
  /** Where forwarded calls' routes are kept, for their control requests. */
  readonly store: Store;
  /** Which browser origins may call, and the CORS answers for them. */
  readonly origins: OriginPolicy;
  /** Client secrets the gateway mints; without it, every request is forwarded. */
  readonly mint?: MintOptions;
  /** WebRTC calls the gateway terminates; without it, every call is forwarded. */
  readonly calls?: CallsEndpoint;
}

/**
 * OpenAI ends a realtime session after 60 minutes; a call's route is kept twice that, so its
 * control requests find their upstream for as long as it can live.
 */
const CALL_ROUTE_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * Remembers which upstream holds a forwarded call, in the store: a control request that reaches
 * another process of the deployment finds it too. A route the store cannot give is no route
 * (the request is then planned as any other).
 */
class CallRoutes {
  constructor(private readonly store: Store) {}
  remember(callId: string, upstream: string): void {
    this.store.put(`call-route:${callId}`, upstream, CALL_ROUTE_TTL_MS).catch(() => {});
  }
  upstream(callId: string): Promise<string | null> {
    return this.store.get(`call-route:${callId}`).catch(() => null);
  }
}

/** The gateway's own origin as the client reached it. */
function gatewayOrigin(req: IncomingMessage): string {
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}

/**
 * An upstream `Location` (absolute or relative) as a URL on the gateway: same path under
 * `/v1`, the gateway's origin. Null when the upstream sent a `Location` that is not a URL.
 */
export function rewriteLocation(location: string, upstreamBaseUrl: string, origin: string): string | null {
  const base = new URL(upstreamBaseUrl.endsWith('/') ? upstreamBaseUrl : `${upstreamBaseUrl}/`);
  if (!URL.canParse(location, base.href)) return null;
  const url = new URL(location, base);
  const basePath = base.pathname.replace(/\/$/, '');
  const rest = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
  return `${origin}/v1${rest.startsWith('/') ? rest : `/${rest}`}${url.search}`;
}

/**
 * @example
 * const rest = restHandler({ access, maxBodyBytes: 1 << 20, timeoutMs: 30_000 });
 * createGateway({ config, handlers: [rest] });
 */
export function restHandler(options: RestOptions): RequestHandler {
  const calls = new CallRoutes(options.store);
  return async (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target)) return false;
    const control = CALL_CONTROL.exec(target.path);
    if (!CREATE_PATHS.has(target.path) && control === null) return false;
    // A known path parses as a URL path unchanged, so this cannot throw or move the request.
    const url = new URL(`${target.path}${target.search}`, 'http://gateway');
    if (req.method === 'OPTIONS' && req.headers.origin !== undefined) {
      const refused = options.origins.preflight(req, res);
      if (refused !== null) sendRefusal(res, refused);
      return true;
    }
    const foreign = options.origins.check(req);
    if (foreign !== null) {
      sendRefusal(res, foreign);
      return true;
    }
    options.origins.allowResponse(req, res);
    if (req.method !== 'POST') {
      sendRefusal(res, refusal(405, 'method_not_allowed', `${url.pathname} takes POST.`));
      return true;
    }
    // A call the gateway terminates is answered there; it may have read the body to decide.
    const terminated = await options.calls?.handle(req, res, target);
    if (terminated?.taken) return true;
    const who = await options.access.authorize(req);
    if (!who.ok) {
      sendRefusal(res, who.refusal);
      return true;
    }
    const body = terminated?.body ?? (await readBody(req, options.maxBodyBytes));
    if (body === null) {
      sendRefusal(
        res,
        refusal(413, 'request_too_large', `The request body is larger than ${options.maxBodyBytes} bytes.`),
      );
      return true;
    }
    const contentType = req.headers['content-type'] ?? '';
    const model = control === null ? findModel(body, contentType, url.searchParams) : null;
    const minting = MINT_PATHS.get(target.path);
    // A secret with no model is for OpenAI's default, and is routed as a session of it would be.
    const planned =
      model ??
      (minting === 'translations' ? DEFAULT_TRANSLATION_MODEL : minting !== undefined ? DEFAULT_MODEL : null);
    // Translation sessions exist in GA only: their secrets and calls go to upstreams that speak it.
    const needs = TRANSLATION_PATHS.has(target.path) ? TRANSLATION_NEEDS_GA : undefined;
    const targets = await planTargets(
      options.access,
      planned,
      who.principal,
      control?.[1] ?? null,
      calls,
      needs,
    );
    if ('status' in targets) {
      sendRefusal(res, targets);
      return true;
    }
    // With keys passing through, a session's credential is the client's upstream key, so only
    // the upstream can mint one.
    if (
      minting !== undefined &&
      options.mint &&
      targets[0]!.clientSecrets === 'mint' &&
      who.principal.upstreamKey === null
    ) {
      const request = { body, principal: who.principal, defaultModel: DEFAULT_MODEL };
      const answer =
        minting === 'client_secrets'
          ? await mintClientSecret(request, options.mint)
          : minting === 'translations'
            ? await mintTranslationClientSecret(request, options.mint)
            : await mintBetaSession(minting, request, options.mint);
      if ('status' in answer) sendRefusal(res, answer);
      else {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(answer));
      }
      return true;
    }
    // Every candidate serves the same upstream model (aliases are resolved before the plan).
    const upstreamModel = targets[0]!.model;
    const rewritten = model !== null && upstreamModel !== null && upstreamModel !== model;
    if (rewritten) url.searchParams.set('model', upstreamModel);
    const forwarded = rewritten ? rewriteModel(body, model, upstreamModel) : body;
    await forward({ req, res, url, body: forwarded, creates: control === null }, targets, { options, calls });
    return true;
  };
}

/**
 * The upstreams to try, best first. A call's control requests go to the upstream that holds
 * the call, and only to it: no other upstream knows the call.
 */
async function planTargets(
  access: Access,
  model: string | null,
  principal: Parameters<Access['planUpstreams']>[1],
  callId: string | null,
  calls: CallRoutes,
  needs: DialectNeed | undefined,
): Promise<readonly UpstreamTarget[] | Refusal> {
  const remembered = callId === null ? null : await calls.upstream(callId);
  const held = remembered === null ? null : access.selectUpstreamByName(remembered, principal);
  return held === null ? access.planUpstreams(model, principal, needs) : [held];
}

/** One attempt at an upstream: its answer, or why there was none. */
type Attempt =
  | { readonly ok: true; readonly response: Response }
  | { readonly ok: false; readonly refusal: Refusal };

/** One client request on its way upstream. */
interface Forwarded {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The gateway path and query, with the model rewritten for the upstream. */
  readonly url: URL;
  readonly body: Buffer;
  /** Whether the request creates a call, whose id is then remembered with its upstream. */
  readonly creates: boolean;
}

async function attempt(
  { req, url, body }: Forwarded,
  target: UpstreamTarget,
  timeoutMs: number,
): Promise<Attempt> {
  const headers: Record<string, string> = { ...target.headers };
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  try {
    const response = await fetch(`${target.baseUrl}${url.pathname.slice('/v1'.length)}${url.search}`, {
      method: 'POST',
      headers,
      body: body.length > 0 ? body : null,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { ok: true, response };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return {
      ok: false,
      refusal: timedOut
        ? refusal(504, 'upstream_timeout', `Upstream '${target.name}' did not answer in ${timeoutMs} ms.`)
        : refusal(502, 'upstream_unreachable', `Upstream '${target.name}' could not be reached.`),
    };
  }
}

/**
 * Tries the targets in order, as the WebSocket path does: a connect error, a timeout or a 5xx
 * moves on to the next (and counts against the upstream's circuit); the first other answer, or
 * the last failure, goes back to the client.
 */
async function forward(
  request: Forwarded,
  targets: readonly UpstreamTarget[],
  { options, calls }: { readonly options: RestOptions; readonly calls: CallRoutes },
): Promise<void> {
  const { req, res } = request;
  let last: Attempt | null = null;
  let target = targets[0]!;
  for (const candidate of targets) {
    target = candidate;
    last = await attempt(request, target, options.timeoutMs);
    const ok = last.ok && last.response.status < 500;
    options.access.report(target.name, ok);
    if (ok) break;
    if (last.ok && candidate !== targets.at(-1)) await last.response.arrayBuffer();
  }
  if (last === null || !last.ok) {
    sendRefusal(res, last?.refusal ?? refusal(503, 'no_healthy_upstream', 'No upstream is available.'));
    return;
  }
  const response = last.response;
  // fetch decodes a compressed answer, so its content-length may no longer hold: the answer
  // goes out chunked.
  const out: Record<string, string> = {};
  const type = response.headers.get('content-type');
  if (type !== null) out['content-type'] = type;
  const location = response.headers.get('location');
  if (location !== null) {
    const rewritten = rewriteLocation(location, target.baseUrl, gatewayOrigin(req));
    if (rewritten === null) {
      await response.body?.cancel();
      sendRefusal(
        res,
        refusal(
          502,
          'upstream_bad_response',
          `Upstream '${target.name}' answered with an unreadable Location.`,
        ),
      );
      return;
    }
    out.location = rewritten;
    const callId = /\/calls\/([^/?]+)/.exec(out.location)?.[1];
    if (request.creates && callId !== undefined) calls.remember(callId, target.name);
  }
  res.writeHead(response.status, out);
  // The answer streams through: the gateway holds no more of it than the socket does.
  if (response.body === null) res.end();
  else await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res);
}
