/**
 * An admin endpoint that answers from the usage ledger (`GET /admin/usage`,
 * `GET /admin/guardrails`): behind the admin key, GET only; 404 `ledger_disabled` when the
 * ledger is off, a 400 naming a bad parameter, 503 `ledger_unavailable` (and an error logged)
 * when it cannot be read.
 */
import type { ServerResponse } from 'node:http';
import { checkOperatorRead } from '../http/operator-key.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { isRefusal, parseTarget } from '../http/target.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { type Refusal, refusal } from '../refusal.js';
import { describeError, NO_LOG, type SessionLog } from '../vocabulary/session.js';

/** What one ledger endpoint reads and how it answers. */
export interface LedgerEndpoint<Q> {
  readonly path: string;
  /** For the log line when the ledger cannot be read: `usage`, `guardrail decisions`. */
  readonly what: string;
  parse(params: URLSearchParams): { ok: true; query: Q } | { ok: false; refusal: Refusal };
  /** The answer's body, read from the ledger. */
  answer(ledger: LedgerWriter, query: Q): Promise<unknown>;
}

/**
 * @example
 * const handler = ledgerHandler(endpoint, gateway.ledger, config.admin.keyHash, log);
 */
export function ledgerHandler<Q>(
  endpoint: LedgerEndpoint<Q>,
  ledger: LedgerWriter | null,
  keyHash: string | null,
  log: SessionLog = NO_LOG,
): RequestHandler {
  return async (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target) || target.path !== endpoint.path || keyHash === null) return false;
    const refused = checkOperatorRead(req, keyHash, 'The admin API', 'Use GET.');
    if (refused !== null) {
      sendRefusal(res, refused);
      return true;
    }
    await sendLedgerAnswer(res, endpoint, ledger, target.query, log);
    return true;
  };
}

/**
 * Answers one query of an endpoint (`params` as its path takes them) from the ledger: the body,
 * or 400 for a bad parameter, 404 with the ledger off, 503 when it cannot be read. The console
 * asks through it too, behind its own sign-in.
 *
 * @example
 * await sendLedgerAnswer(res, USAGE_ENDPOINT, gateway.ledger, new URLSearchParams('group_by=day'), log);
 */
export async function sendLedgerAnswer<Q>(
  res: ServerResponse,
  endpoint: LedgerEndpoint<Q>,
  ledger: LedgerWriter | null,
  params: URLSearchParams,
  log: SessionLog,
): Promise<void> {
  if (ledger === null) {
    sendRefusal(
      res,
      refusal(404, 'ledger_disabled', 'The usage ledger is turned off (ledger.enabled: false).'),
    );
    return;
  }
  const parsed = endpoint.parse(params);
  if (!parsed.ok) {
    sendRefusal(res, parsed.refusal);
    return;
  }
  let body: unknown;
  try {
    body = await endpoint.answer(ledger, parsed.query);
  } catch (error) {
    log.error(
      { ledger: ledger.ledger.description, err: describeError(error) },
      `reading ${endpoint.what} from the ledger failed`,
    );
    sendRefusal(
      res,
      refusal(503, 'ledger_unavailable', 'The usage ledger cannot be read right now; try again.'),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** An ISO 8601 time, or null. */
export const isoTime = (time: number | undefined): string | null =>
  time === undefined ? null : new Date(time).toISOString();
