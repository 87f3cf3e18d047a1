/**
 * Reading an event's `type` and `event_id` from a raw frame without parsing it.
 *
 * Audio frames (`input_audio_buffer.append`, `response.output_audio.delta`) carry hundreds of
 * kilobytes of base64 in one string, and a proxy only needs to know what kind of event it is
 * relaying. The scan walks the top-level object's keys and jumps over every long string value
 * with a single native `indexOf` for its closing quote, so the payload is never decoded, copied
 * or allocated. On a Node `Buffer` that `indexOf` is a memchr; on a plain `Uint8Array` (browsers)
 * it is the engine's typed-array search, slower but still allocation-free. Bytes of a flat,
 * compact object (every audio event) take a tighter path first; see {@link scanFlat}.
 *
 * The answer equals what `JSON.parse` would give for any valid JSON: keys and values in any
 * order, whitespace anywhere, escaped characters, duplicate keys (the last one wins, as in
 * `JSON.parse`). When the scan cannot be sure — a key written with escapes, which might spell
 * `type` — it falls back to a full parse. Invalid JSON is never thrown on; the scan answers
 * null where its structure is broken, and otherwise leaves the judgement to a validating parse.
 */

import { BETA_CLIENT_EVENT_TYPES } from './dialects/beta/client-events.js';
import { BETA_SERVER_EVENT_TYPES } from './dialects/beta/server-events.js';
import { CLIENT_EVENT_TYPES } from './events/client-events.js';
import { SERVER_EVENT_TYPES } from './events/server-events.js';

/** The type and id of an event, as peeked from its frame. */
export interface PeekedEvent {
  readonly type: string;
  /** The `event_id`, or null when the event has none (or a non-string one). */
  readonly eventId: string | null;
}

/** A frame as it comes off a socket. */
export type RawFrame = string | Uint8Array | ArrayBuffer;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// The frame being scanned. Peeking is synchronous and never re-entered, so the scan reads one
// frame at a time through module state instead of allocating a reader object per frame, which
// cost more than the scan itself on small frames.
let text = '';
const EMPTY = new Uint8Array(0);
let bytes: Uint8Array = EMPTY;
let isText = true;
let length = 0;

/** The character (text) or byte at `index`; NaN past the end. Every decision is on ASCII. */
function charAt(index: number): number {
  if (isText) return text.charCodeAt(index);
  return index < length ? bytes[index]! : Number.NaN;
}

/**
 * Bytes looked at in JavaScript before a search goes native: keys and most values (ids,
 * types) close within this many, and a call to `Buffer#indexOf` costs more than such a scan.
 */
const INLINE_SEARCH = 32;

/** Index of the next `"` at or after `from`, or -1. */
function nextQuote(from: number): number {
  if (isText) return text.indexOf('"', from);
  const inline = Math.min(from + INLINE_SEARCH, length);
  for (let k = from; k < inline; k++) if (bytes[k] === QUOTE) return k;
  return inline === length ? -1 : bytes.indexOf(QUOTE, inline);
}

const decoder = new TextDecoder();

