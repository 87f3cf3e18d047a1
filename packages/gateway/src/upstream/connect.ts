/**
 * Dialling an upstream realtime server over WebSocket. The URL and the auth header depend on the
 * upstream's kind; the key is the upstream's own (or, in passthrough mode, the client's), never
 * the client's gateway key. The outcome is a value: an open socket, or why there is none.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import { WebSocket } from 'ws';
import type { UpstreamConfig } from '../config/resolve.js';
import type { Leg } from '../legs/leg.js';
import { FrameMasks, WebSocketLeg } from '../legs/websocket-leg.js';
import type { SessionIntent } from '../vocabulary/session.js';

/** What the client asked for, as it goes upstream. */
export interface UpstreamTarget {
  /** The model name sent upstream (after alias rewriting), or null when the client gave none. */
  readonly model: string | null;
  readonly intent: SessionIntent;
  /** Attach to an existing WebRTC or SIP call's session. */
  readonly callId: string | null;
}

/**
 * The upstream's WebSocket URL: the REST base URL with `ws(s)` and `/realtime` (a translation
 * session's `/realtime/translations`), plus the query. OpenAI and Azure's v1 API share the
 * shape (`…/openai/v1/realtime?model=<deployment>` on Azure). *
 * @example
 * upstreamUrl({ baseUrl: 'https://api.openai.com/v1', ... }, { model: 'gpt-realtime', intent: 'conversation', callId: null })
 * // 'wss://api.openai.com/v1/realtime?model=gpt-realtime'
 */
export function upstreamUrl(upstream: Pick<UpstreamConfig, 'baseUrl'>, target: UpstreamTarget): string {
  const path = target.intent === 'translation' ? '/realtime/translations' : '/realtime';
  const url = new URL(`${upstream.baseUrl}${path}`);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  if (target.model !== null) url.searchParams.set('model', target.model);
  if (target.intent === 'transcription') url.searchParams.set('intent', 'transcription');
  if (target.callId !== null) url.searchParams.set('call_id', target.callId);
  return url.toString();
}

/**
 * The auth header for an upstream: `api-key` for Azure, a bearer token otherwise. The
 * passthrough key, when given, replaces the configured one.
 */
export function upstreamHeaders(
  upstream: Pick<UpstreamConfig, 'kind' | 'apiKey'>,
  passthroughKey: string | null,
): Record<string, string> {
  const key = passthroughKey ?? upstream.apiKey;
  if (key === null) return {};
  return upstream.kind === 'azure' ? { 'api-key': key } : { authorization: `Bearer ${key}` };
}

/** Why an upstream could not be reached. */
export type ConnectFailure =
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string }
  /** The upstream answered the upgrade with an HTTP status; its body is kept (bounded) to relay it. */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly contentType: string | null;
      readonly body: string;
      readonly message: string;
    };

export type ConnectResult =
  | {
      readonly ok: true;
      /**
       * The upstream leg. It holds what the upstream sends (an upstream greets with
       * `session.created` at once) until the session attaches, so nothing is lost while the
       * client's upgrade completes.
       */
      readonly leg: Leg;
      readonly latencyMs: number;
    }
  | { readonly ok: false; readonly failure: ConnectFailure };

/** Options for {@link connectUpstream}. */
export interface ConnectOptions {
  readonly passthroughKey: string | null;
  /** The largest frame accepted from the upstream. */
  readonly maxPayload?: number;
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Whether frames to the upstream at `url` may go with masks that are not random (a large frame
 * with an all-zero mask; see FrameMasks). A client must mask its frames (RFC 6455 §5.3) so that
 * a script cannot choose the bytes a plaintext intermediary sees on the wire; inside TLS, or on
 * loopback, there is no such intermediary, and a random mask only costs a copy of every frame.
 * A plain `ws://` upstream elsewhere gets `ws`'s random masks.
 *
 * @example
 * unmaskedUpstream('wss://api.openai.com/v1/realtime') // true
 * unmaskedUpstream('ws://10.0.0.7:8080/v1/realtime')  // false
 */
export function unmaskedUpstream(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'wss:') return true;
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

/**
 * Opens the upstream WebSocket; resolves (never rejects) once it is open or has failed.
 *
 * @example
 * const result = await connectUpstream(upstream, target, { passthroughKey: null });
 * if (!result.ok) console.log(result.failure.kind);
 */
export function connectUpstream(
  upstream: UpstreamConfig,
  target: UpstreamTarget,
  options: ConnectOptions,
): Promise<ConnectResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ConnectResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const url = upstreamUrl(upstream, target);
    const masks = unmaskedUpstream(url) ? new FrameMasks() : null;
    const socket = new WebSocket(url, {
      headers: {
        ...upstreamHeaders(upstream, options.passthroughKey),
        // A beta server answers in beta only when asked to, as OpenAI's did.
        ...(upstream.dialect === 'beta' ? { 'openai-beta': 'realtime=v1' } : {}),
      },
      // Realtime servers do not negotiate compression, and deflating audio would cost CPU for
      // next to nothing.
      perMessageDeflate: false,
      // The upstream is a server the operator configured, not a client: its text frames are
      // relayed as they came, without a UTF-8 pass over every byte of every audio delta. (The
      // client side stays validated: that is where hostile input comes from.)
      skipUTF8Validation: true,
      // Over TLS or loopback, large frames go with a zero mask: each is written as the Buffer
      // it came as, not copied and masked. See unmaskedUpstream and FrameMasks.
      ...(masks !== null ? { generateMask: masks.generate } : {}),
      maxPayload: options.maxPayload ?? 100 * 1024 * 1024,
      ...(upstream.ca !== null ? { ca: upstream.ca } : {}),
    });
    // ws's handshakeTimeout only covers the HTTP exchange; this covers TCP and TLS as well.
    const timer = setTimeout(() => {
      settle({
        ok: false,
        failure: {
          kind: 'timeout',
          message: `No answer from ${upstream.name} in ${upstream.connectTimeoutMs} ms.`,
        },
      });
      socket.terminate();
    }, upstream.connectTimeoutMs);
    const onError = (error: Error): void => {
      settle({ ok: false, failure: { kind: 'error', message: `${upstream.name}: ${error.message}` } });
    };
    socket.once('open', () => {
      const leg = new WebSocketLeg(socket, masks);
      // The leg listens for errors from here on; dropping the dial's listeners lets the session
      // keep the socket without this closure (its timer, its promise).
      socket.off('error', onError);
      socket.removeAllListeners('unexpected-response');
      settle({ ok: true, leg, latencyMs: performance.now() - started });
    });
    socket.on('error', onError);
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => {
        const status = response.statusCode ?? 502;
        settle({
          ok: false,
          failure: {
            kind: 'status',
            status,
            contentType: response.headers['content-type'] ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
            message: `${upstream.name} answered the upgrade with HTTP ${status}.`,
          },
        });
        socket.terminate();
      };
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      response.once('end', finish);
      response.once('error', finish);
    });
  });
}
