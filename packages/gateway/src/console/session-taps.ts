/**
 * What the console sees of each live session of this process: a bounded timeline of its frames
 * (and, apart, its conversation's events, so a flood of audio does not push them out), and the
 * tokens and cost metered so far. It is session middleware that lets every frame pass: last in
 * the list, like the recording, so it sees what each side was actually sent.
 *
 * Per frame it costs a type peek the relay already made, the frame's length and, for a
 * non-audio frame, keeping a reference to its bytes; nothing is parsed or rendered until a page
 * reads it.
 */
import type { ClientEvent, ServerEvent } from '@realtime-gateway/protocol';
import { FORWARD, type Frame, type Middleware, type MiddlewareFactory } from '../session/middleware.js';
import type { SessionInfo } from '../vocabulary/session.js';
import {
  AUDIO_TYPES,
  CONVERSATION_TYPES,
  type ConsoleEvent,
  folds,
  type Side,
  sourceOf,
  type TapEntry,
  toConsoleEvent,
} from './console-event.js';

/** Limits of each session's tap. */
export interface TapLimits {
  /** Entries kept of the timeline, and of the conversation. */
  readonly eventsPerSession: number;
  /** Characters of a rendered event a page is shown. */
  readonly eventPayloadChars: number;
}

/** Told of a session's entries as they are made (an entry folded into is told again), then of its end. */
export interface TapWatcher {
  event(event: ConsoleEvent): void;
  ended(): void;
}

/** One session's tap. */
export class SessionTap {
  private readonly timeline: TapEntry[] = [];
  private readonly conversation: TapEntry[] = [];
  private readonly watchers = new Set<TapWatcher>();
  private seq = 0;
  tokens = 0;
  costUsd = 0;

  constructor(
    readonly info: SessionInfo,
    private readonly limits: TapLimits,
    private readonly now: () => number,
  ) {}

  /** The conversation's events and the timeline kept so far, oldest first. */
  history(): { conversation: ConsoleEvent[]; timeline: ConsoleEvent[] } {
    const render = (entry: TapEntry) => toConsoleEvent(entry, this.limits.eventPayloadChars);
    return { conversation: this.conversation.map(render), timeline: this.timeline.map(render) };
  }

  /** Watches the entries to come; returns the function that stops watching. */
  watch(watcher: TapWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  capture(side: Side, type: string | null, data: Buffer | null, event: () => unknown): void {
    const at = this.now();
    const bytes = data?.length ?? 0;
    const last = this.timeline.at(-1);
    let entry: TapEntry;
    if (folds(last, side, type, at)) {
      entry = last!;
      entry.bytes += bytes;
      entry.frames++;
      entry.lastAt = at;
    } else {
      const audio = type !== null && AUDIO_TYPES.has(type);
      const source = audio
        ? null
        : sourceOf(data, data === null ? event() : null, this.limits.eventPayloadChars);
      entry = { seq: ++this.seq, at, lastAt: at, side, type, bytes, frames: 1, source };
      push(this.timeline, entry, this.limits.eventsPerSession);
      if (type !== null && CONVERSATION_TYPES.has(type))
        push(this.conversation, entry, this.limits.eventsPerSession);
    }
    if (this.watchers.size === 0) return;
    const shown = toConsoleEvent(entry, this.limits.eventPayloadChars);
    for (const watcher of this.watchers) watcher.event(shown);
  }

  end(): void {
    for (const watcher of this.watchers) watcher.ended();
    this.watchers.clear();
  }
}

function push(ring: TapEntry[], entry: TapEntry, max: number): void {
  ring.push(entry);
  if (ring.length > max) ring.shift();
}

/**
 * The taps of this process's live sessions.
 *
 * @example
 * const taps = new SessionTaps({ eventsPerSession: 500, eventPayloadChars: 4096 });
 * middleware.push(taps.middleware()); // last
 * taps.get(sessionId)?.watch({ event: send, ended: close });
 */
export class SessionTaps {
  private readonly live = new Map<string, SessionTap>();

  constructor(
    private readonly limits: TapLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get(sessionId: string): SessionTap | undefined {
    return this.live.get(sessionId);
  }

  /** Adds metered usage to a live session's totals. */
  charge(sessionId: string, tokens: number, costUsd: number): void {
    const tap = this.live.get(sessionId);
    if (tap === undefined) return;
    tap.tokens += tokens;
    tap.costUsd += costUsd;
  }

  /** The middleware that taps each session (not translation sessions, whose events are not a conversation's). */
  middleware(): MiddlewareFactory {
    return (info) =>
      info.intent === 'translation'
        ? null
        : new Tapping(this.live, new SessionTap(info, this.limits, this.now));
  }
}

class Tapping implements Middleware {
  readonly name = 'console';
  readonly client = 'all';
  readonly upstream = 'all';

  constructor(
    private readonly live: Map<string, SessionTap>,
    private readonly tap: SessionTap,
  ) {}

  open(): void {
    this.live.set(this.tap.info.sessionId, this.tap);
  }

  onClient(frame: Frame<ClientEvent>): typeof FORWARD {
    this.tap.capture('client', frame.type, frame.data, () => frame.event);
    return FORWARD;
  }

  onUpstream(frame: Frame<ServerEvent>): typeof FORWARD {
    this.tap.capture('upstream', frame.type, frame.data, () => frame.event);
    return FORWARD;
  }

  close(): undefined {
    this.live.delete(this.tap.info.sessionId);
    this.tap.end();
    return undefined;
  }
}