/** The characters in [start, end) as a string. */
function slice(start: number, end: number): string {
  if (isText) return text.slice(start, end);
  // Short ASCII slices (types and ids) are built directly; TextDecoder costs more to call.
  if (end - start <= 64) {
    let out = '';
    for (let k = start; k < end; k++) {
      const byte = bytes[k]!;
      if (byte >= 0x80) return decoder.decode(bytes.subarray(start, end));
      out += String.fromCharCode(byte);
    }
    return out;
  }
  return decoder.decode(bytes.subarray(start, end));
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(i: number): number {
  while (isSpace(charAt(i))) i++;
  return i;
}

/**
 * Index of the quote closing the string whose contents start at `start`, or -1. A quote is
 * closing when an even number of backslashes precede it (`\\"` ends a string, `\"` does not).
 */
function closingQuote(start: number): number {
  let at = nextQuote(start);
  while (at !== -1) {
    let slashes = 0;
    while (at - slashes - 1 >= start && charAt(at - slashes - 1) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = nextQuote(at + 1);
  }
  return -1;
}

/**
 * Whether [start, end) holds a backslash. Only keys are asked about, and keys are short, so
 * they are looked at directly (an unbounded native `indexOf` from `start` could run through a
 * whole payload, and slicing first would allocate).
 */
function hasBackslash(start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (charAt(k) === BACKSLASH) return true;
  return false;
}

/** Whether the characters from `start` spell `word`. */
function spells(start: number, word: string): boolean {
  if (isText) return text.startsWith(word, start);
  for (let k = 0; k < word.length; k++) if (charAt(start + k) !== word.charCodeAt(k)) return false;
  return true;
}

/** Index just past the value starting at `i` (after whitespace), or -1 if it is unterminated. */
function skipValue(i: number): number {
  const first = charAt(i);
  if (first === QUOTE) {
    const end = closingQuote(i + 1);
    return end === -1 ? -1 : end + 1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (;;) {
      const c = charAt(i);
      if (c === QUOTE) {
        const end = closingQuote(i + 1);
        if (end === -1) return -1;
        i = end + 1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      } else if (Number.isNaN(c)) return -1;
      i++;
    }
  }
  // A number, true, false or null: it runs to the next delimiter.
  const start = i;
  for (;;) {
    const c = charAt(i);
    if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
    i++;
  }
  return i === start ? -1 : i;
}

/** What a top-level key holds, as far as peeking cares. */
const NOT_STRING = 1;
type PeekedValue = string | typeof NOT_STRING | undefined;

/** A string value at [start, end) (quotes excluded), unescaped when it contains escapes. */
function stringAt(start: number, end: number): string | null {
  const raw = slice(start, end);
  if (raw.indexOf('\\') === -1) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return null;
  }
}

/**
 * The event types of both dialects by length, so a type in bytes can be matched without
 * decoding (a gateway peeks beta frames as often as GA ones).
 */
const KNOWN_TYPES = new Map<number, string[]>();
for (const type of [
  ...CLIENT_EVENT_TYPES,
  ...SERVER_EVENT_TYPES,
  ...BETA_CLIENT_EVENT_TYPES,
  ...BETA_SERVER_EVENT_TYPES,
]) {
  const sameLength = KNOWN_TYPES.get(type.length);
  if (sameLength === undefined) KNOWN_TYPES.set(type.length, [type]);
  else if (!sameLength.includes(type)) sameLength.push(type);
}

/**
 * The type string at [start, end): a known type is matched in place and answered with the
 * protocol's own string, so peeking a known event builds no string, from bytes or from text.
 */
function typeAt(start: number, end: number): string | null {
  const candidates = KNOWN_TYPES.get(end - start);
  if (candidates !== undefined) {
    for (let k = 0; k < candidates.length; k++) if (spells(start, candidates[k]!)) return candidates[k]!;
  }
  return stringAt(start, end);
}

/** What {@link scan} found: the frame's type and id are in {@link foundType} and {@link foundId}. */
const FOUND = 0;
/** Not a JSON object with a string `type`. */
const NONE = 1;
/** A key the scan cannot read without decoding it: a full parse decides. */
const FALLBACK = 2;
type ScanResult = typeof FOUND | typeof NONE | typeof FALLBACK;

// The scan's answer, in module state like the frame itself, so that peeking a type allocates
// no result object; peekEvent builds the object its callers get.
let foundType = '';
let foundId: string | null = null;
/** Where the `type` value found is, its quotes included: [foundTypeStart, foundTypeEnd). */
let foundTypeStart = -1;
let foundTypeEnd = -1;

/**
 * The scan of a flat, compact frame of bytes — `{"key":"value","key":123,…}` with no
 * whitespace, no escaped key and no nested value, as every audio event is — in tight loops on
 * the bytes, without the general scan's per-character calls. FALLBACK as soon as the frame is
 * anything else, so the general scan decides every other frame and the answers are the same.
 */
function scanFlat(withId: boolean): ScanResult {
  const b = bytes;
  const n = length;
  if (b[0] !== OPEN_BRACE || b[1] !== QUOTE) return FALLBACK;
  let type: string | null = null;
  let eventId: string | null = null;
  let typeStart = -1;
  let typeEnd = -1;
  let i = 1;
  for (;;) {
    // A key: short, looked at byte by byte; an escape in it is the general scan's to judge.
    const keyStart = i + 1;
    let keyEnd = keyStart;
    for (; keyEnd < n; keyEnd++) {
      const c = b[keyEnd]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) return FALLBACK;
    }
    if (keyEnd >= n || b[keyEnd + 1] !== COLON) return FALLBACK;
    const keyLength = keyEnd - keyStart;
    const isType = keyLength === 4 && spells(keyStart, 'type');
    const isId = withId && keyLength === 8 && spells(keyStart, 'event_id');
    i = keyEnd + 2;
    if (b[i] === QUOTE) {
      const valueStart = i + 1;
      const valueEnd = nextQuote(valueStart);
      // A quote after a backslash may be escaped: counting them is the general scan's work.
      if (valueEnd === -1 || b[valueEnd - 1] === BACKSLASH) return FALLBACK;
      if (isType) {
        type = typeAt(valueStart, valueEnd);
        if (type === null) return FALLBACK;
        typeStart = valueStart - 1;
        typeEnd = valueEnd + 1;
      } else if (isId) {
        eventId = stringAt(valueStart, valueEnd);
        if (eventId === null) return FALLBACK;
      }
      i = valueEnd + 1;
    } else {
      // A number, true, false or null, running to the next comma or brace.
      if (isType || isId) return FALLBACK;
      const valueStart = i;
      for (; i < n; i++) {
        const c = b[i]!;
        if (c === COMMA || c === CLOSE_BRACE) break;
        if (c === QUOTE || c === OPEN_BRACE || c === OPEN_BRACKET || c === CLOSE_BRACKET || isSpace(c))
          return FALLBACK;
      }
      if (i === valueStart) return FALLBACK;
    }
    const next = b[i];
    if (next === CLOSE_BRACE && i + 1 === n) break;
    if (next !== COMMA || b[i + 1] !== QUOTE) return FALLBACK;
    i++;
  }
  if (type === null) return FALLBACK;
  foundType = type;
  foundId = eventId;
  foundTypeStart = typeStart;
  foundTypeEnd = typeEnd;
  return FOUND;
}

