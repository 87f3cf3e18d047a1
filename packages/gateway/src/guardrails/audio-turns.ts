/**
 * Audio turns on a session with input guardrails: the transcript is checked before the model
 * answers. The upstream does not answer turns by itself (turn-view.ts); when it commits one,
 * the gateway waits for the turn's transcript, checks it like a text item, and then either asks
 * for the response the client's settings would have had (`response.create`), or deletes the
 * item upstream (`conversation.item.delete`) and gives the client the `guardrail_triggered`
 * error. The client saw the item added, so it also gets the upstream's
 * `conversation.item.deleted`: its conversation stays the upstream's. Each turn's state is a
 * {@link TurnState} (turn-state.ts).
 *
 * A turn the client commits itself (`input_audio_buffer.commit`, usually with turn detection
 * off) is answered by the client's own `response.create`, sent right after the commit: that
 * `response.create` is held (and the client's direction behind it, so its order stays exact)
 * until every turn committed before it is decided, then forwarded, or dropped when the last of
 * them was blocked (the client has the error as its answer).
 */
import {
  type AudioTranscriptionState,
  type ClientEvent,
  type ClientEventMap,
  newEventId,
  type ServerEvent,
} from '@realtime-gateway/protocol';
import { type RecentSet, TRACKED_IDS } from '../mcp/recent-set.js';
import { DROP, FORWARD, type MiddlewareContext, type Outcome, type Verdict } from '../session/middleware.js';
import { DEFAULT_GUARDRAIL, type GuardrailConfig } from './config.js';
import type { GuardrailDecision } from './decisions.js';
import { checkInput, type InputOutcome } from './input-check.js';
import { DONE, nextTurn, type TurnInput, type TurnState } from './turn-state.js';
import {
  type ClientTurnView,
  forClient,
  forUpstream,
  openingUpdate,
  viewAfter,
  viewOf,
} from './turn-view.js';

/** Upstream events audio turns follow. */
export const TURN_TYPES: readonly string[] = [
  'session.created',
  'session.updated',
  'input_audio_buffer.committed',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.segment',
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.input_audio_transcription.failed',
  'conversation.item.deleted',
  'response.created',
  'response.done',
];

export interface AudioTurnsOptions {
  /** The session's input guardrails, in config order. */
  readonly guardrails: readonly GuardrailConfig[];
  /** Ids of the events the gateway sends upstream, so that their errors are not the client's. */
  readonly ownEvents: RecentSet<string>;
  /** Records a decision and tells the client (the middleware's). */
  readonly block: (decision: GuardrailDecision, ctx: MiddlewareContext) => void;
  /** Records a decision that let the text pass (a moderation service failing open). */
  readonly record: (decision: GuardrailDecision, ctx: MiddlewareContext) => void;
}

/** The API's defaults (server VAD answering turns, no transcription), for an update before `session.created`. */
const API_DEFAULT_VIEW: ClientTurnView = Object.freeze({
  detecting: true,
  createResponse: true,
  transcription: null,
});

interface Turn {
  state: TurnState;
  /** The transcript's deadline, while transcribing. */
  timer: NodeJS.Timeout | null;
}

/**
 * @example
 * const turns = new AudioTurns({ guardrails: input, ownEvents, block, record });
 * return turns.onUpstream(event, ctx); // for the types in TURN_TYPES
 */
export class AudioTurns {
  private readonly turns = new Map<string, Turn>();
  private view: ClientTurnView | null = null;
  /** The gateway's own `session.update`s not yet answered, oldest first. */
  private readonly pendingUpdates: string[] = [];
  /** A response is in progress upstream: a passed turn is then not answered, as the upstream would not have. */
  private responding = false;
  private readonly transcription: AudioTranscriptionState;
  private readonly timeoutMs: number;
  /** The client's commits sent upstream and not yet answered (`committed` or an error), by event id. */
  private readonly commits: (string | null)[] = [];
  /** The turn committed last, and whether it was blocked: a held `response.create` would answer it. */
  private lastTurn: { readonly itemId: string; blocked: boolean } | null = null;
  /** The client's `response.create` held until the turns before it are decided. */
  private held: {
    readonly settle: (verdict: Verdict<ClientEvent>) => void;
    readonly timer: NodeJS.Timeout;
  } | null = null;

