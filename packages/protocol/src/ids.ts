/**
 * Ids in OpenAI's shapes: a prefix, an underscore and 21 letters or digits
 * (`event_Bx3…`, `item_…`, `resp_…`, `sess_…`). Randomness comes from Web Crypto, which
 * browsers, workers and Node all have, drawn in batches because streaming loops make an id
 * per delta.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 21;
const POOL_SIZE = 4096;

let pool = new Uint8Array(0);
let cursor = 0;

function randomChars(count: number): string {
  if (cursor + count > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE));
    cursor = 0;
  }
  let out = '';
  // 256 is not a multiple of 62, so a plain modulo would favour the first 8 characters;
  // bytes from the biased tail are skipped instead.
  while (out.length < count) {
    if (cursor === pool.length) {
      pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE));
      cursor = 0;
    }
    const byte = pool[cursor++]!;
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** The id prefixes OpenAI uses. */
export type IdPrefix = 'event' | 'item' | 'resp' | 'sess' | 'call' | 'conv' | (string & {});

/**
 * A fresh id with the given prefix.
 *
 * @example
 * newId('item') // 'item_C6rQ2cV0b3x5nZp8KkLmA'
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomChars(ID_LENGTH)}`;
}

/** A fresh `event_…` id. */
export const newEventId = (): string => newId('event');
/** A fresh `item_…` id. */
export const newItemId = (): string => newId('item');
/** A fresh `resp_…` id. */
export const newResponseId = (): string => newId('resp');
/** A fresh `sess_…` id. */
export const newSessionId = (): string => newId('sess');
/** A fresh `call_…` id, as function calls carry. */
export const newCallId = (): string => newId('call');