/** Scans the frame; `withId` false leaves the event_id undecoded (null). */
function scan(withId: boolean): ScanResult {
  if (!isText) {
    const flat = scanFlat(withId);
    if (flat !== FALLBACK) return flat;
  }
  let i = skipSpace(0);
  if (charAt(i) !== OPEN_BRACE) return NONE;
  i = skipSpace(i + 1);
  let type: PeekedValue;
  let eventId: PeekedValue;
  let typeStart = -1;
  let typeEnd = -1;
  if (charAt(i) === CLOSE_BRACE) i++;
  else {
    for (;;) {
      if (charAt(i) !== QUOTE) return NONE;
      const keyEnd = closingQuote(i + 1);
      if (keyEnd === -1) return NONE;
      const keyStart = i + 1;
      const keyLength = keyEnd - keyStart;
      // Only keys of the right length can be `type` or `event_id`; an escaped one cannot be
      // compared without decoding, so the full parse decides.
      let key: 'type' | 'event_id' | null = null;
      if (keyLength === 4 && spells(keyStart, 'type')) key = 'type';
      else if (keyLength === 8 && spells(keyStart, 'event_id')) key = 'event_id';
      if (key === null && hasBackslash(keyStart, keyEnd)) return FALLBACK;
      i = skipSpace(keyEnd + 1);
      if (charAt(i) !== COLON) return NONE;
      i = skipSpace(i + 1);
      const valueStart = i;
      i = skipValue(i);
      if (i === -1) return NONE;
      if (key === 'type' || (key === 'event_id' && withId)) {
        let value: PeekedValue = NOT_STRING;
        if (charAt(valueStart) === QUOTE) {
          const decoded = key === 'type' ? typeAt(valueStart + 1, i - 1) : stringAt(valueStart + 1, i - 1);
          if (decoded === null) return NONE;
          value = decoded;
        }
        if (key === 'type') {
          type = value;
          typeStart = valueStart;
          typeEnd = i;
        } else eventId = value;
      }
      i = skipSpace(i);
      const next = charAt(i);
      if (next === COMMA) {
        i = skipSpace(i + 1);
        continue;
      }
      if (next !== CLOSE_BRACE) return NONE;
      i++;
      break;
    }
  }
  if (skipSpace(i) !== length) return NONE;
  if (typeof type !== 'string') return NONE;
  foundType = type;
  foundId = typeof eventId === 'string' ? eventId : null;
  foundTypeStart = typeStart;
  foundTypeEnd = typeEnd;
  return FOUND;
}