  constructor(private readonly options: AudioTurnsOptions) {
    const guardrails = options.guardrails;
    // Several input guardrails: the first that names a model names it, and the most patient waits.
    const model = guardrails.find((guardrail) => guardrail.transcriptionModel !== null)?.transcriptionModel;
    this.transcription = { model: model ?? DEFAULT_GUARDRAIL.transcriptionModel };
    this.timeoutMs = Math.max(...guardrails.map((guardrail) => guardrail.transcriptTimeoutMs));
  }

  /** The client's `session.update`: recorded as the client's view, sent on as the upstream's. */
  onClientUpdate(event: ClientEventMap['session.update']): Verdict<ClientEvent> {
    if (event.session.type !== 'realtime') return FORWARD;
    const view = viewAfter(this.view ?? API_DEFAULT_VIEW, event.session);
    this.view = view;
    const upstream = forUpstream(event.session, view, this.transcription);
    return upstream === null ? FORWARD : { action: 'replace', event: { ...event, session: upstream } };
  }

  /** The client's `input_audio_buffer.commit`: a `response.create` after it waits for its turn. */
  onClientCommit(eventId: string | null): void {
    // Each commit is answered; the bound only guards against an upstream that never answers.
    if (this.commits.length >= TRACKED_IDS) this.commits.shift();
    this.commits.push(eventId);
  }

