/**
 * Replay: the client events that rebuild a session on a fresh upstream from a ledger snapshot.
 * First a `session.update` with the effective configuration, as far as a `session.update` may
 * carry it; then one `conversation.item.create` per item, in order, each after the one before.
 * Audio is replayed as its transcript: user audio as `input_text`, assistant audio as
 * `output_text`. Every created item gets a fresh id, and the plan pairs it with the id the
 * client knows, for an {@link ItemIdMap}.
 */
import {
  type AssistantContent,
  type ClientEvent,
  type ConversationItem,
  type ConversationItemCreateEvent,
  newEventId,
  newItemId,
  type Session,
  type SessionConfig,
  type SessionUpdateEvent,
  type UserContent,
} from '@realtime-gateway/protocol';
import type { LedgerEntry, LedgerLoss, LedgerSnapshot } from './conversation-ledger.js';

/** Why an item of the ledger is not replayed. */
export type SkipReason =
  /** The upstream had not finished it (the response in flight when the upstream was lost). */
  | 'unsettled'
  /** User audio whose transcript never came: there is nothing to replay it as. */
  | 'no_transcript'
  /** Nothing left to say: no content, or a truncation before any of it was heard. */
  | 'empty'
  /** MCP items belong to the upstream's own MCP session; a new upstream lists and calls anew. */
  | 'mcp_item';

export interface ReplayOptions {
  /** Fresh item ids (default: `item_` and 21 random characters, as OpenAI's). */
  readonly newItemId?: () => string;
  /** Fresh event ids, for matching an upstream `error` to the replayed event it refuses. */
  readonly newEventId?: () => string;
  /**
   * Whether to keep `model` in the `session.update` (default false: the spec says a session's
   * model cannot be updated, and the replacement upstream is opened for the model already).
   */
  readonly keepModel?: boolean;
  /**
   * A system message first in the conversation when the ledger lost items, so the model knows
   * the start is missing; `false` for none. The default says how many items were left out.
   */
  readonly lossNotice?: false | ((lost: LedgerLoss) => string);
  /**
   * What a truncated assistant audio item is replayed with: `cut` (default), its transcript cut
   * to what was heard, by the measured audio length or else at `wordsPerSecond`; `full`, the
   * whole transcript; `omit`, no transcript (the item is skipped as empty).
   */
  readonly truncatedTranscript?: 'cut' | 'full' | 'omit';
  /** Speaking rate for cutting a transcript whose audio was not measured (default 2.5). */
  readonly wordsPerSecond?: number;
}

/** The replay of a ledger: what to send, and what the integrator needs to know about it. */
export interface ReplayPlan {
  /** The `session.update`, or null when the ledger has no configuration yet. */
  readonly sessionUpdate: SessionUpdateEvent | null;
  /** One `conversation.item.create` per replayed item, in order. */
  readonly items: readonly ConversationItemCreateEvent[];
  /** Everything to send, in order: the `session.update`, then the items. */
  readonly events: readonly ClientEvent[];
  /** `[clientId, newUpstreamId]` for each replayed item, for `ItemIdMap.from`. */
  readonly ids: readonly (readonly [clientId: string, upstreamId: string])[];
  /** Ledger items not replayed, and why. */
  readonly skipped: readonly { readonly id: string; readonly reason: SkipReason }[];
  /** What the ledger had lost to its limits, or null when it was complete. */
  readonly lost: LedgerLoss | null;
  /**
   * Configuration fields left out of the `session.update` (as paths) because an update may not
   * carry them, `model` among them unless kept; `id`, `object` and `expires_at` are never listed.
   */
  readonly droppedFields: readonly string[];
}

const defaultLossNotice = (lost: LedgerLoss): string =>
  `Note: the earliest ${lost.items} item${lost.items === 1 ? '' : 's'} of this conversation could not be kept and ${lost.items === 1 ? 'is' : 'are'} missing from it.`;

/**
 * The events that rebuild a ledger's session on a fresh upstream.
 *
 * @example
 * const plan = buildReplay(ledger.snapshot());
 * for (const event of plan.events) upstream.send(JSON.stringify(event));
 * const ids = ItemIdMap.from(plan.ids);
 */
