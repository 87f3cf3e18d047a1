/**
 * A session's conversation as the upstream confirmed it, kept so that a replacement upstream can
 * be given the same conversation: the effective session configuration (the last
 * `session.updated`, or `session.created` before any), and the items in order with their text,
 * the transcripts of their audio, function calls and outputs, deletions and truncations.
 *
 * Audio itself is never kept (a replay carries transcripts instead), and the ledger is bounded:
 * past `maxItems` items or `maxTextBytes` bytes of text the oldest items are dropped, and the
 * ledger says it is no longer complete and how much it lost.
 *
 * Feed it parsed server events in the ids the client knows (after any id rewriting), so that a
 * replay's items are named as the client knows them.
 */
import {
  type AssistantContent,
  base64DecodedLength,
  type ConversationItem,
  type ServerEvent,
  type Session,
  type UserContent,
} from '@realtime-gateway/protocol';
import { RecentSet } from '../mcp/recent-set.js';

/** Dropped ids remembered, so that a late report of a dropped item does not bring it back. */
const DROPPED_IDS = 256;

/** How much a ledger keeps. */
export interface LedgerLimits {
  /** Items kept at most (default 2000). */
  readonly maxItems: number;
  /** UTF-8 bytes of kept text at most: texts, transcripts, arguments, outputs, image URLs (default 2 MB). */
  readonly maxTextBytes: number;
}

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = Object.freeze({ maxItems: 2000, maxTextBytes: 2_000_000 });

/**
 * The server events a ledger reads: what a middleware feeding it should ask for. The output
 * audio deltas are not among them (they are most of a session's frames); add
 * {@link LEDGER_AUDIO_EVENT_TYPES} to let the ledger measure assistant audio, which makes a
 * replayed truncation cut the transcript where the audio was cut rather than at an estimate.
 */
export const LEDGER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'session.created',
  'session.updated',
  'conversation.item.created',
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.deleted',
  'conversation.item.truncated',
  'conversation.item.input_audio_transcription.completed',
  'response.output_item.added',
  'response.output_item.done',
  'response.output_text.done',
  'response.output_audio_transcript.done',
  'response.function_call_arguments.done',
  'response.done',
]);

/** The optional audio events: see {@link LEDGER_EVENT_TYPES}. */
export const LEDGER_AUDIO_EVENT_TYPES: ReadonlySet<string> = new Set(['response.output_audio.delta']);

/** Where an assistant's audio was cut (`conversation.item.truncated`). */
export interface LedgerTruncation {
  readonly contentIndex: number;
  /** What the user heard: the audio up to here. The transcript kept is the whole of what was generated. */
  readonly audioEndMs: number;
}

/** One item of the conversation as the ledger keeps it. */
export interface LedgerEntry {
  readonly id: string;
  /** The item as the upstream last confirmed it, without audio data. */
  readonly item: ConversationItem;
  /** Whether the upstream said the item is finished (`done`, or a final status). */
  readonly settled: boolean;
  readonly truncation: LedgerTruncation | null;
  /** Milliseconds of assistant audio seen per content index, when audio deltas are fed. */
  readonly audioMs: Readonly<Record<number, number>>;
  /** UTF-8 bytes of text this entry keeps, counted towards {@link LedgerLimits.maxTextBytes}. */
  readonly textBytes: number;
}

/** What the ledger dropped to stay within its limits. */
export interface LedgerLoss {
  readonly items: number;
  readonly textBytes: number;
}

/** What a replay needs: a ledger's state at one moment. */
export interface LedgerSnapshot {
  /** The effective configuration, or null before the upstream reported one. */
  readonly session: Session | null;
  /** The items, in conversation order. */
  readonly entries: readonly LedgerEntry[];
  /** Whether every item of the conversation is still here. */
  readonly complete: boolean;
  readonly lost: LedgerLoss;
}

/**
 * The per-session ledger.
 *
 * @example
 * const ledger = new ConversationLedger({ maxItems: 500, maxTextBytes: 256_000 });
 * // in a middleware that wants LEDGER_EVENT_TYPES from upstream:
 * ledger.apply(frame.event);
 * // on upstream loss:
 * const plan = buildReplay(ledger.snapshot());
 */
export class ConversationLedger {
  readonly limits: LedgerLimits;
  #session: Session | null = null;
  #order: string[] = [];
  readonly #entries = new Map<string, LedgerEntry>();
  #textBytes = 0;
  #lostItems = 0;
  #lostBytes = 0;
  readonly #dropped = new RecentSet<string>(DROPPED_IDS);

