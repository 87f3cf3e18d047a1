/**
 * Checking a client frame before it is relayed. Control events are rare, so they are parsed
 * and validated in full with the protocol package. Audio appends are the hot path (50 a second
 * per session), so a plain append — a flat object of `type`, `event_id` and `audio` strings
 * with no escapes — is recognised by a byte scan that allocates nothing; anything else, however
 * unusual, falls back to the full check, so the scan only ever saves work, never changes an
 * answer.
 */
import {
  type ClientEvent,
  MAX_CLIENT_EVENT_ID_LENGTH,
  type ProtocolError,
  parseClientEvent,
  peekEvent,
  protocolError,
  type UnknownEvent,
} from '@realtime-gateway/protocol';

export type CheckingMode = 'off' | 'warn' | 'enforce';

export type FrameCheck =
  /** `event` is the parsed event, or null when the fast path accepted the frame without parsing it. */
  | { readonly ok: true; readonly event: ClientEvent | UnknownEvent | null }
  | { readonly ok: false; readonly error: ProtocolError };

const FAST_OK: FrameCheck = Object.freeze({ ok: true, event: null });

/**
 * Checks one client frame against the frame-size limit and the protocol.
 *
 * @example
 * const check = checkClientFrame(data, 16 * 1024 * 1024);
 * if (!check.ok) client.send(JSON.stringify(toErrorEvent(check.error)));
 */
export function checkClientFrame(data: Uint8Array, maxFrameBytes: number): FrameCheck {
  if (data.length > maxFrameBytes) {
    return { ok: false, error: frameSizeError(data.length, maxFrameBytes, peekEvent(data)?.eventId ?? null) };
  }
  if (isPlainAppend(data)) return FAST_OK;
  const result = parseClientEvent(data);
  return result.ok ? { ok: true, event: result.event } : result;
}

/** The error for a frame over `limits.maxFrameBytes`. */
export function frameSizeError(size: number, maxFrameBytes: number, eventId: string | null): ProtocolError {
  const issue = {
    code: 'invalid_event' as const,
    path: [],
    expected: `a frame of at most ${maxFrameBytes} bytes`,
    found: `a frame of ${size} bytes`,
  };
  return protocolError(issue, eventId);
}

/** The type of every frame {@link isPlainAppend} accepts. */
export const APPEND_TYPE = 'input_audio_buffer.append';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const APPEND = new TextEncoder().encode(APPEND_TYPE);
const KEY_TYPE = 1;
const KEY_EVENT_ID = 2;
const KEY_AUDIO = 4;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Whether `data` is exactly `{"type":"input_audio_buffer.append","audio":"…"}` with an optional
 * `event_id` of at most 512 bytes, in any order, every value a string without escapes or control
 * characters. Such a frame is valid JSON and a valid append by construction. `append` is the
 * append's type as UTF-8 (a translation session's is `session.input_audio_buffer.append`, same
 * fields).
 *
 * The payload is never walked byte by byte in JavaScript: a plain append holds no backslash
 * anywhere (not in a key, a value or between them), so one native search rules escapes out for
 * the whole frame; a long string's closing quote is another native search; and a value's control
 * characters are looked for four bytes at a time. On a `Buffer` both searches are a memchr.
 */
export function isPlainAppend(data: Uint8Array, append: Uint8Array = APPEND): boolean {
  const n = data.length;
  if (data.indexOf(BACKSLASH) !== -1) return false;
  let i = 0;
  while (i < n && isSpace(data[i]!)) i++;
  if (data[i++] !== 0x7b) return false; // {
  let seen = 0;
  for (;;) {
    while (i < n && isSpace(data[i]!)) i++;
    // Key
    if (data[i++] !== QUOTE) return false;
    const keyStart = i;
    i = nextQuote(data, keyStart);
    if (i === -1) return false;
    const key = keyOf(data, keyStart, i);
    if (key === 0 || (seen & key) !== 0) return false;
    seen |= key;
    i++;
    while (i < n && isSpace(data[i]!)) i++;
    if (data[i++] !== 0x3a) return false; // :
    while (i < n && isSpace(data[i]!)) i++;
    // String value
    if (data[i++] !== QUOTE) return false;
    const valueStart = i;
    i = nextQuote(data, valueStart);
    if (i === -1 || hasControlByte(data, valueStart, i)) return false;
    if (key === KEY_TYPE && !equalsAt(data, valueStart, i, append)) return false;
    // Bytes bound characters from above: a longer id may still be short enough in characters,
    // which the full check counts.
    if (key === KEY_EVENT_ID && i - valueStart > MAX_CLIENT_EVENT_ID_LENGTH) return false;
    i++;
    while (i < n && isSpace(data[i]!)) i++;
    const next = data[i++];
    if (next === 0x2c) continue; // ,
    if (next !== 0x7d) return false; // }
    while (i < n && isSpace(data[i]!)) i++;
    return i === n && (seen & (KEY_TYPE | KEY_AUDIO)) === (KEY_TYPE | KEY_AUDIO);
  }
}

