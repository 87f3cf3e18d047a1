/**
 * Guardrails as session middleware. Input: a user text item (`conversation.item.create`, and
 * user messages in a `response.create`'s `input`) is checked before it is forwarded; a blocked
 * one is not, the client gets an `error` with code `guardrail_triggered`, and the client's next
 * `response.create` is dropped unless another item was created first (it would answer the
 * conversation without the blocked item as if nothing happened). An audio turn is checked by
 * its transcript before anything answers it (audio-turns.ts). Output: text and transcript
 * deltas are checked as they stream, held back only as far as a match could still need
 * (output-guard.ts); on a match the response is cancelled upstream, the audio of it the client's
 * transport has not played is dropped (a WebRTC call's: `ctx.clearOutputAudio`), and it ends for
 * the client with `response.done` (cancelled) and the `error`. Once the upstream has ended it,
 * the cut item is deleted upstream, so that no later response reads the words it was cut for. The client
 * saw that item added and gets the upstream's `conversation.item.deleted` for it, but never its
 * `conversation.item.done` (it holds the whole text). `end_session` then closes the session (1008).
 *
 * Errors answering the gateway's own events (a cancel that came after the response ended, a
 * delete of an item already gone) are recognised by the `event_id` the gateway gave them, and
 * are not the client's: they are dropped.
 */
import {
  type ClientEvent,
  errorEvent,
  newEventId,
  type ServerEvent,
  type WireError,
} from '@realtime-gateway/protocol';
import { RecentSet, TRACKED_IDS } from '../mcp/recent-set.js';
import {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
  type Outcome,
  type Verdict,
} from '../session/middleware.js';
import { appliesToSession } from '../vocabulary/models.js';
import type { SessionLog } from '../vocabulary/session.js';
import { AudioTurns, TURN_TYPES } from './audio-turns.js';
import type { GuardrailConfig } from './config.js';
import {
  GUARDRAIL_END_REASON,
  type GuardrailDecision,
  type GuardrailObserver,
  guardrailError,
  NO_GUARDRAIL_OBSERVER,
  record,
} from './decisions.js';
import { checkInput, type InputOutcome, userText } from './input-check.js';
import { type AudioDelta, type OutputAction, OutputGuard, type TextDelta } from './output-guard.js';

/** The sessions a guardrail may end (the session registry). */
export interface GuardrailSessions {
  endForPolicy(id: string, error: WireError, reason: string): boolean;
}

export interface GuardrailOptions {
  readonly guardrails: readonly GuardrailConfig[];
  readonly sessions: GuardrailSessions;
  readonly observer?: GuardrailObserver;
  readonly log: SessionLog;
}

const INPUT_TYPES: ReadonlySet<string> = new Set([
  'conversation.item.create',
  'input_audio_buffer.commit',
  'response.create',
  'session.update',
]);
const TEXT_DELTAS = ['response.output_text.delta', 'response.output_audio_transcript.delta'];
const PART_DONE = [
  'response.output_text.done',
  'response.output_audio_transcript.done',
  'response.output_audio.done',
  'response.content_part.done',
];
const OUTPUT_TYPES: ReadonlySet<string> = new Set([
  ...TEXT_DELTAS,
  ...PART_DONE,
  'response.output_audio.delta',
  'response.content_part.added',
  'response.output_item.added',
  'response.output_item.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.done',
  // A cut item's: hidden from the client.
  'conversation.item.done',
  'conversation.item.deleted',
  'error',
]);
const TURN_SET: ReadonlySet<string> = new Set(TURN_TYPES);
const BOTH_TYPES: ReadonlySet<string> = new Set([...OUTPUT_TYPES, ...TURN_TYPES]);
const INPUT_UPSTREAM_TYPES: ReadonlySet<string> = new Set([...TURN_TYPES, 'error']);
const NONE: ReadonlySet<string> = new Set();

/**
 * The guardrails middleware: null for a session none applies to (a conversation's only).
 *
 * @example
 * const factory = guardrailMiddleware({ guardrails: config.guardrails, sessions: registry, log });
 * if (factory) middleware.push(factory);
 */
export function guardrailMiddleware(options: GuardrailOptions): MiddlewareFactory | null {
  if (options.guardrails.length === 0) return null;
  return (info) => {
    if (info.intent !== 'conversation') return null;
    const applying = options.guardrails.filter((guardrail) => appliesToSession(guardrail, info));
    const input = applying.filter((guardrail) => guardrail.input);
    const output = applying.filter((guardrail) => guardrail.output && guardrail.deny.length > 0);
    if (input.length === 0 && output.length === 0) return null;
    return new Guardrails(options, input, output);
  };
}

