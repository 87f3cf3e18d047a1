/**
 * The web console at `/console`: its pages, and the API they use behind a sign-in cookie.
 * It exists only where the admin API does (with `admin.keyHash`, on the admin listener when
 * that is separate) and `console.enabled` is not false; otherwise `/console` is a 404.
 *
 *   GET  /console/                        the pages (static, no secrets in them)
 *   POST /console/api/sign-in             { key } → the cookie; POST /console/api/sign-out
 *   GET  /console/api/session-feed        server-sent events: the live sessions, then changes
 *   GET  /console/api/sessions/{id}       one session
 *   GET  /console/api/sessions/{id}/events         server-sent events: its timeline, then live
 *   POST /console/api/sessions/{id}/terminate      { reason }
 *   GET  /console/api/sessions/{id}/recording/audio.wav
 *   GET  /console/api/usage?…             as GET /admin/usage;  GET /console/api/budgets
 *   GET  /console/api/upstream-feed       server-sent events: health, circuit, sessions, latency
 *
 * Sign-ins are kept in the deployment's store (every worker and node honours them); a new admin
 * key signs everyone out. The streams and taps live as long as the gateway.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRegistry } from '../admin/admin.js';
import { sendLedgerAnswer } from '../admin/ledger-endpoint.js';
import { USAGE_ENDPOINT } from '../admin/usage.js';
import type { NodeUpstreams } from '../deployment/deployment-admin.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { decodePath, isRefusal, parseTarget } from '../http/target.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { sendRecording } from '../recording/admin.js';
import type { Recordings } from '../recording/recordings.js';
import { refusal } from '../refusal.js';
import type { UpstreamStatus } from '../routing/router.js';
import type { Store } from '../store/store.js';
import type { Budget } from '../vocabulary/budget.js';
import { describeError, type SessionLog } from '../vocabulary/session.js';
import type { ConsoleConfig } from './config.js';
import { CONSOLE_PATH, cookieToken } from './cookie.js';
import { EventStream } from './event-stream.js';
import {
  type NodeUpstreamRow,
  nodeUpstreamRows,
  type SessionRow,
  sessionChangeKey,
  sessionRows,
  type UpstreamRow,
  upstreamRows,
} from './rows.js';
import { SessionTaps } from './session-taps.js';
import { readConsoleJson, signIn, signOut } from './sign-in.js';
import { SignIns } from './sign-ins.js';
import { sendStatic, staticFile } from './static-files.js';
import { TableFeed } from './table-feed.js';
import { UpstreamStats } from './upstream-stats.js';

/** What the console reads of the gateway; functions, so a reload's new configuration is seen. */
export interface WebConsoleOptions {
  readonly config: ConsoleConfig;
  /** The built pages' directory. */
  readonly dir: string;
  readonly registry: AdminRegistry;
  /** Where sign-ins are kept: the deployment's store, so every worker and node knows them. */
  readonly store: Store;
  readonly ledger: LedgerWriter | null;
  readonly recordings: Recordings | null;
  readonly upstreams: () => readonly UpstreamStatus[];
  /** Every node's own view of its upstreams, with a shared store (see `DeploymentAdmin.upstreams`). */
  readonly nodeUpstreams?: () => Promise<readonly NodeUpstreams[]>;
  readonly budgets: () => readonly { readonly key: string; readonly budget: Budget }[];
  readonly log: SessionLog;
  /** The client's address (behind trusted proxies, the one they name), for sign-in attempts. */
  readonly clientAddress: (req: IncomingMessage) => string;
}

const API = `${CONSOLE_PATH}/api/`;
const SESSION = /^sessions\/([^/]+)(\/events|\/terminate|\/recording\/audio\.wav)?$/;
/** Longest termination reason taken: a WebSocket close reason holds 123 bytes. */
const MAX_REASON = 123;

/**
 * @example
 * const web = new WebConsole({ config: config.console, dir: consoleDir, registry, ledger, … });
 * middleware.push(web.taps.middleware());
 * handlers.push(web.handler(config.admin.keyHash));
 */
export class WebConsole {
  readonly taps: SessionTaps;
  readonly upstreamStats = new UpstreamStats();
  private readonly signIns: SignIns;
  private readonly sessionFeed: TableFeed<SessionRow>;
  private readonly upstreamFeed: TableFeed<UpstreamRow>;
  private streams = 0;

  constructor(private readonly options: WebConsoleOptions) {
    const { config } = options;
    this.taps = new SessionTaps(config);
    this.signIns = new SignIns({
      store: options.store,
      ttlMs: config.signInMinutes * 60_000,
      max: config.maxSignIns,
      attemptsPerMinute: config.signInAttemptsPerMinute,
    });
    const { registry, log } = options;
    const onError = (error: unknown) =>
      log.warn({ err: describeError(error) }, 'the console could not list the sessions');
    const sessions = async () => sessionRows(await registry.list(), (id) => this.taps.get(id));
    this.sessionFeed = new TableFeed({
      list: sessions,
      id: (row) => row.id,
      changeKey: sessionChangeKey,
      intervalMs: config.pushIntervalMs,
      onError,
    });
    this.upstreamFeed = new TableFeed({
      list: async () =>
        upstreamRows(this.localUpstreams(), await registry.list(), (await options.nodeUpstreams?.()) ?? null),
      id: (row) => row.name,
      changeKey: (row) => JSON.stringify(row),
      intervalMs: config.pushIntervalMs,
      onError,
    });
  }