/**
 * Bytes looked at in JavaScript before a search goes native: keys and ids close within this
 * many, and a call to `indexOf` costs more than such a scan.
 */
const INLINE_SEARCH = 32;

/** Index of the next `"` at or after `from`, or -1. */
function nextQuote(data: Uint8Array, from: number): number {
  const inline = Math.min(from + INLINE_SEARCH, data.length);
  for (let k = from; k < inline; k++) if (data[k] === QUOTE) return k;
  return inline === data.length ? -1 : data.indexOf(QUOTE, inline);
}

/** Below this many bytes a value is checked byte by byte; above, a word at a time. */
const WORDWISE_FROM = 64;
/** 0x20 and 0x80 in every byte of a 32-bit word. */
const SPACES = 0x20202020;
const HIGH_BITS = 0x80808080;

/**
 * Whether [start, end) of `data` holds a byte below 0x20. The aligned middle is read as 32-bit
 * words: `(x - 0x20202020) & ~x & 0x80808080` is non-zero exactly when some byte of `x` is
 * below 0x20 (a byte below 0x20 is the first to borrow, and only such a byte can set its high
 * bit there), whatever the byte order.
 */
function hasControlByte(data: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (end - start >= WORDWISE_FROM) {
    const head = (4 - ((data.byteOffset + start) & 3)) & 3;
    for (; i < start + head; i++) if (data[i]! < 0x20) return true;
    const count = (end - i) >>> 2;
    const words = new Uint32Array(data.buffer, data.byteOffset + i, count);
    let w = 0;
    for (; w + 4 <= count; w += 4) {
      const a = words[w]!;
      const b = words[w + 1]!;
      const c = words[w + 2]!;
      const d = words[w + 3]!;
      if ((((a - SPACES) & ~a) | ((b - SPACES) & ~b) | ((c - SPACES) & ~c) | ((d - SPACES) & ~d)) & HIGH_BITS)
        return true;
    }
    for (; w < count; w++) {
      const x = words[w]!;
      if (((x - SPACES) & ~x & HIGH_BITS) !== 0) return true;
    }
    i += count * 4;
  }
  for (; i < end; i++) if (data[i]! < 0x20) return true;
  return false;
}

function keyOf(data: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (
    length === 4 &&
    data[start] === 0x74 &&
    data[start + 1] === 0x79 &&
    data[start + 2] === 0x70 &&
    data[start + 3] === 0x65
  )
    return KEY_TYPE; // type
  if (
    length === 5 &&
    data[start] === 0x61 &&
    data[start + 1] === 0x75 &&
    data[start + 2] === 0x64 &&
    data[start + 3] === 0x69 &&
    data[start + 4] === 0x6f
  )
    return KEY_AUDIO; // audio
  if (
    length === 8 &&
    data[start] === 0x65 &&
    data[start + 5] === 0x5f &&
    data[start + 6] === 0x69 &&
    data[start + 7] === 0x64
  ) {
    // event_id
    return data[start + 1] === 0x76 &&
      data[start + 2] === 0x65 &&
      data[start + 3] === 0x6e &&
      data[start + 4] === 0x74
      ? KEY_EVENT_ID
      : 0;
  }
  return 0;
}

function equalsAt(data: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (data[start + k] !== expected[k]) return false;
  return true;
}
