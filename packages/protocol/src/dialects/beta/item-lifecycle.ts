/**
 * The one thing a server-event translation remembers: which items were announced and are not
 * done yet. Beta announces an item once (`conversation.item.created`); GA twice
 * (`conversation.item.added` when it joins the conversation, `conversation.item.done` when it
 * is final). Each direction of a session keeps its own state; nothing is global.
 */

/**
 * The items of one session announced to the other side and not yet done, by id. Translating
 * GA to beta, these are the items a beta `conversation.item.created` was sent for, so the GA
 * `conversation.item.done` that follows is not announced twice. Translating beta to GA, these
 * are the items a GA `conversation.item.added` was sent for while in progress, so the beta
 * `response.output_item.done` that finishes them also gives GA its `conversation.item.done`.
 */
export interface ItemLifecycle {
  readonly open: Set<string>;
}

/**
 * A fresh state for one direction of one session.
 *
 * @example
 * const upstreamToClient = newItemLifecycle();
 * for (const event of gaServerEventToBeta(parsed, upstreamToClient).value) client.send(JSON.stringify(event));
 */
export function newItemLifecycle(): ItemLifecycle {
  return { open: new Set() };
}

/** Whether an item with this status is final: no later event will change it. */
export function isFinalStatus(status: string | null | undefined): boolean {
  return status === 'completed' || status === 'incomplete';
}

/**
 * The id of a GA event the translation adds after the one it was made from (the
 * `conversation.item.done` a beta `conversation.item.created` also stands for). Derived from
 * that event's id rather than drawn at random, so the same input always translates to the
 * same output.
 */
export function followingEventId(eventId: string): string {
  return `${eventId}_done`;
}
