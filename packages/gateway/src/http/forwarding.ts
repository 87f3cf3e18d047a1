/**
 * Requests about an object another process of the deployment holds — a call's hangup, a
 * sideband connection to a call, a session's resume — are passed to the process that holds it,
 * so a client may reach any process (`--workers`, several nodes) and get the same answer.
 *
 * Each process that can be reached this way listens on an internal address and advertises it in
 * the store; the store's directory says which process holds what. A forwarded request carries
 * the deployment's forwarding token in {@link FORWARDED_HEADER}: the receiving process answers
 * it itself (a request is forwarded once, never in a loop), and its internal listener takes
 * nothing that lacks the token. The client's own credentials travel with the request and are
 * checked by the holder, as they would have been here.
 */
import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type Refusal, refusal } from '../refusal.js';
import type { StoreHolder } from '../store/holder.js';
import {
  adoptForwardedContext,
  FORWARDED_CLIENT_HEADER,
  REQUEST_ID_HEADER,
  type RequestContexts,
} from './request-context.js';
import { sendRefusal, writeRefusal } from './respond.js';
import type { RequestHandler, UpgradeHandler } from './server.js';

/** The header a forwarded request carries the deployment's forwarding token in. */
export const FORWARDED_HEADER = 'x-realtime-gateway-forwarded';

/** Headers each forwarded request gets anew: the token, and the request's context. */
const SET_PER_HOP = new Set([FORWARDED_HEADER, FORWARDED_CLIENT_HEADER, REQUEST_ID_HEADER]);
/** Headers that belong to one hop and are not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', ...SET_PER_HOP]);

/** Options for {@link Forwarding}. */
export interface ForwardingOptions {
  readonly holder: StoreHolder;
  /** The secret every process of the deployment shares; at least 16 characters. */
  readonly token: string;
  /** How long the holding process may take to answer a request (or accept a connection). */
  readonly timeoutMs: number;
  /** The request id and client address a forwarded request goes on with. */
  readonly contexts: RequestContexts;
}

/** Where another process of the deployment listens. */
export type PeerAddress = { readonly host: string; readonly port: number };

const unreachable = (): Refusal =>
  refusal(502, 'gateway_peer_unreachable', 'The gateway process that holds this could not be reached.', {
    type: 'server_error',
  });

/**
 * Finds and reaches the process that holds an object.
 *
 * @example
 * const peer = await forwarding.holderOf('call', callId, req);
 * if (peer !== null) return forwarding.forwardRequest(req, res, peer);
 */
export class Forwarding {
  private readonly token: Buffer;

  constructor(private readonly options: ForwardingOptions) {
    this.token = Buffer.from(options.token);
  }

  /** Whether `req` was forwarded by another process of the deployment. */
  isForwarded(req: IncomingMessage): boolean {
    const given = req.headers[FORWARDED_HEADER];
    if (typeof given !== 'string') return false;
    const bytes = Buffer.from(given);
    return bytes.length === this.token.length && timingSafeEqual(bytes, this.token);
  }

  /**
   * The address of the process that holds `kind`/`id`, when it is another one and `req` is not
   * itself a forwarded request; null when it is held here, by no one, or by a process that
   * advertised no address (the caller then answers as it would for an unknown object).
   */
  async holderOf(kind: string, id: string, req: IncomingMessage): Promise<PeerAddress | null> {
    if (this.isForwarded(req)) return null;
    const { holder } = this.options;
    try {
      const owner = await holder.store.locate(kind, id);
      if (owner === null || owner === holder.id) return null;
      return await this.addressOf(owner);
    } catch {
      return null;
    }
  }

  /** Where another process of the deployment listens, by its name in the store; null when it said nothing. */
  async addressOf(holder: string): Promise<PeerAddress | null> {
    const address = await this.options.holder.addressOf(holder);
    return address === null ? null : parseAddress(address);
  }

  /** Passes a plain request to `peer` and its answer back. */
  forwardRequest(req: IncomingMessage, res: ServerResponse, peer: PeerAddress): Promise<void> {
    return new Promise((resolve) => {
      const out = request({
        host: peer.host,
        port: peer.port,
        method: req.method,
        path: req.url,
        headers: this.headersOf(req),
        timeout: this.options.timeoutMs,
      });
      const fail = (): void => {
        out.destroy();
        if (!res.headersSent) sendRefusal(res, unreachable());
        else res.destroy();
        resolve();
      };
      out.once('timeout', fail);
      out.once('error', fail);
      out.once('response', (answer) => {
        out.off('error', fail);
        res.writeHead(answer.statusCode ?? 502, withoutHopHeaders(answer.headers));
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', () => {
          res.destroy();
          resolve();
        });
      });
      req.pipe(out);
    });
  }

  /**
   * Passes a WebSocket upgrade to `peer`: the request goes on as it came, and from then on the
   * two sockets are piped, so the handshake and every frame are the holder's.
   */
  forwardUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, peer: PeerAddress): void {
    const upstream = connect({ host: peer.host, port: peer.port });
    let joined = false;
    const timer = setTimeout(() => upstream.destroy(new Error('timed out')), this.options.timeoutMs);
    upstream.once('error', () => {
      clearTimeout(timer);
      if (!joined) writeRefusal(socket, unreachable());
      else socket.destroy();
    });
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
    upstream.once('connect', () => {
      clearTimeout(timer);
      joined = true;
      upstream.write(this.requestHead(req));
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }

  private headersOf(req: IncomingMessage): Record<string, string | string[]> {
    return { ...withoutHopHeaders(req.headers), ...this.hopHeaders(req) };
  }

  /**
   * The upgrade request line and headers as the client sent them (their case and order kept),
   * plus the hop's own.
   */
  private requestHead(req: IncomingMessage): string {
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let k = 0; k + 1 < raw.length; k += 2) {
      if (SET_PER_HOP.has(raw[k]!.toLowerCase())) continue;
      head += `${raw[k]}: ${raw[k + 1]}\r\n`;
    }
    for (const [name, value] of Object.entries(this.hopHeaders(req))) head += `${name}: ${value}\r\n`;
    return `${head}\r\n`;
  }

  /** The forwarding token, and the request id and client address the holder logs. */
  private hopHeaders(req: IncomingMessage): Record<string, string> {
    const { requestId, clientIp } = this.options.contexts.contextOf(req);
    return {
      [FORWARDED_HEADER]: this.options.token,
      [REQUEST_ID_HEADER]: requestId,
      [FORWARDED_CLIENT_HEADER]: clientIp,
    };
  }
}

function withoutHopHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

/** `http://host:port` as advertised, or null when it is not one. */
function parseAddress(url: string): PeerAddress | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  const port = Number(parsed.port);
  if (parsed.protocol !== 'http:' || !Number.isInteger(port) || port <= 0) return null;
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}

/** On an internal listener: a request that was not forwarded by the deployment is refused. */
export function forwardedOnly(forwarding: Forwarding): RequestHandler {
  return (req, res) => {
    if (!forwarding.isForwarded(req)) {
      sendRefusal(res, notForwarded());
      return true;
    }
    adoptForwardedContext(req);
    return false;
  };
}

/** On an internal listener: as {@link forwardedOnly}, for upgrades. */
export function forwardedUpgradesOnly(forwarding: Forwarding, upgrade: UpgradeHandler): UpgradeHandler {
  return (req, socket, head) => {
    if (!forwarding.isForwarded(req)) return writeRefusal(socket, notForwarded());
    adoptForwardedContext(req);
    upgrade(req, socket, head);
  };
}

const notForwarded = () =>
  refusal(403, 'forbidden', 'This listener takes requests forwarded by the gateway only.');