/** One session's guardrails: its input guardrails, its audio turns, and the output streams' state. */
class Guardrails implements Middleware {
  readonly name = 'guardrails';
  readonly client: ReadonlySet<string>;
  readonly upstream: ReadonlySet<string>;
  private readonly output: OutputGuard | null;
  private readonly turns: AudioTurns | null;
  /** Output guardrails by name, for the action of the one that matched. */
  private readonly outputByName: ReadonlyMap<string, GuardrailConfig>;
  /** A text item was blocked: the client's next `response.create` is dropped. */
  private suppressResponse = false;
  /** Ids of the events the gateway sent upstream: an `error` naming one is the gateway's. */
  private readonly ownEvents = new RecentSet<string>(TRACKED_IDS);
  /** Cut responses' items, by response: deleted upstream at the response's end. */
  private readonly cutItems = new Map<string, string>();
  /** Items cut: their `conversation.item.done` is not the client's. */
  private readonly hiddenItems = new RecentSet<string>(TRACKED_IDS);
  private readonly observer: GuardrailObserver;

  constructor(
    private readonly options: GuardrailOptions,
    private readonly input: readonly GuardrailConfig[],
    outputGuardrails: readonly GuardrailConfig[],
  ) {
    this.observer = options.observer ?? NO_GUARDRAIL_OBSERVER;
    const guarded = outputGuardrails.length > 0;
    this.client = input.length > 0 ? INPUT_TYPES : NONE;
    this.upstream =
      input.length > 0 ? (guarded ? BOTH_TYPES : INPUT_UPSTREAM_TYPES) : guarded ? OUTPUT_TYPES : NONE;
    const maxMatchChars = Math.max(1, ...outputGuardrails.map((guardrail) => guardrail.maxMatchChars));
    this.output = guarded
      ? new OutputGuard(
          outputGuardrails.flatMap((guardrail) => guardrail.deny),
          maxMatchChars,
        )
      : null;
    this.turns =
      input.length > 0
        ? new AudioTurns({
            guardrails: input,
            ownEvents: this.ownEvents,
            block: (decision, ctx) => {
              this.record(decision, ctx);
              this.tell(decision, guardrailError(decision), ctx);
            },
            record: (decision, ctx) => this.record(decision, ctx),
          })
        : null;
    this.outputByName = new Map(outputGuardrails.map((guardrail) => [guardrail.name, guardrail]));
  }

  // ------------------------------------------------------------------------------------------
  // Input

  onClient(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Outcome<ClientEvent> {
    const event = frame.event;
    if (event === null) return FORWARD;
    let texts: string[];
    if (event.type === 'session.update') return this.turns!.onClientUpdate(event);
    if (event.type === 'input_audio_buffer.commit') {
      this.turns!.onClientCommit(frame.eventId);
      return FORWARD;
    }
    if (event.type === 'conversation.item.create') {
      const text = userText(event.item);
      texts = text === null ? [] : [text];
      this.suppressResponse = false;
    } else if (event.type === 'response.create') {
      if (this.suppressResponse) {
        this.suppressResponse = false;
        return DROP;
      }
      // One that answers the conversation waits for the audio turns committed before it.
      if (event.response?.input === undefined) return this.turns!.onClientResponse();
      texts = (event.response?.input ?? []).flatMap((item) => {
        const text = 'type' in item && item.type === 'message' ? userText(item) : null;
        return text === null ? [] : [text];
      });
    } else return FORWARD;
    if (texts.length === 0) return FORWARD;
    const outcome = checkInput(this.input, texts.join('\n'), ctx.signal);
    if (outcome instanceof Promise) return outcome.then((settled) => this.decideInput(settled, frame, ctx));
    return this.decideInput(outcome, frame, ctx);
  }

  private decideInput(
    outcome: InputOutcome,
    frame: Frame<ClientEvent>,
    ctx: MiddlewareContext,
  ): Verdict<ClientEvent> {
    for (const decision of outcome.failedOpen) this.record(decision, ctx);
    const blocked = outcome.blocked;
    if (blocked === null) return FORWARD;
    this.record(blocked, ctx, frame.event ?? undefined);
    // An item's `response.create` follows it; a `response.create` with input is itself the request.
    this.suppressResponse = frame.type === 'conversation.item.create';
    this.tell(blocked, guardrailError(blocked, frame.eventId), ctx);
    return DROP;
  }

  // ------------------------------------------------------------------------------------------
  // Output

  onUpstream(frame: Frame<ServerEvent>, ctx: MiddlewareContext): Verdict<ServerEvent> {
    const guard = this.output;
    // Audio is most of the frames: while nothing is held or cut it passes without a parse.
    if (frame.type === 'response.output_audio.delta' && (guard === null || guard.idle)) return FORWARD;
    const event = frame.event;
    if (event === null) return FORWARD;
    switch (event.type) {
      case 'error': {
        this.turns?.onUpstreamError(event.error);
        const eventId = event.error.event_id ?? null;
        if (eventId === null || !this.ownEvents.delete(eventId)) return FORWARD;
        this.turns?.ownEventRefused(eventId);
        ctx.log.debug(
          { sessionId: ctx.info.sessionId, code: event.error.code, eventId },
          'upstream refused a guardrail event',
        );
        return DROP;
      }
      case 'conversation.item.done':
        return this.hiddenItems.has(event.item.id ?? '') ? DROP : FORWARD;
      case 'conversation.item.deleted':
        this.hiddenItems.delete(event.item_id);
        break;
      case 'response.done':
        this.deleteCutItem(event.response.id ?? '', ctx);
        break;
    }
    const verdict =
      this.turns !== null && TURN_SET.has(event.type) ? this.turns.onUpstream(event, ctx) : FORWARD;
    const outcome = verdict !== FORWARD || guard === null ? verdict : this.onOutput(event, guard, ctx);
    // Again after the output guard: a response its own end cut (`$`) is over already.
    if (event.type === 'response.done') this.deleteCutItem(event.response.id ?? '', ctx);
    return outcome;
  }

  private onOutput(event: ServerEvent, guard: OutputGuard, ctx: MiddlewareContext): Verdict<ServerEvent> {
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.output_audio_transcript.delta':
        return this.act(guard.text(event as TextDelta), ctx);
      case 'response.output_audio.delta':
        return this.act(guard.audio(event as AudioDelta), ctx);
      case 'response.output_text.done':
      case 'response.output_audio_transcript.done':
      case 'response.output_audio.done':
      case 'response.content_part.done':
        return this.act(guard.done(event.response_id, event.item_id, event.content_index), ctx);
      case 'response.output_item.done':
        return this.act(guard.done(event.response_id, event.item.id ?? null, null), ctx);
      case 'response.content_part.added':
      case 'response.output_item.added':
      case 'response.function_call_arguments.delta':
      case 'response.function_call_arguments.done':
        return guard.isCut(event.response_id) ? DROP : FORWARD;
      case 'response.done':
        return this.act(guard.responseDone(event.response.id ?? ''), ctx);
      default:
        return FORWARD;
    }
  }