export function buildReplay(snapshot: LedgerSnapshot, options: ReplayOptions = {}): ReplayPlan {
  const makeItemId = options.newItemId ?? newItemId;
  const makeEventId = options.newEventId ?? newEventId;
  const droppedFields: string[] = [];
  const sessionUpdate =
    snapshot.session === null
      ? null
      : ({
          type: 'session.update',
          event_id: makeEventId(),
          session: sessionUpdateConfig(
            snapshot.session,
            { keepModel: options.keepModel ?? false },
            droppedFields,
          ),
        } satisfies SessionUpdateEvent);

  const items: ConversationItemCreateEvent[] = [];
  const ids: [string, string][] = [];
  const skipped: { id: string; reason: SkipReason }[] = [];
  // `root` puts the first item at the start, before anything the new upstream may hold.
  let previous = 'root';
  const create = (item: ConversationItem): void => {
    items.push({
      type: 'conversation.item.create',
      event_id: makeEventId(),
      previous_item_id: previous,
      item,
    });
    previous = item.id!;
  };

  const lost = snapshot.complete ? null : snapshot.lost;
  const notice = options.lossNotice ?? defaultLossNotice;
  if (lost !== null && notice !== false)
    create({
      id: makeItemId(),
      type: 'message',
      role: 'system',
      content: [{ type: 'input_text', text: notice(lost) }],
    });

  const cut: CutOptions = {
    mode: options.truncatedTranscript ?? DEFAULT_CUT.mode,
    wordsPerSecond: options.wordsPerSecond ?? DEFAULT_CUT.wordsPerSecond,
  };
  for (const entry of snapshot.entries) {
    const result = replayItem(entry, cut);
    if (typeof result === 'string') {
      skipped.push({ id: entry.id, reason: result });
      continue;
    }
    const id = makeItemId();
    create({ ...result, id } as ConversationItem);
    ids.push([entry.id, id]);
  }

  return {
    sessionUpdate,
    items,
    events: sessionUpdate === null ? items : [sessionUpdate, ...items],
    ids,
    skipped,
    lost,
    droppedFields,
  };
}

type CutOptions = { readonly mode: 'cut' | 'full' | 'omit'; readonly wordsPerSecond: number };

/** How a replay cuts a truncated transcript unless told otherwise (see {@link ReplayOptions}). */
export const DEFAULT_CUT: CutOptions = Object.freeze({ mode: 'cut', wordsPerSecond: 2.5 });

/**
 * The item to create for a ledger entry (without an id), or why there is none.
 *
 * @example
 * replayItem(entry, { mode: 'cut', wordsPerSecond: 2.5 })
 * // { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'transcript' }] }
 */
export function replayItem(entry: LedgerEntry, cut: CutOptions): ConversationItem | SkipReason {
  const item = entry.item;
  if (!entry.settled) return 'unsettled';
  switch (item.type) {
    case 'function_call':
      return { type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments };
    case 'function_call_output':
      return { type: 'function_call_output', call_id: item.call_id, output: item.output };
    case 'message':
      break;
    default:
      return 'mcp_item';
  }
  if (item.role === 'system') {
    const content = item.content.flatMap((part) =>
      part.text == null ? [] : [{ type: 'input_text' as const, text: part.text }],
    );
    return content.length === 0 ? 'empty' : { type: 'message', role: 'system', content };
  }
  if (item.role === 'user') {
    const content: UserContent[] = [];
    let untranscribed = false;
    for (const part of item.content) {
      if (part.type === 'input_audio') {
        if (part.transcript == null || part.transcript === '') untranscribed = true;
        else content.push({ type: 'input_text', text: part.transcript });
      } else if (part.type === 'input_image') {
        if (part.image_url != null)
          content.push({
            type: 'input_image',
            image_url: part.image_url,
            ...(part.detail == null ? {} : { detail: part.detail }),
          });
      } else if (part.text != null) content.push({ type: 'input_text', text: part.text });
    }
    if (content.length === 0) return untranscribed ? 'no_transcript' : 'empty';
    return { type: 'message', role: 'user', content };
  }
  const content: AssistantContent[] = [];
  item.content.forEach((part, index) => {
    const isAudio = part.type === 'output_audio' || part.type === 'audio';
    let text = isAudio ? part.transcript : part.text;
    if (text == null) return;
    const truncation = entry.truncation;
    if (isAudio && truncation !== null && truncation.contentIndex === index) {
      if (cut.mode === 'omit') return;
      if (cut.mode === 'cut')
        text = cutTranscript(text, truncation.audioEndMs, entry.audioMs[index] ?? null, cut.wordsPerSecond);
    }
    if (text !== '') content.push({ type: 'output_text', text });
  });
  return content.length === 0 ? 'empty' : { type: 'message', role: 'assistant', content };
}

/**
 * The part of a transcript the user heard before the audio was cut at `audioEndMs`: in
 * proportion to the audio's measured length, or else at a speaking rate; whole words, with an
 * ellipsis when anything was cut.
 *
 * @example
 * cutTranscript('one two three four', 1000, 2000, 2.5) // 'one two…'
 * cutTranscript('one two three four', 1000, null, 2) // 'one two…'
 */
export function cutTranscript(
  transcript: string,
  audioEndMs: number,
  audioMs: number | null,
  wordsPerSecond: number,
): string {
  const words = transcript.trim().split(/\s+/).filter(Boolean);
  const heard =
    audioMs !== null && audioMs > 0
      ? Math.floor((words.length * Math.min(audioEndMs, audioMs)) / audioMs)
      : Math.floor((audioEndMs / 1000) * wordsPerSecond);
  if (heard >= words.length) return transcript;
  if (heard <= 0) return '';
  return `${words.slice(0, heard).join(' ')}…`;
}

/** What an update may carry, per the GA spec's session request schemas: `true` takes the value as is. */
type Allowed = { readonly [field: string]: true | Allowed };

