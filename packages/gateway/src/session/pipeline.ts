/**
 * One direction of a session's middleware pipeline: frames enter in the order they were read,
 * pass the middleware that want their type, and leave in the same order.
 *
 * A frame no middleware wants leaves at once as the bytes it came as (the fast path: one peek
 * at its type). When a handler answers with a promise the direction is held: every later frame,
 * wanted or not, queues behind it, and the source is paused until the queue has drained. An
 * event a middleware injects enters after that middleware; one injected while a frame is being
 * handled goes out before that frame goes on.
 */
import type { ProtocolError } from '@realtime-gateway/protocol';
import { peekEvent, peekEventType } from '@realtime-gateway/protocol';
import type { Direction } from '../vocabulary/session.js';
import type { Frame, MiddlewareContext, Outcome, Verdict, Wants } from './middleware.js';

/** An event as the pipeline handles it. */
export interface PipelineEvent {
  readonly type: string;
  readonly event_id?: string | null | undefined;
}

/** How a direction reads its events: the parsed event, or why there is none. */
export type EventParser<E> = (input: unknown) => { event: E | null; problem: ProtocolError | null };

/** One middleware's handler for one direction. */
export interface Stage<E> {
  /** The middleware's position in the session's list (injections enter after it). */
  readonly index: number;
  readonly name: string;
  readonly wants: Wants;
  /** The middleware, as `this` for its handler and recogniser (they are called, not bound). */
  readonly middleware: object;
  readonly handle: (this: object, frame: Frame<E>, ctx: MiddlewareContext) => Outcome<E>;
  readonly ctx: MiddlewareContext;
  /** See {@link Middleware.recognize}. */
  readonly recognize?: ((this: object, data: Buffer) => string | null) | undefined;
}

/** Sets of types already made, by their contents: every session of a configuration shares them. */
const unions = new Map<string, ReadonlySet<string>>();
/** Beyond this many different sets (middleware whose wants vary by session), new ones are not kept. */
const MAX_UNIONS = 256;

/** Every type some stage wants, or `'all'`; the same set for the same wants. */
function unionOf(stages: readonly { readonly wants: Wants }[]): Wants {
  const types: string[] = [];
  for (const stage of stages) {
    if (stage.wants === 'all') return 'all';
    for (const type of stage.wants) types.push(type);
  }
  const key = [...new Set(types)].sort().join('\n');
  let union = unions.get(key);
  if (union === undefined) {
    union = new Set(types);
    if (unions.size < MAX_UNIONS) unions.set(key, union);
  }
  return union;
}

/** Where a direction's frames go, and whom it tells about what happens to them. */
export interface FlowSink {
  /** Sends a frame on: the received bytes, or an event serialized by the pipeline. */
  relay(data: Buffer | string, isBinary: boolean): void;
  /** Every frame received, as it enters; every injected event, as it leaves. */
  observe(type: string | null, bytes: number): void;
  /** A handler threw or rejected; the frame is dropped. */
  failed(frame: Frame<PipelineEvent>, middleware: string, error: unknown): void;
  /** True when the direction starts holding frames behind a handler, false when it is free again. */
  holding(held: boolean): void;
  /** More than `maxHeld` frames queued behind a handler. */
  overflow(): void;
}

/** Options for {@link Flow}. */
export interface FlowOptions<E> {
  readonly direction: Direction;
  /** In the order of the session's middleware list. */
  readonly stages: readonly Stage<E>[];
  readonly parse: EventParser<E>;
  /** How many frames may wait behind a handler before the session is closed. */
  readonly maxHeld: number;
  readonly sink: FlowSink;
}

/** A frame inside the pipeline; middleware see it as a {@link Frame}. */
class PipelineFrame<E extends PipelineEvent> implements Frame<E> {
  private parsed: E | null | undefined;
  private why: ProtocolError | null = null;

  constructor(
    readonly direction: Direction,
    public type: string | null,
    public data: Buffer | null,
    readonly isBinary: boolean,
    readonly recognized: boolean,
    private readonly parser: EventParser<E>,
    readonly injected = false,
    event?: E,
  ) {
    this.parsed = event;
  }

  get event(): E | null {
    if (this.parsed === undefined) this.parse();
    return this.parsed ?? null;
  }

  get problem(): ProtocolError | null {
    if (this.parsed === undefined) this.parse();
    return this.why;
  }

  /** The id of the event, for an `error` that names it. */
  get eventId(): string | null {
    if (this.parsed != null) return this.parsed.event_id ?? null;
    return this.data === null ? null : (peekEvent(this.data)?.eventId ?? null);
  }

  replace(event: E): void {
    this.parsed = event;
    this.why = null;
    this.data = null;
    this.type = event.type;
  }

  rewrite(data: Buffer, type: string): void {
    this.parsed = undefined;
    this.why = null;
    this.data = data;
    this.type = type;
  }

  private parse(): void {
    const { event, problem } = this.parser(this.data);
    this.parsed = event;
    this.why = problem;
  }
}

interface Entry<E extends PipelineEvent> {
  readonly frame: PipelineFrame<E>;
  /** With `pending`: the stage whose verdict it is; without: the next stage to run. */
  readonly stage: number;
  readonly pending: Promise<Verdict<E>> | null;
}

/**
 * One direction of the pipeline.
 *
 * @example
 * const flow = new Flow({ direction: 'client_to_upstream', stages, parse, maxHeld: 256, sink });
 * clientLeg.attach({ frame: (data, isBinary) => flow.receive(data, isBinary), … });
 */
