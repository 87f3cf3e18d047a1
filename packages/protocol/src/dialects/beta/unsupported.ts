import { formatPath } from '../../errors.js';

/**
 * A field a translation between the beta and GA dialects could not carry over: it has no
 * equivalent on the other side, so it is left out of the translated value and named here.
 */
export interface UnsupportedField {
  /** Where the field is in the value given to the translation, as keys and indexes. */
  readonly path: readonly (string | number)[];
  /** The same path as OpenAI names parameters (`tools[1]`). */
  readonly param: string;
  /** Why it has no equivalent. */
  readonly reason: string;
  /** A sentence naming the field and the reason, for an `error` event's `message`. */
  readonly message: string;
}

/**
 * The outcome of a translation: the translated value, and every field of the input that had no
 * equivalent and so is not in it. Fields with an equivalent are always translated.
 */
export interface Translation<T> {
  readonly value: T;
  readonly unsupported: readonly UnsupportedField[];
}

/** Builds the report of one field without an equivalent. */
export function unsupportedField(path: readonly (string | number)[], reason: string): UnsupportedField {
  const param = formatPath(path);
  return { path, param, reason, message: `Unsupported parameter: '${param}'. ${reason}` };
}

/** The same reports, with `prefix` put before each path (a field's place in a larger value). */
export function underPath(
  prefix: readonly (string | number)[],
  fields: readonly UnsupportedField[],
): UnsupportedField[] {
  return fields.map((field) => unsupportedField([...prefix, ...field.path], field.reason));
}
