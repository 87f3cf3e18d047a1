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
import { checkOperatorKey } from '../http/operator-key.js';
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
    const refused = checkOperatorKey(req, keyHash, 'The admin API');
    if (refused !== null) {
      sendRefusal(res, refused);
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