export class Flow<E extends PipelineEvent> {
  private readonly stages: readonly Stage<E>[];
  private readonly sink: FlowSink;
  private readonly wanted: ReadonlySet<string> | null;
  private readonly wantsAll: boolean;
  /** The stage whose middleware recognises frames, if one does. */
  private readonly recognizer: Stage<E> | null;
  /** What the middleware other than the recognising one want: a vouched-for frame they do not want skips them all. */
  private readonly othersWanted: ReadonlySet<string> | null;
  private readonly othersWantAll: boolean;
  /** Made when a first frame has to wait. */
  private queue: Entry<E>[] | null = null;
  /** A handler's promise is pending; everything else waits in {@link queue}. */
  private busy = false;
  private held = false;
  private stopped = false;

  constructor(private readonly options: FlowOptions<E>) {
    this.stages = options.stages;
    this.sink = options.sink;
    const wanted = unionOf(this.stages);
    this.wantsAll = wanted === 'all';
    this.wanted = wanted === 'all' ? null : wanted;
    this.recognizer = this.stages.find((stage) => stage.recognize !== undefined) ?? null;
    const others = unionOf(this.stages.filter((stage) => stage !== this.recognizer));
    this.othersWantAll = others === 'all';
    this.othersWanted = others === 'all' ? null : others;
  }

  /** Frames waiting behind a handler. */
  get waiting(): number {
    return this.queue?.length ?? 0;
  }

  /** A frame read from the source. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.stopped) return;
    const recognizer = this.recognizer;
    let type = recognizer === null ? null : recognizer.recognize!.call(recognizer.middleware, data);
    const recognized = type !== null;
    if (!recognized) type = peekEventType(data);
    this.sink.observe(type, data.length);
    const skips = recognized
      ? !this.othersWantAll && !this.othersWanted!.has(type!)
      : !this.wantsAll && (type === null || !this.wanted!.has(type));
    if (!this.busy && skips) {
      this.sink.relay(data, isBinary);
      return;
    }
    const frame = new PipelineFrame<E>(
      this.options.direction,
      type,
      data,
      isBinary,
      recognized,
      this.options.parse,
    );
    this.enter({ frame, stage: 0, pending: null });
  }

  /** An event injected by the middleware at `after` in the session's list (-1: before all). */
  inject(event: E, after: number): void {
    if (this.stopped) return;
    let stage = 0;
    while (stage < this.stages.length && this.stages[stage]!.index <= after) stage++;
    const frame = new PipelineFrame<E>(
      this.options.direction,
      event.type,
      null,
      false,
      false,
      this.options.parse,
      true,
      event,
    );
    this.enter({ frame, stage, pending: null });
  }

  /** Drops what waits and ignores what is pending: the session has ended. */
  stop(): void {
    this.stopped = true;
    this.queue = null;
  }

  private enqueue(entry: Entry<E>): void {
    if (this.queue === null) this.queue = [entry];
    else this.queue.push(entry);
  }

  private enter(entry: Entry<E>): void {
    if (!this.busy) {
      this.process(entry);
      this.settle();
      return;
    }
    if (this.waiting >= this.options.maxHeld) {
      this.stop();
      this.sink.overflow();
      return;
    }
    this.enqueue(entry);
  }

  private process(entry: Entry<E>): void {
    if (entry.pending === null) {
      this.run(entry.frame, entry.stage);
      return;
    }
    this.busy = true;
    if (!this.held) {
      this.held = true;
      this.sink.holding(true);
    }
    const stage = this.stages[entry.stage]!;
    entry.pending.then(
      (verdict) => this.resume(entry.frame, entry.stage, verdict),
      (error: unknown) => {
        this.busy = false;
        if (this.stopped) return;
        this.sink.failed(entry.frame, stage.name, error);
        this.drain();
      },
    );
  }

  private resume(frame: PipelineFrame<E>, stage: number, verdict: Verdict<E>): void {
    this.busy = false;
    if (this.stopped) return;
    if (this.apply(frame, verdict)) this.run(frame, stage + 1);
    this.drain();
  }

  private drain(): void {
    while (!this.busy && !this.stopped && this.waiting > 0) this.process(this.queue!.shift()!);
    this.settle();
  }

  private settle(): void {
    if (this.held && !this.busy && !this.stopped) {
      this.held = false;
      this.sink.holding(false);
    }
  }

  private run(frame: PipelineFrame<E>, from: number): void {
    const stages = this.stages;
    for (let k = from; k < stages.length; k++) {
      const stage = stages[k]!;
      if (stage.wants !== 'all' && (frame.type === null || !stage.wants.has(frame.type))) continue;
      let outcome: Outcome<E>;
      try {
        outcome = stage.handle.call(stage.middleware, frame, stage.ctx);
      } catch (error) {
        this.sink.failed(frame, stage.name, error);
        return;
      }
      if (this.stopped) return;
      if (isPromise(outcome)) {
        const entry = { frame, stage: k, pending: outcome };
        // An event injected during the handler may already hold the direction; it goes first.
        if (this.busy) this.enqueue(entry);
        else this.process(entry);
        return;
      }
      if (!this.apply(frame, outcome)) return;
      if (this.busy) {
        this.enqueue({ frame, stage: k + 1, pending: null });
        return;
      }
    }
    if (frame.data !== null) this.sink.relay(frame.data, frame.isBinary);
    else {
      const text = JSON.stringify(frame.event);
      if (frame.injected) this.sink.observe(frame.type, text.length);
      this.sink.relay(text, false);
    }
  }

  /** False when the verdict ends the frame here. */
  private apply(frame: PipelineFrame<E>, verdict: Verdict<E>): boolean {
    if (verdict?.action === 'drop') return false;
    if (verdict?.action === 'replace') frame.replace(verdict.event);
    else if (verdict?.action === 'rewrite') frame.rewrite(verdict.data, verdict.type);
    return true;
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
