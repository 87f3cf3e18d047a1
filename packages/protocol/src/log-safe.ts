/**
 * Making events safe to log. Realtime events carry two things that must never reach a log:
 * media (base64 audio in appends, deltas and content parts; images as `data:` URLs), which is
 * large and may be personal data, and secrets (client secret values, MCP authorization tokens
 * and headers). Rendering replaces media with its decoded size and secrets with a marker, and
 * keeps everything else, so a logged event still shows what happened.
 *
 * Fields are recognised by name wherever they occur, not by event type, so unknown events and
 * future fields with the same names are covered too.
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** Nesting deeper than this is cut, so hostile input cannot exhaust the stack of a logger. */
const MAX_DEPTH = 64;

/** Keys whose string values are secrets wherever they appear. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['authorization', 'api_key']);

/**
 * The number of bytes a base64 string decodes to, without decoding it. Whitespace is not
 * counted; padding is honoured.
 *
 * @example
 * base64DecodedLength('AAEC'); // 3
 */
export function base64DecodedLength(b64: string): number {
  // Line breaks and spaces are legal in some base64 producers; they carry no data.
  const data = /\s/.test(b64) ? b64.replace(/\s+/g, '') : b64;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

function mediaMarker(kind: string, b64: string): string {
  return `[${kind}: ${base64DecodedLength(b64)} bytes]`;
}

/** A `data:` URL with its payload replaced by its size; other URLs are kept. */
function redactDataUrl(url: string): string {
  if (!url.startsWith('data:')) return url;
  const comma = url.indexOf(',');
  if (comma === -1) return 'data:[malformed]';
  const header = url.slice(0, comma);
  const payload = url.slice(comma + 1);
  const size = header.endsWith(';base64') ? base64DecodedLength(payload) : payload.length;
  return `${header},[${size} bytes]`;
}

function redactObject(record: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // A client secret (`{ value, expires_at }`, alone or under `client_secret`) keeps its expiry.
  const isClientSecret = typeof record.value === 'string' && 'expires_at' in record;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') {
      if (key === 'audio' || (key === 'delta' && record.type === 'response.output_audio.delta')) {
        out[key] = mediaMarker('audio', value);
      } else if (key === 'image_url') out[key] = redactDataUrl(value);
      else if (SECRET_KEYS.has(key) || (key === 'value' && isClientSecret)) out[key] = REDACTED;
      else out[key] = value;
    } else if (key === 'headers' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED]));
    } else out[key] = redactValue(value, depth + 1);
  }
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((entry) => redactValue(entry, depth + 1));
  return redactObject(value as Record<string, unknown>, depth);
}

/**
 * A copy of an event (or any JSON value) with media replaced by its decoded size and secrets
 * replaced by `[redacted]`, for structured loggers that serialize objects themselves.
 *
 * @example
 * redactForLog({ type: 'input_audio_buffer.append', audio: 'AAEC' });
 * // { type: 'input_audio_buffer.append', audio: '[audio: 3 bytes]' }
 */
export function redactForLog(value: unknown): unknown {
  return redactValue(value, 0);
}

/**
 * An event rendered as one line of JSON that is safe to log.
 *
 * @example
 * logger.debug(`client sent ${renderForLog(event)}`);
 */
export function renderForLog(value: unknown): string {
  return JSON.stringify(redactForLog(value)) ?? String(value);
}
