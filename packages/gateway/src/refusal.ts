/**
 * Why the gateway refused a request, as a value: the HTTP status and the OpenAI-style error
 * body a client gets instead of a WebSocket (or a REST answer).
 */
export interface Refusal {
  readonly status: number;
  /** OpenAI's error `type`: `invalid_request_error`, `server_error`, … */
  readonly type: string;
  /** A stable machine-readable code: `invalid_api_key`, `model_not_found`, … */
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  /** Extra response headers the refusal needs, such as `Sec-WebSocket-Version` or `Allow`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Builds a refusal. */
export function refusal(
  status: number,
  code: string,
  message: string,
  options: { type?: string; param?: string | null; headers?: Readonly<Record<string, string>> } = {},
): Refusal {
  const type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  const r: Refusal = { status, type, code, message, param: options.param ?? null };
  return options.headers === undefined ? r : { ...r, headers: options.headers };
}

/**
 * The JSON body for a refusal, in the shape OpenAI's HTTP API uses.
 *
 * @example
 * res.writeHead(r.status, { 'content-type': 'application/json' }).end(refusalBody(r));
 */
export function refusalBody(r: Refusal): string {
  return JSON.stringify({ error: { message: r.message, type: r.type, param: r.param, code: r.code } });
}

/** The refusal when the store cannot say whether a limit allows a session (see the README's "Store"). */
export function storeUnavailable(): Refusal {
  return refusal(503, 'store_unavailable', 'The gateway cannot check its limits right now; try again.');
}

/** The refusal for a call that does not exist, has ended, or belongs to another key (not told apart). */
export function callNotFound(id: string): Refusal {
  return refusal(404, 'call_not_found', `No call found with id '${id.slice(0, 64)}'.`, { param: 'call_id' });
}