  /**
   * The client's `response.create` for the conversation: forwarded at once when no turn is
   * being decided; otherwise held until every turn committed before it is, at most the
   * transcript timeout.
   */
  onClientResponse(): Outcome<ClientEvent> {
    if (this.held !== null || this.decided()) return FORWARD;
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        // Commits the upstream never answered made no turn.
        this.commits.length = 0;
        this.release();
      }, this.timeoutMs);
      timer.unref();
      this.held = { settle, timer };
    });
  }

  /** An upstream `error`: one that refuses a client commit means the commit made no turn. */
  onUpstreamError(error: { readonly code?: string | null; readonly event_id?: string | null }): void {
    let k = error.event_id == null ? -1 : this.commits.indexOf(error.event_id);
    if (k < 0 && error.code?.startsWith('input_audio_buffer_commit')) k = this.commits.indexOf(null);
    if (k < 0) return;
    this.commits.splice(k, 1);
    this.lastTurn = null;
    this.release();
  }

  onUpstream(event: ServerEvent, ctx: MiddlewareContext): Verdict<ServerEvent> {
    switch (event.type) {
      case 'session.created': {
        this.view = viewOf(event.session);
        const opening = openingUpdate(event.session, this.transcription);
        if (opening !== null) {
          const eventId = this.own();
          this.pendingUpdates.push(eventId);
          ctx.sendUpstream({ type: 'session.update', event_id: eventId, session: opening });
        }
        return FORWARD;
      }
      case 'session.updated':
        if (this.pendingUpdates.shift() !== undefined) return DROP;
        return this.view === null
          ? FORWARD
          : { action: 'replace', event: { ...event, session: forClient(event.session, this.view) } };
      case 'input_audio_buffer.committed':
        this.commits.shift();
        this.lastTurn = { itemId: event.item_id, blocked: false };
        this.start(event.item_id, ctx);
        return FORWARD;
      case 'conversation.item.input_audio_transcription.completed':
        if (this.step(event.item_id, 'transcript', ctx) === 'checking')
          this.check(event.item_id, event.transcript, ctx);
        return this.transcriptVerdict();
      case 'conversation.item.input_audio_transcription.failed':
        this.step(event.item_id, 'transcription_failed', ctx);
        return this.transcriptVerdict();
      case 'conversation.item.input_audio_transcription.delta':
      case 'conversation.item.input_audio_transcription.segment':
        return this.transcriptVerdict();
      case 'conversation.item.deleted':
        this.step(event.item_id, 'deleted', ctx);
        return FORWARD;
      case 'response.created':
        this.responding = true;
        return FORWARD;
      case 'response.done':
        this.responding = false;
        return FORWARD;
      default:
        return FORWARD;
    }
  }

  /** The upstream refused an event of the gateway's; if it was a `session.update`, nothing will answer it. */
  ownEventRefused(eventId: string): void {
    const k = this.pendingUpdates.indexOf(eventId);
    if (k >= 0) this.pendingUpdates.splice(k, 1);
  }

  close(): void {
    for (const turn of this.turns.values()) if (turn.timer !== null) clearTimeout(turn.timer);
    this.turns.clear();
    if (this.held !== null) {
      clearTimeout(this.held.timer);
      this.held.settle(DROP);
      this.held = null;
    }
  }

  /** Whether no commit is unanswered and no turn undecided (a blocked turn is decided). */
  private decided(): boolean {
    if (this.commits.length > 0) return false;
    for (const turn of this.turns.values()) if (turn.state !== 'blocked') return false;
    return true;
  }

  /** Lets a held `response.create` go once everything before it is decided: dropped if it would answer a blocked turn. */
  private release(): void {
    const held = this.held;
    if (held === null || !this.decided()) return;
    this.held = null;
    clearTimeout(held.timer);
    held.settle(this.lastTurn?.blocked === true ? DROP : FORWARD);
  }

  /** Transcription events reach the client only when it asked for transcription. */
  private transcriptVerdict(): Verdict<ServerEvent> {
    return this.view?.transcription == null ? DROP : FORWARD;
  }

  private start(itemId: string, ctx: MiddlewareContext): void {
    const timer = setTimeout(() => this.step(itemId, 'timeout', ctx), this.timeoutMs);
    timer.unref();
    this.turns.set(itemId, { state: 'transcribing', timer });
  }

  /**
   * Moves a turn on, and acts on where it lands: a turn newly blocked is deleted upstream (by
   * `decision`, or as unchecked when its transcript never came), a turn that passed is answered.
   * Returns the new state (null: not tracked).
   */
  private step(
    itemId: string,
    input: TurnInput,
    ctx: MiddlewareContext,
    decision?: GuardrailDecision,
  ): TurnState | typeof DONE | null {
    const turn = this.turns.get(itemId);
    if (turn === undefined) return null;
    const next = nextTurn(turn.state, input);
    if (next === turn.state) return next;
    if (turn.timer !== null) clearTimeout(turn.timer);
    turn.timer = null;
    if (next === DONE) this.turns.delete(itemId);
    else turn.state = next;
    if (next === 'blocked') {
      if (this.lastTurn?.itemId === itemId) this.lastTurn.blocked = true;
      this.blockTurn(itemId, decision ?? this.unchecked(input), ctx);
    }
    if (next === DONE && input === 'passed') this.answer(ctx);
    this.release();
    return next;
  }

  /** Checks a transcript; the upstream direction goes on meanwhile (audio out is not held). */
  private check(itemId: string, transcript: string, ctx: MiddlewareContext): void {
    const outcome = checkInput(this.options.guardrails, transcript, ctx.signal);
    if (outcome instanceof Promise) void outcome.then((settled) => this.decide(itemId, settled, ctx));
    else this.decide(itemId, outcome, ctx);
  }

  private decide(itemId: string, outcome: InputOutcome, ctx: MiddlewareContext): void {
    if (ctx.signal.aborted) return;
    for (const decision of outcome.failedOpen) this.options.record(decision, ctx);
    if (outcome.blocked === null) this.step(itemId, 'passed', ctx);
    else this.step(itemId, 'blocked', ctx, outcome.blocked);
  }

  /** Deletes the blocked item upstream, so that no response ever sees it, and tells the client. */
  private blockTurn(itemId: string, decision: GuardrailDecision, ctx: MiddlewareContext): void {
    ctx.sendUpstream({ type: 'conversation.item.delete', event_id: this.own(), item_id: itemId });
    this.options.block(decision, ctx);
  }

  /** Asks for the response the upstream would have made by itself, had the client's settings reached it. */
  private answer(ctx: MiddlewareContext): void {
    const view = this.view;
    // A held `response.create` of the client's is the answer.
    if (view === null || !view.detecting || !view.createResponse || this.responding || this.held !== null)
      return;
    ctx.sendUpstream({ type: 'response.create', event_id: this.own() });
  }

  /** A turn whose transcript never came is blocked by the first input guardrail: it could not be checked. */
  private unchecked(input: TurnInput): GuardrailDecision {
    const first = this.options.guardrails[0]!;
    return {
      guardrail: first.name,
      direction: 'input',
      action: first.action,
      cause: 'transcription_failed',
      detail: input === 'timeout' ? 'timeout' : 'failed',
    };
  }

  private own(): string {
    const eventId = newEventId();
    this.options.ownEvents.add(eventId);
    return eventId;
  }
}
