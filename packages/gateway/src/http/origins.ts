/**
 * Browsers: which origins may use the gateway, and the CORS answers that let a page on another
 * origin call the REST endpoints (mint a client secret, post an SDP offer, read the call's
 * `Location`). A request without an `Origin` header comes from a server and is not checked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Refusal, refusal } from '../refusal.js';

/** Request headers a page may send: its key or client secret, and its body's type. */
const ALLOWED_HEADERS = 'authorization, content-type, openai-beta';
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600';

/**
 * The origin policy: null allows every origin (`server.allowedOrigins` unset or `*`).
 *
 * @example
 * const origins = new OriginPolicy(['https://app.example.com']);
 * const refused = origins.check(req);
 * if (refused !== null) return sendRefusal(res, refused);
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string> | null;

  constructor(allowed: readonly string[] | null) {
    this.allowed = allowed === null ? null : new Set(allowed);
  }

  /** A 403 for a browser on an origin not allowed; null otherwise. */
  check(req: IncomingMessage): Refusal | null {
    const origin = req.headers.origin;
    if (origin === undefined || this.allowed === null || this.allowed.has(origin)) return null;
    return refusal(403, 'origin_not_allowed', `Requests from the origin '${origin}' are not allowed.`);
  }

  /**
   * Sets the CORS headers of an answer to an allowed browser request (before the answer is
   * written); nothing for a request without an `Origin`.
   */
  allowResponse(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'Location');
    res.setHeader('vary', 'Origin');
  }

  /** Answers a CORS preflight: 204 with what may be sent, or 403 for an origin not allowed. */
  preflight(req: IncomingMessage, res: ServerResponse): Refusal | null {
    const refused = this.check(req);
    if (refused !== null) return refused;
    this.allowResponse(req, res);
    res.writeHead(204, {
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': PREFLIGHT_MAX_AGE,
    });
    res.end();
    return null;
  }
}
