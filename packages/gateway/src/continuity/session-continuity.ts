/**
 * One session's continuity: a middleware that keeps the session's conversation ledger and
 * translates item ids, and the handler the session asks when its upstream ends. Both share one
 * state, so a replacement replays exactly what the ledger recorded and the ids it creates are
 * the ones the middleware translates from then on.
 *
 * A replacement: every response in flight ends for the client with `response.done` (`failed`,
 * code `upstream_replaced`); a new upstream is dialled; the ledger is replayed onto it unseen
 * (`replaying.ts`); the session switches to it. What the client sent meanwhile waits in the
 * session and goes to the new upstream after the replay.
 */
import {
  type ClientEvent,
  type ConversationItemTruncateEvent,
  errorEvent,
  newEventId,
  type ServerEvent,
  type WireError,
} from '@realtime-gateway/protocol';
import type { Leg } from '../legs/leg.js';
import {
  DROP,
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type Verdict,
} from '../session/middleware.js';
import type { Session, UpstreamLossHandler } from '../session/session.js';
import { describeError, type SessionLog, type UpstreamReplacement } from '../vocabulary/session.js';
import { ConversationLedger, LEDGER_EVENT_TYPES, type LedgerLimits } from './conversation-ledger.js';
import {
  CLIENT_ITEM_ID_EVENTS,
  ItemIdMap,
  rewriteClientEvent,
  rewriteUpstreamEvent,
  UPSTREAM_EARLIER_ITEM_EVENTS,
} from './item-ids.js';
import { buildReplay, type ReplayPlan } from './replay.js';
import { replayOnto } from './replaying.js';
import { decideRollover } from './rollover.js';
import { planTruncation } from './truncating.js';

/** A new upstream connection, or why there is none. */
export type Redialled =
  | {
      readonly ok: true;
      readonly leg: Leg;
      readonly upstream: string;
      /** The new upstream's cap on a session's length, or null. */
      readonly maxSessionMs: number | null;
    }
  | { readonly ok: false; readonly error: WireError };

export interface SessionContinuityOptions {
  /** Replacements a session may have (each a new upstream connection). */
  readonly maxReplacements: number;
  /** How long a replay may take before the replacement fails. */
  readonly replayTimeoutMs: number;
  readonly ledger?: Partial<LedgerLimits>;
  /**
   * Opens a new upstream connection for the session (its slot held until the session ends);
   * `lost` names the upstream the session leaves, to be tried last.
   */
  readonly dial: (lost: string) => Promise<Redialled>;
  readonly log: SessionLog;
  /** Told of each replacement, once it settled; the session's info names its upstream by then. */
  readonly replaced?: (session: Session, replacement: UpstreamReplacement) => void;
  /**
   * The first upstream's cap on a session's length (null for none): the session moves to a new
   * connection `rolloverBeforeMs` before it, at the first quiet moment.
   */
  readonly maxSessionMs?: number | null;
  readonly rolloverBeforeMs?: number;
  readonly now?: () => number;
}

/** Close codes after which a new upstream is worth asking for: the server went away or failed. */
const REPLACEABLE_CLOSES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014]);

/** The ids of a session that never replaced its upstream: none, shared (a replacement makes its own). */
const NO_IDS = new ItemIdMap();

/** What the current upstream holds of a replayed conversation, for the ids the client knows. */
interface Replayed {
  /** Client ids of assistant audio items the upstream holds as their transcript. */
  readonly textOnly: ReadonlySet<string>;
  /** Client ids of ledger items the upstream does not hold (the replay left them out). */
  readonly absent: Set<string>;
  /** Upstream ids and event ids of the gateway's own truncations, whose answers the client must not see. */
  readonly hidden: Set<string>;
  /** Upstream ids of replayed items whose `conversation.item.done`, the replay's, is yet to come. */
  readonly pendingDone: Set<string>;
}

/** Whether the user is speaking, so that a rollover waits for them to stop. */
const SPEECH_EVENTS = ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped'];

