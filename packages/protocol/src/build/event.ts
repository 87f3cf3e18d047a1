/**
 * The one piece every builder shares: an event of a type, its fields, and an `event_id` —
 * the caller's, or a fresh one in OpenAI's shape.
 */
import { newEventId } from '../ids.js';

/** Options every event builder takes. */
export interface EventOptions {
  /** The event's id; a fresh `event_…` id when absent. */
  readonly eventId?: string;
}

/** Builds `{ type, event_id, ...fields }`. */
export function event<T extends string, F extends object>(
  type: T,
  fields: F,
  options?: EventOptions,
): { type: T; event_id: string } & F {
  return { type, event_id: options?.eventId ?? newEventId(), ...fields };
}
