/**
 * What the console sees of each live session of this process: a bounded timeline of its frames
 * (and, apart, its conversation's events, so a flood of audio does not push them out), and the
 * tokens and cost metered so far.
 *
 * Two seams feed it. Session middleware that lets every frame pass, last in the list like the
 * recording (so it sees what each side was actually sent), takes the protocol's events but
 * audio, keeping a reference to their bytes; nothing is parsed or rendered until a page reads
 * it. Audio frames, and frames of types the protocol does not name, reach it through the
 * session observer, which the relay tells of every frame anyway (its type and size): so audio
 * keeps the relay's fast path, where no middleware handles it, and costs a map lookup and a
 * counter per frame.
 */
import {
  BETA_CLIENT_EVENT_TYPES,
  BETA_SERVER_EVENT_TYPES,
  CLIENT_EVENT_TYPES,
  type ClientEvent,
  SERVER_EVENT_TYPES,
  type ServerEvent,
} from '@realtime-gateway/protocol';
import { FORWARD, type Frame, type Middleware, type MiddlewareFactory } from '../session/middleware.js';
import type { SessionObserver } from '../session/observer.js';
import type { Direction, SessionInfo } from '../vocabulary/session.js';
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

const notAudio = (types: readonly string[]) => new Set(types.filter((type) => !AUDIO_TYPES.has(type)));
/** What the middleware takes each way: the protocol's events but audio. */
const CLIENT_WANTS = notAudio(CLIENT_EVENT_TYPES);
const UPSTREAM_WANTS = notAudio(SERVER_EVENT_TYPES);
/** Types the middleware takes, or would under another dialect's name: the observer leaves them. */
const EVENTS = new Set([
  ...CLIENT_WANTS,
  ...UPSTREAM_WANTS,
  ...notAudio(BETA_CLIENT_EVENT_TYPES),
  ...notAudio(BETA_SERVER_EVENT_TYPES),
]);

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
  /** Each side's latest audio entry, which its next audio frames fold into. */
  private readonly lastAudio: Record<Side, TapEntry | undefined> = { client: undefined, upstream: undefined };
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

  /** Takes a frame of the protocol's events: its bytes are kept (or its event rendered) for a page. */
  capture(side: Side, type: string | null, data: Buffer | null, event: () => unknown): void {
    const limit = this.limits.eventPayloadChars;
    this.take(side, type, data?.length ?? 0, () => sourceOf(data, data === null ? event() : null, limit));
  }

  /** Takes a frame only seen go by (audio, or of an unknown type): its type and size. */
  count(side: Side, type: string | null, bytes: number): void {
    this.take(side, type, bytes, () => null);
  }

  private take(side: Side, type: string | null, bytes: number, source: () => Buffer | string | null): void {
    const at = this.now();
    const audio = type !== null && AUDIO_TYPES.has(type);
    const previous = audio ? this.lastAudio[side] : undefined;
    let entry: TapEntry;
    if (folds(previous, type, at)) {
      entry = previous!;
      entry.bytes += bytes;
      entry.frames++;
      entry.lastAt = at;
    } else {
      entry = {
        seq: ++this.seq,
        at,
        lastAt: at,
        side,
        type,
        bytes,
        frames: 1,
        source: audio ? null : source(),
      };
      if (audio) this.lastAudio[side] = entry;
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

  /**
   * `observer` that also tells the taps of audio frames and frames of unknown types.
   *
   * @example
   * const observer = taps.observing(metrics);
   */
  observing(observer: SessionObserver): SessionObserver {
    const live = this.live;
    return {
      sessionStarted: observer.sessionStarted.bind(observer),
      sessionEnded: observer.sessionEnded.bind(observer),
      frame(info: SessionInfo, direction: Direction, type: string | null, bytes: number) {
        observer.frame(info, direction, type, bytes);
        // No session tapped (no admin key): the audio path pays one comparison.
        if (live.size === 0 || (type !== null && EVENTS.has(type))) return;
        live
          .get(info.sessionId)
          ?.count(direction === 'client_to_upstream' ? 'client' : 'upstream', type, bytes);
      },
      relayError: observer.relayError.bind(observer),
      usage: observer.usage.bind(observer),
      upstreamReplaced: observer.upstreamReplaced.bind(observer),
      clientResume: observer.clientResume.bind(observer),
    };
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
  readonly client = CLIENT_WANTS;
  readonly upstream = UPSTREAM_WANTS;

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
