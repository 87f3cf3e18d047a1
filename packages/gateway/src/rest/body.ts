/**
 * Reading what a REST request says about its model without re-serializing it: the body is
 * forwarded byte for byte, so it is only ever inspected (JSON `model` or `session.model`, the
 * `session` part of a multipart body, or `?model=` for raw SDP), and when an alias must be
 * rewritten only the model's own JSON string is replaced.
 */

/** Reads a request body up to `limit` bytes; null when it is larger. */
export async function readBody(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function modelOfJson(text: string): string | null {
  try {
    const value = JSON.parse(text) as { model?: unknown; session?: { model?: unknown } } | null;
    if (typeof value?.session?.model === 'string') return value.session.model;
    if (typeof value?.model === 'string') return value.model;
  } catch {
    // Not JSON: the upstream will say so; routing goes on without a model.
  }
  return null;
}

/** The `session` part of a multipart/form-data body. */
export function multipartPart(
  body: Buffer,
  contentType: string,
  name: string,
): { start: number; end: number } | null {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (match === null) return null;
  const delimiter = Buffer.from(`--${match[1]}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const headersStart = at + delimiter.length;
    const next = body.indexOf(delimiter, headersStart);
    if (next === -1) return null;
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd !== -1 && headersEnd < next) {
      const headers = body.subarray(headersStart, headersEnd).toString('utf8');
      if (new RegExp(`name="${name}"`, 'i').test(headers)) {
        // The part's content ends before the CRLF that precedes the next delimiter.
        return { start: headersEnd + 4, end: next - 2 };
      }
    }
    at = next;
  }
  return null;
}

/** Where a request names its model: the whole body, a multipart part, or the query. */
export function findModel(body: Buffer, contentType: string, query: URLSearchParams): string | null {
  const type = contentType.toLowerCase();
  if (type.startsWith('application/json')) return modelOfJson(body.toString('utf8'));
  if (type.startsWith('multipart/form-data')) {
    const part = multipartPart(body, contentType, 'session');
    return part === null ? null : modelOfJson(body.subarray(part.start, part.end).toString('utf8'));
  }
  return query.get('model');
}

/**
 * The body with the model's JSON string `"model": "<from>"` changed to `<to>`, everything else
 * byte for byte as it was.
 */
export function rewriteModel(body: Buffer, from: string, to: string): Buffer {
  const text = body.toString('latin1');
  const pattern = new RegExp(
    `("model"\\s*:\\s*)${JSON.stringify(from).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
  );
  const replaced = text.replace(pattern, (_, key: string) => `${key}${JSON.stringify(to)}`);
  return Buffer.from(replaced, 'latin1');
}