function fromParsed(text: string): PeekedEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as { type?: unknown; event_id?: unknown };
  if (typeof record.type !== 'string') return null;
  return { type: record.type, eventId: typeof record.event_id === 'string' ? record.event_id : null };
}

/**
 * The `type` and `event_id` of the event in a frame, or null when the frame is not a JSON
 * object with a string `type`. Never throws.
 *
 * @example
 * ws.on('message', (data) => {
 *   const peeked = peekEvent(data);
 *   if (peeked?.type === 'response.done') handleDone(parseServerEvent(data));
 *   else relay(data);
 * });
 */
export function peekEvent(frame: RawFrame): PeekedEvent | null {
  const result = peek(frame, true);
  if (result === FOUND) return { type: foundType, eventId: foundId };
  return result === NONE ? null : fallback(frame);
}

/** Scans `frame`; on FOUND the answer is in {@link foundType} and {@link foundId}. */
function peek(frame: RawFrame, withId: boolean): ScanResult {
  if (typeof frame === 'string') {
    isText = true;
    text = frame;
    length = frame.length;
  } else {
    isText = false;
    bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame;
    length = bytes.length;
  }
  try {
    return scan(withId);
  } finally {
    // Drop the references so a peeked frame is not kept alive until the next one.
    text = '';
    bytes = EMPTY;
  }
}

function fallback(frame: RawFrame): PeekedEvent | null {
  return fromParsed(typeof frame === 'string' ? frame : decoder.decode(frame));
}

/**
 * The `type` of the event in a frame, or null; see {@link peekEvent}. Cheaper than
 * `peekEvent` on bytes, since the event_id is not decoded.
 *
 * @example
 * if (peekEventType(frame) === 'input_audio_buffer.append') audioFrames++;
 */
export function peekEventType(frame: RawFrame): string | null {
  const result = peek(frame, false);
  if (result === FOUND) return foundType;
  return result === NONE ? null : (fallback(frame)?.type ?? null);
}

/**
 * Where an event's `type` is in its frame: the type, and the span of its JSON string, quotes
 * included, in UTF-16 code units for text and in bytes for bytes.
 */
export interface EventTypeSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The `type` of the event in a frame and where its string is, so the type can be replaced in
 * place (see `retypeFrame`) without parsing the rest. Null when the frame is not a JSON object
 * with a string `type`, and also when the scan cannot be sure which key is `type` (a key
 * written with escapes), which only a full parse can tell. Never throws.
 *
 * @example
 * const span = peekEventTypeSpan(frame); // frame: '{"type":"response.audio.delta",…}'
 * // span: { type: 'response.audio.delta', start: 8, end: 30 }
 */
export function peekEventTypeSpan(frame: RawFrame): EventTypeSpan | null {
  if (peek(frame, false) !== FOUND) return null;
  return { type: foundType, start: foundTypeStart, end: foundTypeEnd };
}