  constructor(limits: Partial<LedgerLimits> = {}) {
    const merged = { ...DEFAULT_LEDGER_LIMITS, ...limits };
    for (const [name, value] of Object.entries(merged))
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number`);
    this.limits = Object.freeze(merged);
  }

  /** The effective session configuration, or null before any. */
  get session(): Session | null {
    return this.#session;
  }

  get size(): number {
    return this.#order.length;
  }

  /** UTF-8 bytes of text kept. */
  get textBytes(): number {
    return this.#textBytes;
  }

  /** Whether no item was dropped to stay within the limits. */
  get complete(): boolean {
    return this.#lostItems === 0;
  }

  get lost(): LedgerLoss {
    return { items: this.#lostItems, textBytes: this.#lostBytes };
  }

  /** An entry by item id. */
  get(id: string): LedgerEntry | undefined {
    return this.#entries.get(id);
  }

  /** The entries in conversation order. */
  entries(): LedgerEntry[] {
    return this.#order.map((id) => this.#entries.get(id)!);
  }

  /** The state at this moment; later events do not change it. */
  snapshot(): LedgerSnapshot {
    return { session: this.#session, entries: this.entries(), complete: this.complete, lost: this.lost };
  }

  /** Takes in one server event; events the ledger has no use for are ignored. */
  apply(event: ServerEvent): void {
    switch (event.type) {
      case 'session.created':
      case 'session.updated':
        this.#session = event.session;
        return;
      case 'conversation.item.created':
      case 'conversation.item.added':
        this.#upsert(event.item, event.previous_item_id, false);
        return;
      case 'conversation.item.done':
        this.#upsert(event.item, event.previous_item_id, true);
        return;
      case 'response.output_item.added':
        this.#upsert(event.item, undefined, false);
        return;
      case 'response.output_item.done':
        this.#upsert(event.item, undefined, true);
        return;
      case 'response.done':
        for (const item of event.response.output ?? []) this.#upsert(item, undefined, true, false);
        return;
      case 'conversation.item.deleted':
        this.#remove(event.item_id);
        return;
      case 'conversation.item.truncated':
        this.#update(event.item_id, (entry) => ({
          ...entry,
          truncation: { contentIndex: event.content_index, audioEndMs: event.audio_end_ms },
        }));
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.#update(event.item_id, (entry) =>
          withItem(entry, setContentField(entry.item, event.content_index, 'transcript', event.transcript)),
        );
        return;
      case 'response.output_audio_transcript.done':
        this.#update(event.item_id, (entry) =>
          withItem(entry, setContentField(entry.item, event.content_index, 'transcript', event.transcript)),
        );
        return;
      case 'response.output_text.done':
        this.#update(event.item_id, (entry) =>
          withItem(entry, setContentField(entry.item, event.content_index, 'text', event.text)),
        );
        return;
      case 'response.function_call_arguments.done':
        this.#update(event.item_id, (entry) =>
          entry.item.type === 'function_call'
            ? withItem(entry, { ...entry.item, arguments: event.arguments })
            : entry,
        );
        return;
      case 'response.output_audio.delta': {
        const bytesPerMs = outputBytesPerMs(this.#session);
        const entry = this.#entries.get(event.item_id);
        if (entry === undefined || bytesPerMs === null) return;
        const ms = base64DecodedLength(event.delta) / bytesPerMs;
        const audioMs = {
          ...entry.audioMs,
          [event.content_index]: (entry.audioMs[event.content_index] ?? 0) + ms,
        };
        this.#entries.set(entry.id, { ...entry, audioMs });
        return;
      }
      default:
        return;
    }
  }

  /**
   * Adds an item or updates the one with its id. A new item goes after `previous` (first for
   * null or `root`, last when absent or not kept); a known item keeps its place.
   */
  #upsert(item: ConversationItem, previous: string | null | undefined, done: boolean, insert = true): void {
    const id = item.id;
    if (typeof id !== 'string' || id === '') return;
    const known = this.#entries.get(id);
    if (known === undefined) {
      // A response's summary names items that were deleted since; it does not bring them back,
      // and neither does a late report of an item dropped for the limits.
      if (!insert || this.#dropped.has(id)) return;
      const kept = stripAudio(item);
      const placed: LedgerEntry = {
        id,
        item: kept,
        settled: done || isFinal(item),
        truncation: null,
        audioMs: {},
        textBytes: textBytesOf(kept),
      };
      this.#entries.set(id, placed);
      this.#order.splice(this.#insertIndex(previous), 0, id);
      this.#textBytes += placed.textBytes;
    } else {
      this.#update(id, (entry) => ({
        ...withItem(entry, mergeItem(entry.item, stripAudio(item))),
        settled: entry.settled || done || isFinal(item),
      }));
    }
    this.#enforceLimits();
  }

  #insertIndex(previous: string | null | undefined): number {
    if (previous === null || previous === 'root') return 0;
    if (previous === undefined) return this.#order.length;
    const at = this.#order.lastIndexOf(previous);
    return at === -1 ? this.#order.length : at + 1;
  }

  #update(id: string, change: (entry: LedgerEntry) => LedgerEntry): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    const next = change(entry);
    if (next === entry) return;
    this.#entries.set(id, next);
    this.#textBytes += next.textBytes - entry.textBytes;
    this.#enforceLimits();
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    this.#order.splice(this.#order.indexOf(id), 1);
    this.#textBytes -= entry.textBytes;
  }

  /** Drops the oldest items until both limits hold. */
  #enforceLimits(): void {
    while (
      this.#order.length > 0 &&
      (this.#order.length > this.limits.maxItems || this.#textBytes > this.limits.maxTextBytes)
    ) {
      const entry = this.#entries.get(this.#order[0]!)!;
      this.#remove(entry.id);
      this.#dropped.add(entry.id);
      this.#lostItems += 1;
      this.#lostBytes += entry.textBytes;
    }
  }
}

/** An entry with its item replaced and its text recounted. */
function withItem(entry: LedgerEntry, item: ConversationItem): LedgerEntry {
  return item === entry.item ? entry : { ...entry, item, textBytes: textBytesOf(item) };
}

function isFinal(item: ConversationItem): boolean {
  return 'status' in item && (item.status === 'completed' || item.status === 'incomplete');
}

/**
 * The item without audio data. Only message content carries audio; everything else is kept as
 * the upstream sent it.
 *
 * @example
 * stripAudio({ type: 'message', role: 'user', content: [{ type: 'input_audio', audio: 'AAA=', transcript: 'hi' }] })
 * // { type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: 'hi' }] }
 */
export function stripAudio(item: ConversationItem): ConversationItem {
  if (item.type !== 'message' || item.role === 'system') return item;
  if (!item.content.some((part) => part.audio != null)) return item;
  const content = item.content.map((part) => {
    if (part.audio == null) return part;
    const { audio: _audio, ...rest } = part;
    return rest;
  });
  return { ...item, content } as ConversationItem;
}

/**
 * A known item updated by a later report of it. A later report can leave out what an earlier
 * event filled in (a `conversation.item.done` whose transcript is still null, a summary without
 * the text), so a text or transcript the update lacks is kept from before.
 */
export function mergeItem(known: ConversationItem, update: ConversationItem): ConversationItem {
  if (known.type !== 'message' || update.type !== 'message' || known.role !== update.role) return update;
  const before = known.content as (UserContent | AssistantContent)[];
  const content = (update.content as (UserContent | AssistantContent)[]).map((part, i) => {
    const old = before[i];
    if (old === undefined) return part;
    let merged = part;
    if (part.text == null && old.text != null) merged = { ...merged, text: old.text };
    if (part.transcript == null && old.transcript != null) merged = { ...merged, transcript: old.transcript };
    return merged;
  });
  // A report with fewer parts than known (an `added` before content streamed) keeps the rest.
  for (let i = content.length; i < before.length; i++) content.push(before[i]!);
  return { ...update, content } as ConversationItem;
}

/** The item with one content part's `text` or `transcript` set; the same item when there is no such part. */
export function setContentField(
  item: ConversationItem,
  contentIndex: number,
  field: 'text' | 'transcript',
  value: string,
): ConversationItem {
  if (item.type !== 'message') return item;
  const content = item.content.slice() as (UserContent | AssistantContent)[];
  const part = content[contentIndex];
  if (part === undefined) {
    // Transcripts can arrive before the item's content is reported: keep them at their index.
    if (contentIndex > content.length) return item;
    const type = item.role === 'assistant' ? (field === 'text' ? 'output_text' : 'output_audio') : undefined;
    if (item.role === 'user' && field === 'transcript')
      content.push({ type: 'input_audio', transcript: value });
    else if (type !== undefined) content.push({ type, [field]: value });
    else return item;
  } else content[contentIndex] = { ...part, [field]: value };
  return { ...item, content } as ConversationItem;
}

const utf8Length = (s: unknown): number => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);

/**
 * UTF-8 bytes of the text an item keeps: what {@link LedgerLimits.maxTextBytes} bounds.
 *
 * @example
 * textBytesOf({ type: 'function_call_output', call_id: 'c', output: 'héllo' }) // 6
 */
export function textBytesOf(item: ConversationItem): number {
  switch (item.type) {
    case 'message': {
      let bytes = 0;
      for (const part of item.content as (UserContent & AssistantContent)[])
        bytes += utf8Length(part.text) + utf8Length(part.transcript) + utf8Length(part.image_url);
      return bytes;
    }
    case 'function_call':
      return utf8Length(item.name) + utf8Length(item.arguments);
    case 'function_call_output':
      return utf8Length(item.output);
    default:
      // MCP items: all of it is text.
      return utf8Length(JSON.stringify(item));
  }
}

/**
 * Bytes of decoded output audio per millisecond, from the session's output format: PCM16 at
 * 24 kHz is 48, G.711 at 8 kHz is 8; null when the format is not known.
 */
export function outputBytesPerMs(session: Session | null): number | null {
  if (session === null || session.type !== 'realtime') return null;
  const format = session.audio?.output?.format;
  if (format == null) return 48;
  if (format.type === 'audio/pcm') return ((format.rate ?? 24000) * 2) / 1000;
  if (format.type === 'audio/pcmu' || format.type === 'audio/pcma') return 8;
  return null;
}