const UPSTREAM_WANTS: ReadonlySet<string> = new Set([
  // The upstream's answers to a truncation the gateway made, refusals included.
  'error',
  ...LEDGER_EVENT_TYPES,
  ...UPSTREAM_EARLIER_ITEM_EVENTS,
  ...SPEECH_EVENTS,
]);

/**
 * @example
 * const continuity = new SessionContinuity({ maxReplacements: 3, replayTimeoutMs: 10_000, dial, log });
 * const session = new Session({ info, limits, upstreamEnded: continuity.upstreamEnded,
 *   middleware: [() => continuity.upstreamSide, ...rest, () => continuity.clientSide] });
 * continuity.serve(session);
 */
export class SessionContinuity implements Middleware {
  readonly name = 'continuity';
  readonly upstream = UPSTREAM_WANTS;
  /**
   * Last in the list: it turns the client's ids into the upstream's after every other
   * middleware, those a middleware injects included.
   */
  readonly clientSide: Middleware = new ClientIds(this);
  private readonly ledger: ConversationLedger;
  private ids = NO_IDS;
  /** Responses the client saw start and not end. */
  private inFlight: Set<string> | null = null;
  private replacements = 0;
  private context: MiddlewareContext | null = null;
  private session: Session | null = null;
  private readonly now: () => number;
  private userSpeaking = false;
  /** The current upstream's cap on a session's length, and when its connection opened. */
  private maxSessionMs: number | null;
  private upstreamStartedAt = 0;
  private rolloverTimer: NodeJS.Timeout | null = null;
  /** What the current upstream holds of the replayed conversation; null until a replacement. */
  private replayed: Replayed | null = null;

  constructor(private readonly options: SessionContinuityOptions) {
    this.ledger = new ConversationLedger(options.ledger);
    this.now = options.now ?? Date.now;
    this.maxSessionMs = options.maxSessionMs ?? null;
  }

  /** The session this continuity keeps; its rollover clock starts when the session opens. */
  serve(session: Session): void {
    this.session = session;
  }

  /**
   * First in the session's list: it turns the upstream's ids into the client's before any other
   * middleware sees them, and keeps the ledger.
   */
  get upstreamSide(): Middleware {
    return this;
  }

  open(ctx: MiddlewareContext): void {
    this.context = ctx;
    this.upstreamStartedAt = this.now();
    this.planRollover();
  }

  close(): undefined {
    this.cancelRollover();
    this.session = null;
    return undefined;
  }

