/**
 * The conversation: items in order, with OpenAI's rules for inserting after a given item,
 * deleting, retrieving and truncating assistant audio. Pure data structure; the session emits
 * the events.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';

/** An item with what the engine tracks beside it. */
export interface StoredItem {
  item: ConversationItem;
  /** Milliseconds of assistant audio per content index, for truncation. */
  readonly audioMs: Map<number, number>;
}

export type ConversationError = { readonly code: string; readonly message: string; readonly param: string };

export class Conversation {
  private readonly items: StoredItem[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The items, oldest first. */
  all(): readonly ConversationItem[] {
    return this.items.map((stored) => stored.item);
  }

  get(id: string): StoredItem | null {
    return this.items.find((stored) => stored.item.id === id) ?? null;
  }

  /** The id of the last item, or null. */
  lastId(): string | null {
    return (this.items.at(-1)?.item.id as string | undefined) ?? null;
  }

  /**
   * Inserts an item after `previousItemId` (null: at the end; `root`: at the start). Returns
   * the id of the item before it, or an error when the previous item does not exist.
   */
  insert(
    item: ConversationItem,
    previousItemId: string | null | undefined,
  ): { previous: string | null } | ConversationError {
    if (item.id !== undefined && this.get(item.id as string) !== null) {
      return {
        code: 'item_already_exists',
        message: `Item with id '${item.id}' already exists.`,
        param: 'item.id',
      };
    }
    let index = this.items.length;
    if (previousItemId === 'root') index = 0;
    else if (previousItemId != null) {
      const at = this.items.findIndex((stored) => stored.item.id === previousItemId);
      if (at === -1) {
        return {
          code: 'item_not_found',
          message: `Item with id '${previousItemId}' not found.`,
          param: 'previous_item_id',
        };
      }
      index = at + 1;
    }
    this.items.splice(index, 0, { item, audioMs: new Map() });
    return { previous: index === 0 ? null : (this.items[index - 1]!.item.id as string) };
  }

  delete(id: string): ConversationError | null {
    const at = this.items.findIndex((stored) => stored.item.id === id);
    if (at === -1) return notFound(id);
    this.items.splice(at, 1);
    return null;
  }

  /**
   * Truncates an assistant message's audio at `audioEndMs`, dropping the transcript (the text
   * no longer matches the audio the user heard), as OpenAI does.
   */
  truncate(id: string, contentIndex: number, audioEndMs: number): ConversationError | null {
    const stored = this.get(id);
    if (stored === null) return notFound(id);
    const item = stored.item;
    if (item.type !== 'message' || item.role !== 'assistant') {
      return {
        code: 'invalid_value',
        message: 'Only assistant messages can be truncated.',
        param: 'item_id',
      };
    }
    // An item still being spoken has no content part yet, but has audio the client may cut.
    const part = item.content[contentIndex];
    const audioMs = stored.audioMs.get(contentIndex);
    if (audioMs === undefined) {
      return {
        code: 'invalid_value',
        message: `Content index ${contentIndex} of item '${id}' has no audio to truncate.`,
        param: 'content_index',
      };
    }
    if (audioEndMs > audioMs) {
      return {
        code: 'invalid_value',
        message: `Audio content of ${audioMs}ms is shorter than ${audioEndMs}ms.`,
        param: 'audio_end_ms',
      };
    }
    stored.audioMs.set(contentIndex, audioEndMs);
    if (part !== undefined) {
      const content = [...item.content];
      content[contentIndex] = { ...part, transcript: '' } as (typeof content)[number];
      stored.item = { ...item, content } as ConversationItem;
    }
    return null;
  }
}

function notFound(id: string): ConversationError {
  return { code: 'item_not_found', message: `Item with id '${id}' not found.`, param: 'item_id' };
}
