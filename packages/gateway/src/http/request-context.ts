/**
 * Who a request is for the logs: its request id (the client's `x-request-id` when it is a
 * plausible one, else one made here) and the client's address (the socket's, or, behind a
 * configured proxy, the nearest untrusted hop of `X-Forwarded-For`). Both go on every log line
 * of the request and of the session it opens, and the id goes back in the response.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { SessionLog } from '../vocabulary/session.js';

/** The header a request id is read from and answered in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What log lines say about a request. */
export interface RequestContext {
  readonly requestId: string;
  readonly clientIp: string;
}

/** An id a client may choose: short, and nothing a log line could be forged with. */
const PLAUSIBLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Hops of `X-Forwarded-For` looked at, from the nearest: a client cannot make the walk long. */
const MAX_HOPS = 16;

const contexts = new WeakMap<IncomingMessage, RequestContext>();

/** What gives a request its context: {@link TrustedProxies}, or whatever stands for the current one. */
export interface RequestContexts {
  contextOf(req: IncomingMessage): RequestContext;
}

/**
 * The proxies whose `X-Forwarded-For` is believed (`server.trustedProxies`: addresses or CIDR
 * ranges); none by default, so a client cannot choose the address it is logged with.
 *
 * @example
 * const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1']);
 * const { requestId, clientIp } = proxies.contextOf(req);
 */
export class TrustedProxies implements RequestContexts {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.empty = entries.length === 0;
  }

  /** The request's context, made once per request. */
  contextOf(req: IncomingMessage): RequestContext {
    let context = contexts.get(req);
    if (context === undefined) {
      const given = req.headers[REQUEST_ID_HEADER];
      const requestId =
        typeof given === 'string' && PLAUSIBLE_ID.test(given)
          ? given
          : `req_${randomBytes(12).toString('base64url')}`;
      context = { requestId, clientIp: this.clientIp(req) };
      contexts.set(req, context);
    }
    return context;
  }

  private trusts(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  private clientIp(req: IncomingMessage): string {
    const peer = unmapped(req.socket.remoteAddress ?? '');
    if (this.empty || !this.trusts(peer)) return peer;
    const forwarded = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    let client = peer;
    for (let k = hops.length - 1, seen = 0; k >= 0 && seen < MAX_HOPS; k--, seen++) {
      const hop = unmapped(hops[k]!.trim());
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }
}

/**
 * The header a request forwarded within the deployment carries its client's address in (see
 * `forwarding.ts`); believed only on a request that carries the forwarding token.
 */
export const FORWARDED_CLIENT_HEADER = 'x-realtime-gateway-client-ip';

/**
 * Gives a request forwarded by another process of the deployment the context it had there: its
 * request id and client address, so that both processes' log lines name the same request and
 * client rather than this one naming the forwarding process. Call it only once the request's
 * forwarding token has been checked.
 */
export function adoptForwardedContext(req: IncomingMessage): void {
  const id = req.headers[REQUEST_ID_HEADER];
  const ip = req.headers[FORWARDED_CLIENT_HEADER];
  if (typeof id !== 'string' || !PLAUSIBLE_ID.test(id) || typeof ip !== 'string' || isIP(ip) === 0) return;
  contexts.set(req, { requestId: id, clientIp: ip });
}

/** `::ffff:10.0.0.1` as `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * `log` with `fields` on every line.
 *
 * @example
 * const requestLog = withFields(log, proxies.contextOf(req));
 */
export function withFields(log: SessionLog, fields: object): SessionLog {
  return new FieldsLog(log, fields);
}

/** A class rather than four closures: every live session holds one. */
class FieldsLog implements SessionLog {
  constructor(
    private readonly log: SessionLog,
    private readonly fields: object,
  ) {}

  debug(more: object, message: string): void {
    this.log.debug({ ...this.fields, ...more }, message);
  }

  info(more: object, message: string): void {
    this.log.info({ ...this.fields, ...more }, message);
  }

  warn(more: object, message: string): void {
    this.log.warn({ ...this.fields, ...more }, message);
  }

  error(more: object, message: string): void {
    this.log.error({ ...this.fields, ...more }, message);
  }
}
