/**
 * The gateway's auth and routing as plain functions, for request paths other than the realtime
 * upgrade (REST forwarding): the same keys, model permissions, rate limits and upstream choice.
 */
import type { IncomingMessage } from 'node:http';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { UpstreamConfig, UpstreamKind } from '../config/resolve.js';
import { type Refusal, refusal } from '../refusal.js';
import type { DialectNeed, Router } from '../routing/router.js';
import { upstreamHeaders } from '../upstream/connect.js';

/** Where a forwarded request goes, with the upstream's auth header already set. */
export interface UpstreamTarget {
  readonly name: string;
  /** The REST base URL, such as `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  readonly kind: UpstreamKind;
  /** Whether the gateway mints client secrets for this upstream's sessions, or forwards the request. */
  readonly clientSecrets: UpstreamConfig['clientSecrets'];
  /** The auth header for the upstream (its own key, or the client's in passthrough mode). */
  readonly headers: Readonly<Record<string, string>>;
  /** The model name to send upstream, after alias rewriting (null when none was given). */
  readonly model: string | null;
}

/** Auth and routing for one kind of request. */
export interface Access {
  /** Identifies the caller and takes a new-session token from its rate limit. */
  authorize(
    req: IncomingMessage,
  ): Promise<
    { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly refusal: Refusal }
  >;
  /**
   * The upstream for a model (null: any upstream, as for call control requests that carry no
   * model), honouring the key's model permissions and the circuits.
   */
  selectUpstream(model: string | null, principal: Principal): Promise<UpstreamTarget | Refusal>;
  /** The upstreams to try for a model, best first, at most `routing.maxAttempts` of them. */
  /** `needs`: only upstreams of that dialect (see {@link Router.plan}). */
  planUpstreams(
    model: string | null,
    principal: Principal,
    needs?: DialectNeed,
  ): Promise<readonly UpstreamTarget[] | Refusal>;
  /** A named upstream, for requests that must reach the one holding their call; null if unknown. */
  selectUpstreamByName(name: string, principal: Principal): UpstreamTarget | null;
  /** Reports how a forwarded request went, so circuits open and close as for WebSockets. */
  report(upstreamName: string, ok: boolean): void;
}

/**
 * Builds the access functions over the gateway's authenticator and router.
 *
 * @example
 * const access = createAccess(auth, router);
 * const who = access.authorize(req);
 * if (!who.ok) return sendRefusal(res, who.refusal);
 * const target = access.selectUpstream('gpt-realtime', who.principal);
 */
/** The target for one upstream: its URL and kind, and the auth header it takes. */
function targetFor(upstream: UpstreamConfig, principal: Principal, model: string | null): UpstreamTarget {
  return {
    name: upstream.name,
    baseUrl: upstream.baseUrl,
    kind: upstream.kind,
    clientSecrets: upstream.clientSecrets,
    headers: upstreamHeaders(upstream, principal.upstreamKey),
    model,
  };
}

export function createAccess(auth: Authenticator, router: Router): Access {
  const planUpstreams: Access['planUpstreams'] = async (model, principal, needs) => {
    if (model !== null) {
      const forbidden = auth.authorizeModel(principal, model);
      if (forbidden !== null) return forbidden;
    }
    const plan = await (model === null ? router.planAny() : router.plan(model, needs));
    if ('status' in plan) return plan;
    if (plan.candidates.length === 0) return refusal(503, 'no_healthy_upstream', 'No upstream is available.');
    return plan.candidates.map((upstream) =>
      targetFor(upstream, principal, model === null ? null : plan.upstreamModel),
    );
  };
  return {
    async authorize(req) {
      const result = auth.authenticate(req.headers);
      if (!result.ok) return result;
      const limited = await auth.takeSessionToken(result.principal);
      if (limited !== null) return { ok: false, refusal: limited };
      return result;
    },
    planUpstreams,
    async selectUpstream(model, principal) {
      const targets = await planUpstreams(model, principal);
      return 'status' in targets ? targets : targets[0]!;
    },
    selectUpstreamByName(name, principal) {
      const upstream = router.upstream(name);
      return upstream === undefined ? null : targetFor(upstream, principal, null);
    },
    report(upstreamName, ok) {
      if (ok) router.reportSuccess(upstreamName);
      else router.reportFailure(upstreamName);
    },
  };
}