const TRANSCRIPTION: Allowed = {
  model: true,
  language: true,
  languages: true,
  keywords: true,
  prompt: true,
  delay: true,
};
const SERVER_VAD: Allowed = {
  type: true,
  threshold: true,
  prefix_padding_ms: true,
  silence_duration_ms: true,
  create_response: true,
  interrupt_response: true,
  idle_timeout_ms: true,
};
const SEMANTIC_VAD: Allowed = {
  type: true,
  eagerness: true,
  create_response: true,
  interrupt_response: true,
};
const NOISE_REDUCTION: Allowed = { type: true };

/** `RealtimeSessionCreateRequestGA`, with `audio.input.format`, turn detection and voice handled apart. */
export const REALTIME_UPDATE_FIELDS: Allowed = {
  type: true,
  output_modalities: true,
  model: true,
  instructions: true,
  audio: {
    input: {
      format: true,
      transcription: TRANSCRIPTION,
      noise_reduction: NOISE_REDUCTION,
      turn_detection: true,
    },
    output: { format: true, voice: true, speed: true },
  },
  include: true,
  tracing: true,
  tools: true,
  tool_choice: true,
  parallel_tool_calls: true,
  reasoning: true,
  max_output_tokens: true,
  truncation: true,
  prompt: true,
};

/** `RealtimeTranscriptionSessionCreateRequestGA`. */
export const TRANSCRIPTION_UPDATE_FIELDS: Allowed = {
  type: true,
  audio: {
    input: {
      format: true,
      transcription: TRANSCRIPTION,
      noise_reduction: NOISE_REDUCTION,
      turn_detection: true,
    },
  },
  include: true,
};

/**
 * The `session` of a `session.update` that sets a fresh session to a reported configuration:
 * the reported session without what an update may not carry (`id`, `object`, `expires_at`,
 * and any field the GA request schema lacks), `model` unless kept, and nulls (settings at their
 * default, which a fresh session has) except `audio.input.turn_detection: null`. Fields left out
 * other than `id`, `object` and `expires_at` are appended to `dropped` as paths.
 *
 * @example
 * sessionUpdateConfig(sessionUpdatedEvent.session, { keepModel: false })
 * // { type: 'realtime', instructions: '…', audio: { … }, tools: [ … ], … }
 */
export function sessionUpdateConfig(
  session: Session,
  options: { readonly keepModel: boolean },
  dropped: string[] = [],
): SessionConfig {
  const allowed = session.type === 'transcription' ? TRANSCRIPTION_UPDATE_FIELDS : REALTIME_UPDATE_FIELDS;
  const config = pick(session as Record<string, unknown>, allowed, '', dropped);
  if (!options.keepModel && 'model' in config) {
    delete config.model;
    dropped.push('model');
  }
  const input = (config.audio as { input?: Record<string, unknown> } | undefined)?.input;
  if (input !== undefined) {
    if ('turn_detection' in input) {
      const turnDetection = turnDetectionForUpdate(input.turn_detection);
      if (turnDetection === undefined) {
        delete input.turn_detection;
        dropped.push('audio.input.turn_detection');
      } else input.turn_detection = turnDetection;
    }
    if ('format' in input) input.format = formatForUpdate(input.format);
  }
  const output = (config.audio as { output?: Record<string, unknown> } | undefined)?.output;
  if (output !== undefined && 'format' in output) output.format = formatForUpdate(output.format);
  return config as unknown as SessionConfig;
}

/** What every reported session has and no update may carry. */
const READ_ONLY = new Set(['id', 'object', 'expires_at']);

function pick(
  value: Record<string, unknown>,
  allowed: Allowed,
  path: string,
  dropped: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    // A null is a setting at its default, which a fresh session has already (and most of the
    // request schema has no null); turning turn detection off is the one null that says more.
    if (child === undefined || (child === null && at !== 'audio.input.turn_detection')) continue;
    const rule = allowed[key];
    if (rule === undefined) {
      // Read-only fields every reported session has are expected; anything else is worth a log line.
      if (!(path === '' && READ_ONLY.has(key))) dropped.push(at);
      continue;
    }
    if (rule === true || typeof child !== 'object' || child === null || Array.isArray(child))
      out[key] = structuredClone(child);
    else out[key] = pick(child as Record<string, unknown>, rule, at, dropped);
  }
  return out;
}

/** Turn detection as an update takes it: `null` (off), or a known kind's fields; undefined to leave out. */
function turnDetectionForUpdate(value: unknown): unknown {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  const allowed = type === 'server_vad' ? SERVER_VAD : type === 'semantic_vad' ? SEMANTIC_VAD : null;
  if (allowed === null) return undefined;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(([k, v]) => k in allowed && v !== undefined),
  );
}

/** An audio format with only the fields its kind has (`rate` for PCM). */
function formatForUpdate(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { type, rate } = value as { type?: unknown; rate?: unknown };
  return type === 'audio/pcm' && rate != null ? { type, rate } : { type };
}
