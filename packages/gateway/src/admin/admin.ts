/**
 * The admin API, behind its own key (`admin.keyHash`), separate from the gateway keys:
 *
 *   GET    /admin/sessions        live sessions
 *   GET    /admin/sessions/{id}   one session
 *   DELETE /admin/sessions/{id}   terminate it; the client gets close 1008 with the reason
 *                                 (`?reason=…`, default "terminated by an operator")
 *
 * With no admin key configured the API does not exist (404), so it cannot be opened by mistake.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { extractCredential, hashKey } from '../auth/credentials.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { decodePath, isRefusal, parseTarget } from '../http/target.js';
import { refusal } from '../refusal.js';
import type { SessionSnapshot } from '../session/registry.js';

/** What the admin API needs of the session registry (local, or a whole cluster's). */
export interface AdminRegistry {
  list(): SessionSnapshot[] | Promise<SessionSnapshot[]>;
  get(id: string): SessionSnapshot | null | Promise<SessionSnapshot | null>;
  terminate(id: string, reason: string): boolean | Promise<boolean>;
}

const PREFIX = '/admin/sessions';

/** The bearer token of a request (the admin API takes no browser subprotocol keys). */
function bearer(req: IncomingMessage): string | null {
  const credential = extractCredential(req.headers);
  return credential?.via === 'bearer' ? credential.key : null;
}

/** Whether the request carries the admin key; compared in constant time by hash. */
function isAdmin(req: IncomingMessage, keyHash: string): boolean {
  const presented = bearer(req);
  if (presented === null) return false;
  const given = Buffer.from(hashKey(presented), 'hex');
  const expected = Buffer.from(keyHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * @example
 * const admin = adminHandler(registry, config.admin.keyHash);
 * createGateway({ config, handlers: [admin] });
 */
export function adminHandler(registry: AdminRegistry, keyHash: string | null): RequestHandler {
  return async (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target)) return false;
    const { path, query } = target;
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    if (keyHash === null) return false;
    if (!isAdmin(req, keyHash)) {
      const hasKey = bearer(req) !== null;
      sendRefusal(
        res,
        hasKey
          ? refusal(403, 'forbidden', 'The admin API needs the admin key.')
          : refusal(401, 'missing_api_key', 'The admin API needs the admin key as a bearer token.'),
      );
      return true;
    }
    const id = path === PREFIX ? null : decodePath(path.slice(PREFIX.length + 1));
    if (id === null && path !== PREFIX) {
      sendRefusal(res, refusal(400, 'invalid_path', 'The session id contains a malformed percent-escape.'));
      return true;
    }
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (id === null) {
      if (req.method !== 'GET')
        sendRefusal(res, refusal(405, 'method_not_allowed', 'Use GET to list sessions.'));
      else json(200, { object: 'list', data: await registry.list() });
      return true;
    }
    if (req.method === 'GET') {
      const session = await registry.get(id);
      if (session === null) sendRefusal(res, refusal(404, 'session_not_found', `No live session '${id}'.`));
      else json(200, session);
      return true;
    }
    if (req.method === 'DELETE') {
      const reason = query.get('reason') ?? 'terminated by an operator';
      if (!(await registry.terminate(id, reason)))
        sendRefusal(res, refusal(404, 'session_not_found', `No live session '${id}'.`));
      else json(200, { id, terminated: true, reason });
      return true;
    }
    sendRefusal(res, refusal(405, 'method_not_allowed', 'Use GET or DELETE.'));
    return true;
  };
}
