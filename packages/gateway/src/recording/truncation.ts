/**
 * Where each assistant item's audio lies on the model channel, so that a truncation
 * (`conversation.item.truncate` with `audio_end_ms`: the client stopped playing the item there)
 * can cut the channel at that point: the recording holds what the user heard, not what the
 * model would have gone on to say. Pure bookkeeping in timeline frames; the recorder cuts.
 */

/** A stretch of an item's audio on the timeline: where it starts, and its length, in frames. */
interface Segment {
  readonly at: number;
  length: number;
}

interface ItemAudio {
  /** Where the item's audio lies, in order; contiguous chunks share a segment. */
  readonly segments: Segment[];
  /** Samples of the item laid so far. */
  laid: number;
  /** Samples the item may have at most, once truncated. */
  limit: number;
}

/** Items remembered: a truncation names one of the last few answers. */
const MAX_ITEMS = 32;
/** Gaps remembered per item (a model that stalls mid-answer); past it, a gap counts as audio. */
const MAX_SEGMENTS = 64;

/** A range of timeline frames, `from` included, `to` excluded. */
export interface FrameRange {
  readonly from: number;
  readonly to: number;
}

/**
 * @example
 * const items = new ModelItems();
 * timeline.push(1, items.lay('item_1', 48_000, samples), 48_000);
 * const cut = items.truncate('item_1', 2_400); // { from: 50_400, to: … }: silence it
 */
export class ModelItems {
  private readonly items = new Map<string, ItemAudio>();

  /**
   * A chunk of `itemId`'s audio that will start at frame `at`: what of it to lay (all of it,
   * unless a truncation came before the rest of the item's audio did).
   */
  lay(itemId: string, at: number, samples: Int16Array): Int16Array {
    const item = this.itemFor(itemId);
    const kept = samples.subarray(0, Math.max(0, item.limit - item.laid));
    if (kept.length === 0) return kept;
    const last = item.segments.at(-1);
    if (last !== undefined && (last.at + last.length === at || item.segments.length >= MAX_SEGMENTS))
      last.length = at + kept.length - last.at;
    else item.segments.push({ at, length: kept.length });
    item.laid += kept.length;
    return kept;
  }

  /**
   * The item was truncated after `keep` samples: the frames of its audio past that point, to
   * be silenced; null when none was laid there (later chunks are then cut by {@link lay}).
   */
  truncate(itemId: string, keep: number): FrameRange | null {
    const item = this.items.get(itemId);
    if (item === undefined) return null;
    item.limit = Math.min(item.limit, keep);
    if (keep >= item.laid) return null;
    const last = item.segments.at(-1)!;
    const to = last.at + last.length;
    let rest = keep;
    let k = 0;
    while (rest >= item.segments[k]!.length) rest -= item.segments[k++]!.length;
    const from = item.segments[k]!.at + rest;
    item.segments.length = k + 1;
    item.segments[k]!.length = rest;
    item.laid = keep;
    return { from, to };
  }

  private itemFor(itemId: string): ItemAudio {
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = { segments: [], laid: 0, limit: Number.POSITIVE_INFINITY };
      this.items.set(itemId, item);
      if (this.items.size > MAX_ITEMS) this.items.delete(this.items.keys().next().value!);
    }
    return item;
  }
}