  /** The client side's handler (see {@link clientSide}). */
  translateClient(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Verdict<ClientEvent> {
    const event = frame.event;
    if (event === null || this.ids.size === 0) return FORWARD;
    if (event.type === 'conversation.item.truncate' && this.replayed?.textOnly.has(event.item_id)) {
      this.truncateReplayed(event, ctx);
      return DROP;
    }
    const rewritten = rewriteClientEvent(event, this.ids);
    return rewritten === event ? FORWARD : { action: 'replace', event: rewritten };
  }

  onUpstream(frame: Frame<ServerEvent>): Verdict<ServerEvent> {
    const event = frame.event;
    if (event === null) return FORWARD;
    const replayed = this.replayed;
    if (replayed !== null) {
      if (replayed.hidden.size > 0 && this.answersOwnTruncation(replayed.hidden, event)) return DROP;
      if (event.type === 'conversation.item.done' && replayed.pendingDone.delete(event.item.id ?? ''))
        return DROP;
    }
    const rewritten = this.ids.size === 0 ? event : rewriteUpstreamEvent(event, this.ids);
    if (rewritten.type === 'input_audio_buffer.speech_started') this.userSpeaking = true;
    else if (rewritten.type === 'input_audio_buffer.speech_stopped') this.userSpeaking = false;
    else if (rewritten.type === 'response.created' && typeof rewritten.response.id === 'string') {
      this.inFlight ??= new Set();
      this.inFlight.add(rewritten.response.id);
    } else if (rewritten.type === 'response.done' && typeof rewritten.response.id === 'string')
      this.inFlight?.delete(rewritten.response.id);
    // The ledger keeps the client's ids, so every replay starts from them.
    if (LEDGER_EVENT_TYPES.has(rewritten.type)) this.ledger.apply(rewritten);
    return rewritten === event ? FORWARD : { action: 'replace', event: rewritten };
  }

  /** For {@link SessionOptions.upstreamEnded}. */
  readonly upstreamEnded: UpstreamLossHandler = (session, loss) => {
    if (!REPLACEABLE_CLOSES.has(loss.code) && !loss.lost) return false;
    if (this.replacements >= this.options.maxReplacements) {
      this.options.log.warn(
        { sessionId: session.id, replacements: this.replacements },
        'the upstream ended and the session has no replacements left',
      );
      return false;
    }
    this.replacements++;
    this.options.log.warn(
      { sessionId: session.id, code: loss.code, lost: loss.lost, replacement: this.replacements },
      'the upstream ended; replacing it',
    );
    void this.replace(session, 'lost');
    return true;
  };

  /** Looks for the moment to move to a new upstream before the current one's cap. */
  private planRollover(): void {
    this.cancelRollover();
    const session = this.session;
    if (session === null) return;
    const decision = decideRollover(
      {
        maxDurationMs: this.maxSessionMs,
        rolloverBeforeMs: this.options.rolloverBeforeMs ?? 0,
        minReplayMs: this.options.replayTimeoutMs,
        maxReplacements: this.options.maxReplacements,
      },
      {
        upstreamStartedAt: this.upstreamStartedAt,
        now: this.now(),
        replacements: this.replacements,
        responseInProgress: (this.inFlight?.size ?? 0) > 0,
        userSpeaking: this.userSpeaking,
      },
    );
    if (decision.action === 'wait') {
      this.rolloverTimer = setTimeout(() => this.planRollover(), decision.inMs);
      this.rolloverTimer.unref();
    } else if (decision.action === 'replace' && session.retireUpstream('rollover')) {
      this.replacements++;
      this.options.log.info(
        { sessionId: session.id, moment: decision.reason, replacement: this.replacements },
        'the upstream nears its cap on session length; moving the session to a new connection',
      );
      void this.replace(session, 'rollover');
    }
  }

  private cancelRollover(): void {
    if (this.rolloverTimer !== null) clearTimeout(this.rolloverTimer);
    this.rolloverTimer = null;
  }

  private async replace(session: Session, reason: UpstreamReplacement['reason']): Promise<void> {
    this.cancelRollover();
    const started = this.now();
    const from = session.info.upstreamName;
    const log = this.options.log;
    this.endResponsesInFlight();
    this.userSpeaking = false;
    let to: string | null = null;
    try {
      const dialled = await this.options.dial(from);
      if (!dialled.ok) {
        this.failed(session, dialled.error);
        return;
      }
      const replay = buildReplay(this.ledger.snapshot());
      const result = await replayOnto(dialled.leg, replay, this.options.replayTimeoutMs);
      if (!result.ok) {
        dialled.leg.close(1000, '');
        this.failed(session, result.error);
        return;
      }
      this.ids = ItemIdMap.from(result.ids);
      this.learnReplayed(replay, result.pendingDone);
      if (
        !session.replaceUpstream(dialled.leg, {
          upstream: dialled.upstream,
          upstreamSessionId: result.upstreamSessionId,
        })
      ) {
        dialled.leg.close(1000, '');
        return;
      }
      to = dialled.upstream;
      this.maxSessionMs = dialled.maxSessionMs;
      this.upstreamStartedAt = this.now();
      this.planRollover();
      log.warn(
        {
          sessionId: session.id,
          reason,
          from,
          upstream: dialled.upstream,
          upstreamSessionId: result.upstreamSessionId,
          items: result.ids.length,
          skipped: replay.skipped.length,
          durationMs: this.now() - started,
        },
        'upstream replaced',
      );
    } catch (error) {
      log.error({ sessionId: session.id, err: describeError(error) }, 'replacing the upstream failed');
      session.failReplacement({
        type: 'server_error',
        code: 'upstream_lost',
        message: 'The connection to the upstream server was lost.',
      });
    } finally {
      this.options.replaced?.(session, {
        outcome: to === null ? 'failed' : 'replaced',
        reason,
        from,
        to,
        durationMs: this.now() - started,
      });
    }
  }

  private failed(session: Session, error: WireError): void {
    this.options.log.warn(
      { sessionId: session.id, code: error.code, reason: error.message },
      'replacing the upstream failed',
    );
    session.failReplacement(error);
  }

  /** Which items the new upstream holds as text, and which not at all. */
  private learnReplayed(plan: ReplayPlan, pendingDone: ReadonlySet<string>): void {
    const textOnly = new Set<string>();
    for (const [clientId] of plan.ids) {
      const item = this.ledger.get(clientId)?.item;
      if (
        item?.type === 'message' &&
        item.content.some((part) => part.type === 'output_audio' || part.type === 'audio')
      )
        textOnly.add(clientId);
    }
    this.replayed = {
      textOnly,
      absent: new Set(plan.skipped.map((skip) => skip.id)),
      hidden: new Set(),
      pendingDone: new Set(pendingDone),
    };
  }

  private truncateReplayed(event: ConversationItemTruncateEvent, ctx: MiddlewareContext): void {
    const replayed = this.replayed!;
    const plan = planTruncation(this.ledger, this.ids, replayed.absent, event);
    if (!plan.ok) {
      ctx.sendClient(errorEvent(plan.error));
      return;
    }
    if (plan.upstreamId !== null) this.ids.link(event.item_id, plan.upstreamId);
    else {
      this.ids.forgetClient(event.item_id);
      replayed.absent.add(event.item_id);
    }
    for (const id of plan.hide) replayed.hidden.add(id);
    // Sent from the last middleware, so no other one rewrites the upstream's ids in them.
    for (const upstreamEvent of plan.upstream) {
      if (upstreamEvent.event_id != null) replayed.hidden.add(upstreamEvent.event_id);
      ctx.sendUpstream(upstreamEvent);
    }
    this.context?.sendClient(plan.client);
  }

  /** Whether an upstream event answers one of the gateway's own truncations (consumed when it does). */
  private answersOwnTruncation(hidden: Set<string>, event: ServerEvent): boolean {
    let key: string | null = null;
    if (event.type === 'conversation.item.deleted') key = event.item_id;
    else if (
      event.type === 'conversation.item.added' ||
      event.type === 'conversation.item.created' ||
      event.type === 'conversation.item.done'
    )
      key = event.item.id ?? null;
    else if (event.type === 'error') key = event.error.event_id ?? null;
    if (key === null || !hidden.has(key)) return false;
    if (event.type === 'error')
      this.options.log.warn(
        { sessionId: this.session?.id, code: event.error.code },
        'the upstream refused a truncation the gateway made for a replayed item',
      );
    // `added` comes before `done`: the id stays hidden until its last answer.
    if (event.type !== 'conversation.item.added') hidden.delete(key);
    return true;
  }

  /** What the client was told of responses the lost upstream will never finish. */
  private endResponsesInFlight(): void {
    const ctx = this.context;
    for (const id of this.inFlight ?? []) {
      ctx?.sendClient({
        type: 'response.done',
        event_id: newEventId(),
        response: {
          object: 'realtime.response',
          id,
          status: 'failed',
          status_details: {
            type: 'failed',
            error: { type: 'server_error', code: 'upstream_replaced' },
          },
          output: [],
        },
      });
    }
    this.inFlight = null;
  }
}

/** The client side of a session's continuity: one field, its methods shared by every session. */
class ClientIds implements Middleware {
  readonly name = 'continuity-ids';
  readonly client = CLIENT_ITEM_ID_EVENTS;
  constructor(private readonly continuity: SessionContinuity) {}

  onClient(frame: Frame<ClientEvent>, ctx: MiddlewareContext): Verdict<ClientEvent> {
    return this.continuity.translateClient(frame, ctx);
  }
}