  /** The console's routes for an admin key (null: no admin API, so no console). */
  handler(keyHash: string | null): RequestHandler {
    return async (req, res) => {
      const target = parseTarget(req.url);
      if (isRefusal(target) || keyHash === null || !this.options.config.enabled) return false;
      const { path } = target;
      if (path === CONSOLE_PATH) {
        res.writeHead(302, { location: `${CONSOLE_PATH}/` }).end();
        return true;
      }
      if (!path.startsWith(`${CONSOLE_PATH}/`)) return false;
      if (path.startsWith(API)) await this.api(req, res, path.slice(API.length), target.query, keyHash);
      else {
        const file = staticFile(path);
        if (file === null || (req.method !== 'GET' && req.method !== 'HEAD'))
          sendRefusal(res, refusal(404, 'not_found', 'No such console page.'));
        else await sendStatic(res, this.options.dir, file);
      }
      return true;
    };
  }

  /** This node's view of its upstreams (other nodes' consoles ask for it, with a shared store). */
  localUpstreams(): NodeUpstreamRow[] {
    return nodeUpstreamRows(this.options.upstreams(), (name) => this.upstreamStats.of(name));
  }

  /** Ends every stream (the gateway is closing). */
  close(): void {
    this.sessionFeed.close();
    this.upstreamFeed.close();
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    query: URLSearchParams,
    keyHash: string,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (route === 'sign-in' && method === 'POST')
      return signIn(req, res, this.signIns, {
        keyHash,
        minutes: this.options.config.signInMinutes,
        address: this.options.clientAddress(req),
      });
    if (!(await this.signIns.valid(cookieToken(req.headers.cookie), keyHash)))
      return sendRefusal(res, refusal(401, 'not_signed_in', 'Sign in to the console with the admin key.'));
    if (route === 'sign-out' && method === 'POST') return signOut(req, res, this.signIns);
    if (method === 'GET') {
      if (route === 'me') return json(res, { signedIn: true });
      if (route === 'session-feed') return this.openStream(res, (stream) => this.sessionFeed.watch(stream));
      if (route === 'upstream-feed') return this.openStream(res, (stream) => this.upstreamFeed.watch(stream));
      if (route === 'usage')
        return sendLedgerAnswer(res, USAGE_ENDPOINT, this.options.ledger, query, this.options.log);
      if (route === 'budgets') return json(res, { data: this.options.budgets() });
    }
    const match = SESSION.exec(route);
    const id = match === null ? null : decodePath(match[1]!);
    if (match === null || id === null)
      return sendRefusal(
        res,
        refusal(404, 'not_found', `No console API ${method} /console/api/${route.slice(0, 100)}.`),
      );
    const action = match[2];
    if (action === '/terminate')
      return method === 'POST'
        ? this.terminate(req, res, id)
        : sendRefusal(res, refusal(405, 'method_not_allowed', 'Use POST to terminate a session.'));
    if (method !== 'GET') return sendRefusal(res, refusal(405, 'method_not_allowed', 'Use GET.'));
    if (action === '/events') return this.sessionEvents(res, id);
    if (action === '/recording/audio.wav') return sendRecording(res, this.options.recordings, id, 'audio');
    const session = await this.options.registry.get(id);
    if (session === null)
      return sendRefusal(res, refusal(404, 'session_not_found', `No live session '${id}'.`));
    json(res, sessionRows([session], (sessionId) => this.taps.get(sessionId))[0]);
  }

  private async terminate(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = await readConsoleJson(req, res);
    if (body === null) return;
    const reason = body.reason ?? 'terminated by an operator';
    if (typeof reason !== 'string' || reason === '' || Buffer.byteLength(reason) > MAX_REASON)
      return sendRefusal(
        res,
        refusal(400, 'invalid_parameter', `reason: 1 to ${MAX_REASON} bytes of text.`, { param: 'reason' }),
      );
    if (!(await this.options.registry.terminate(id, reason)))
      return sendRefusal(res, refusal(404, 'session_not_found', `No live session '${id}'.`));
    this.options.log.info({ sessionId: id, reason }, 'session terminated from the console');
    json(res, { id, terminated: true, reason });
  }

  /** A session's timeline: what its tap kept, then each entry as it comes, then `ended`. */
  private sessionEvents(res: ServerResponse, id: string): void | Promise<void> {
    const tap = this.taps.get(id);
    if (tap === undefined) {
      sendRefusal(
        res,
        refusal(
          404,
          'session_not_found',
          `No live session '${id}' in this process (its events are shown by the one it runs in).`,
          // With --workers the page asks again on a new connection, which may reach the worker
          // that holds the session.
          { headers: { connection: 'close' } },
        ),
      );
      return;
    }
    this.openStream(res, (stream) => {
      stream.send('history', tap.history());
      const stop = tap.watch({
        event: (event) => stream.send('event', event),
        ended: () => {
          stream.send('ended', { id });
          stream.close();
        },
      });
      stream.onClose(stop);
    });
  }

  /** Opens a stream, within `console.maxStreams`. */
  private openStream(
    res: ServerResponse,
    start: (stream: EventStream) => void | Promise<void>,
  ): void | Promise<void> {
    if (this.streams >= this.options.config.maxStreams)
      return sendRefusal(
        res,
        refusal(
          503,
          'too_many_streams',
          `The console has ${this.streams} streams open (console.maxStreams); close a page.`,
        ),
      );
    const stream = new EventStream(res, this.options.config.streamBufferBytes);
    this.streams++;
    stream.onClose(() => this.streams--);
    return start(stream);
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
