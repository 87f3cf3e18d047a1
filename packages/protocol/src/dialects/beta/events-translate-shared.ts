/**
 * What the four event translations share: the shape of their answer, and the making of it.
 */
import { type Translation, type UnsupportedField, underPath, unsupportedField } from './unsupported.js';

/**
 * The outcome of translating one event: the events to send in its place (none, one or two),
 * and every field that had no equivalent and so is not in them. Paths are within the event
 * given (`session.temperature`, `item.content[1]`); an event the other dialect has no kind
 * for at all is reported at `type`, with no event sent in its place.
 */
export type EventTranslation<E> = Translation<readonly E[]>;

/** The translation that sends `events`, with the reports `fields` made under `prefix`. */
export function sendAll<E>(
  events: readonly E[],
  prefix: readonly (string | number)[] = [],
  fields: readonly UnsupportedField[] = [],
): EventTranslation<E> {
  return { value: events, unsupported: prefix.length === 0 ? fields : underPath(prefix, fields) };
}

/** The translation of an event the other dialect has no kind for: nothing sent, `type` reported. */
export function noEquivalent<E>(type: string, dialect: 'beta' | 'GA', why = ''): EventTranslation<E> {
  const reason = `The ${dialect} protocol has no '${type}' event.${why === '' ? '' : ` ${why}`}`;
  return { value: [], unsupported: [unsupportedField(['type'], reason)] };
}
