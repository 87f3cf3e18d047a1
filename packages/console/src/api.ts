/**
 * The console API as the pages call it: same-origin requests (the sign-in cookie goes along by
 * itself; no key is ever held by a page), changes marked with the header the gateway asks for,
 * and server-sent-event streams.
 */

/** The gateway answered 401: the sign-in is gone (expired, signed out, the gateway restarted). */
export class SignedOut extends Error {}

const CHANGE_HEADERS = { 'content-type': 'application/json', 'x-console-request': '1' };

async function failure(response: Response): Promise<Error> {
  if (response.status === 401) return new SignedOut('Signed out');
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
}

/** GETs `api/<path>` as JSON. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`api/${path}`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** POSTs `body` to `api/<path>`; the answer's JSON, or null for none. */
export async function postJson<T>(path: string, body: unknown): Promise<T | null> {
  const response = await fetch(`api/${path}`, {
    method: 'POST',
    headers: CHANGE_HEADERS,
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : ((await response.json()) as T);
}

/**
 * Listens to the stream `api/<path>`, calling `handlers[event]` with each event's data; `onLost`
 * when the stream ends for good or breaks. Returns the function that closes it.
 */
export function listen(
  path: string,
  handlers: Record<string, (data: never) => void>,
  onLost: () => void,
): () => void {
  const source = new EventSource(`api/${path}`);
  for (const [event, handler] of Object.entries(handlers))
    source.addEventListener(event, (message) =>
      handler(JSON.parse((message as MessageEvent<string>).data) as never),
    );
  source.onerror = () => {
    // The browser retries a broken stream by itself; one it gave up on (closed) is lost.
    if (source.readyState === EventSource.CLOSED) onLost();
  };
  return () => source.close();
}
