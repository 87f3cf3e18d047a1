/**
 * The output side of a session's guardrails: its streams' hold-back state, by response, and
 * what a text delta, an audio delta or a done event releases. It decides; the middleware sends.
 */
import { newEventId, type ServerEvent, type ServerEventMap } from '@realtime-gateway/protocol';
import { emptyHold, finish, type HoldState, type HoldStep, pushAudio, pushText } from './hold-back.js';
import type { DenyMatch, DenyRule } from './patterns.js';

export type TextDelta =
  | ServerEventMap['response.output_text.delta']
  | ServerEventMap['response.output_audio_transcript.delta'];
export type AudioDelta = ServerEventMap['response.output_audio.delta'];

/** What to send the client in place of the frame handled, in order. */
export type OutputAction =
  /** The frame goes on as it came. */
  | { readonly kind: 'forward' }
  /** Send these events instead of the frame (none: hold it). */
  | { readonly kind: 'send'; readonly events: readonly ServerEvent[] }
  /** Send these events, then the frame (what a done event flushes comes before it). */
  | { readonly kind: 'flush'; readonly events: readonly ServerEvent[] }
  /** A deny pattern matched: the response is cut, in the item that said it. */
  | { readonly kind: 'cut'; readonly responseId: string; readonly itemId: string; readonly match: DenyMatch };

interface Stream {
  readonly responseId: string;
  state: HoldState<AudioDelta>;
  /** The last text delta: released text goes out as one of its kind and position. */
  template: TextDelta;
}

const FORWARD_ACTION: OutputAction = Object.freeze({ kind: 'forward' });
/** Streams open at once, at most: a response has a few parts, a session a response or two at a time. */
const MAX_STREAMS = 64;

/** A content part's key: response, item, part. */
function keyOf(event: { response_id: string; item_id: string; content_index: number }): string {
  return `${event.response_id}\n${event.item_id}\n${event.content_index}`;
}

/**
 * @example
 * const guard = new OutputGuard(rules, 64);
 * const action = guard.text(event); // { kind: 'send', events: [...] } or { kind: 'cut', ... }
 */
export class OutputGuard {
  /**
   * Streams by content part, from their first delta to their done event: a stream's scan goes
   * on from delta to delta (a pattern's `^` and `\b` need what came before), held text or not.
   */
  private readonly streams = new Map<string, Stream>();
  /** Streams holding text or audio back. */
  private holding = 0;
  /** Responses cut, whose later events the client must not see; removed at their `response.done`. */
  private readonly cut = new Set<string>();

  constructor(
    private readonly rules: readonly DenyRule[],
    /** The most characters held back: the largest `maxMatchChars`. */
    private readonly maxMatchChars: number,
  ) {}

  /** Whether a response was cut: its events are dropped. */
  isCut(responseId: string): boolean {
    return this.cut.has(responseId);
  }

  /** Whether nothing is held nor cut: an audio delta then passes unparsed. */
  get idle(): boolean {
    return this.holding === 0 && this.cut.size === 0;
  }

  /** A text or transcript delta. */
  text(event: TextDelta): OutputAction {
    if (this.cut.has(event.response_id)) return { kind: 'send', events: [] };
    const key = keyOf(event);
    const stream = this.streams.get(key);
    const step = pushText(
      stream?.state ?? emptyHold<AudioDelta>(),
      event.delta,
      this.rules,
      this.maxMatchChars,
    );
    if (step.kind === 'match') {
      this.cutResponse(event.response_id);
      return { kind: 'cut', responseId: event.response_id, itemId: event.item_id, match: step.match };
    }
    this.keepState(key, event.response_id, step.state, event);
    if (step.audio.length === 0 && step.text === event.delta) return FORWARD_ACTION;
    return { kind: 'send', events: released(step, event) };
  }

  /** An audio delta: it waits while the transcript it follows is held. */
  audio(event: AudioDelta): OutputAction {
    if (this.cut.has(event.response_id)) return { kind: 'send', events: [] };
    const key = keyOf(event);
    const stream = this.streams.get(key);
    if (stream === undefined) return FORWARD_ACTION;
    const step = pushAudio(stream.state, event);
    if (step.kind === 'release' && step.audio.length > 0) return FORWARD_ACTION;
    if (step.kind === 'release') this.setState(stream, step.state);
    return { kind: 'send', events: [] };
  }

  /**
   * A done event of a part (`item_id` and `content_index`), an item (`item_id`) or the whole
   * response: everything held of it is released first, its text having all been scanned, unless
   * the text's end completes a match (`$`, a trailing `\b`): then the response is cut.
   */
  done(responseId: string, itemId: string | null, contentIndex: number | null): OutputAction {
    if (this.cut.has(responseId)) return { kind: 'send', events: [] };
    const events: ServerEvent[] = [];
    for (const [key, stream] of this.streams) {
      if (stream.responseId !== responseId) continue;
      const [, item, index] = key.split('\n');
      if (itemId !== null && item !== itemId) continue;
      if (contentIndex !== null && Number(index) !== contentIndex) continue;
      const step = finish(stream.state, this.rules);
      if (step.kind === 'match') {
        this.cutResponse(responseId);
        return { kind: 'cut', responseId, itemId: item!, match: step.match };
      }
      events.push(...released(step, stream.template));
      this.forget(key, stream);
    }
    return events.length === 0 ? FORWARD_ACTION : { kind: 'flush', events };
  }

  /** The upstream's own `response.done`: a cut response's is dropped, and its record forgotten. */
  responseDone(responseId: string): OutputAction {
    if (this.cut.delete(responseId)) return { kind: 'send', events: [] };
    const action = this.done(responseId, null, null);
    // Cut by its own end: no later event of it will come.
    if (action.kind === 'cut') this.cut.delete(responseId);
    return action;
  }

  private cutResponse(responseId: string): void {
    this.cut.add(responseId);
    for (const [key, stream] of this.streams) if (stream.responseId === responseId) this.forget(key, stream);
  }

  private keepState(
    key: string,
    responseId: string,
    state: HoldState<AudioDelta>,
    template: TextDelta,
  ): void {
    const stream = this.streams.get(key);
    if (stream !== undefined) {
      this.setState(stream, state);
      stream.template = template;
      return;
    }
    // A part whose done event never came (its upstream was lost) goes once too many are open.
    if (this.streams.size >= MAX_STREAMS) {
      const [oldest, old] = this.streams.entries().next().value!;
      this.forget(oldest, old);
    }
    const added: Stream = { responseId, state: emptyHold(), template };
    this.streams.set(key, added);
    this.setState(added, state);
  }

  private setState(stream: Stream, state: HoldState<AudioDelta>): void {
    this.holding += Number(isHolding(state)) - Number(isHolding(stream.state));
    stream.state = state;
  }

  private forget(key: string, stream: Stream): void {
    this.setState(stream, emptyHold());
    this.streams.delete(key);
  }
}

function isHolding(state: HoldState<AudioDelta>): boolean {
  return state.held !== '' || state.audio.length > 0;
}

/** The events a release sends: the released text as one delta of the stream's kind, then its audio. */
function released(step: HoldStep<AudioDelta>, template: TextDelta): ServerEvent[] {
  if (step.kind !== 'release') return [];
  const events: ServerEvent[] = [];
  if (step.text !== '') events.push({ ...template, event_id: newEventId(), delta: step.text });
  events.push(...step.audio);
  return events;
}