  /**
   * A cut response has ended upstream: its item is deleted there, so that the model does not
   * read the words it was cut for in later turns. Deleted at the end rather than at the cut,
   * as the upstream is still writing the item until then.
   */
  private deleteCutItem(responseId: string, ctx: MiddlewareContext): void {
    const itemId = this.cutItems.get(responseId);
    if (itemId === undefined) return;
    this.cutItems.delete(responseId);
    ctx.sendUpstream({ type: 'conversation.item.delete', event_id: this.own(), item_id: itemId });
  }

  private own(): string {
    const eventId = newEventId();
    this.ownEvents.add(eventId);
    return eventId;
  }

  private act(action: OutputAction, ctx: MiddlewareContext): Verdict<ServerEvent> {
    switch (action.kind) {
      case 'forward':
        return FORWARD;
      case 'send':
        for (const event of action.events) ctx.sendClient(event);
        return DROP;
      case 'flush':
        // Injected during the handler, they go out before this frame.
        for (const event of action.events) ctx.sendClient(event);
        return FORWARD;
      case 'cut':
        this.cutItems.set(action.responseId, action.itemId);
        this.hiddenItems.add(action.itemId);
        this.cutResponse(action.responseId, action.match.guardrail, ctx);
        return DROP;
    }
  }

  /**
   * Cancels a response upstream and ends it for the client: its audio not yet played is
   * dropped (a call's), then `response.done` cancelled, then the error.
   */
  private cutResponse(responseId: string, name: string, ctx: MiddlewareContext): void {
    const guardrail = this.outputByName.get(name)!;
    ctx.sendUpstream({ type: 'response.cancel', event_id: this.own(), response_id: responseId });
    ctx.clearOutputAudio(responseId);
    const decision: GuardrailDecision = {
      guardrail: name,
      direction: 'output',
      action: guardrail.action,
      cause: 'deny',
      responseId,
    };
    this.record(decision, ctx);
    const error = guardrailError(decision);
    ctx.sendClient({
      type: 'response.done',
      event_id: newEventId(),
      response: {
        object: 'realtime.response',
        id: responseId,
        status: 'cancelled',
        status_details: {
          type: 'cancelled',
          error: { type: error.type, code: error.code, message: error.message },
        },
        output: [],
      },
    });
    this.tell(decision, error, ctx);
  }

  /** Gives the client the error; for `end_session`, it is the session's last event before close 1008. */
  private tell(decision: GuardrailDecision, error: WireError, ctx: MiddlewareContext): void {
    if (decision.action === 'end_session')
      this.options.sessions.endForPolicy(ctx.info.sessionId, error, GUARDRAIL_END_REASON);
    else ctx.sendClient(errorEvent(error));
  }

  close(): undefined {
    this.turns?.close();
    return undefined;
  }

  private record(decision: GuardrailDecision, ctx: MiddlewareContext, blocked?: ClientEvent): void {
    record(
      decision,
      { info: ctx.info, log: this.options.log, trace: ctx.trace, observer: this.observer },
      blocked,
    );
  }
}
