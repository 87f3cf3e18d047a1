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
import { type ClientEvent, newEventId, type ServerEvent, type WireError } from '@realtime-gateway/protocol';
import type { Leg } from '../legs/leg.js';
import {
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type Verdict,
} from '../session/middleware.js';
import type { Session, UpstreamLoss, UpstreamLossHandler } from '../session/session.js';
import { describeError, type SessionLog } from '../vocabulary/session.js';
import { ConversationLedger, LEDGER_EVENT_TYPES, type LedgerLimits } from './conversation-ledger.js';
import {
  CLIENT_ITEM_ID_EVENTS,
  ItemIdMap,
  rewriteClientEvent,
  rewriteUpstreamEvent,
  UPSTREAM_EARLIER_ITEM_EVENTS,
} from './item-ids.js';
import { buildReplay } from './replay.js';
import { replayOnto } from './replaying.js';

/** A new upstream connection, or why there is none. */
export type Redialled =
  | { readonly ok: true; readonly leg: Leg; readonly upstream: string }
  | { readonly ok: false; readonly error: WireError };

export interface SessionContinuityOptions {
  /** Replacements a session may have (each a new upstream connection). */
  readonly maxReplacements: number;
  /** How long a replay may take before the replacement fails. */
  readonly replayTimeoutMs: number;
  readonly ledger?: Partial<LedgerLimits>;
  /** Opens a new upstream connection for the session (its slot held until the session ends). */
  readonly dial: () => Promise<Redialled>;
  readonly log: SessionLog;
  /** Told of each replacement, once it settled. */
  readonly replaced?: (outcome: 'replaced' | 'failed', durationMs: number) => void;
  readonly now?: () => number;
}

/** Close codes after which a new upstream is worth asking for: the server went away or failed. */
const REPLACEABLE_CLOSES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014]);

const UPSTREAM_WANTS: ReadonlySet<string> = new Set([...LEDGER_EVENT_TYPES, ...UPSTREAM_EARLIER_ITEM_EVENTS]);

/**
 * @example
 * const continuity = new SessionContinuity({ maxReplacements: 3, replayTimeoutMs: 10_000, dial, log });
 * new Session({ info, limits, middleware: [() => continuity, ...rest], upstreamEnded: continuity.upstreamEnded });
 */
export class SessionContinuity implements Middleware {
  readonly name = 'continuity';
  readonly client = CLIENT_ITEM_ID_EVENTS;
  readonly upstream = UPSTREAM_WANTS;
  private readonly ledger: ConversationLedger;
  private ids = new ItemIdMap();
  /** Responses the client saw start and not end. */
  private readonly inFlight = new Set<string>();
  private replacements = 0;
  private context: MiddlewareContext | null = null;
  private readonly now: () => number;

  constructor(private readonly options: SessionContinuityOptions) {
    this.ledger = new ConversationLedger(options.ledger);
    this.now = options.now ?? Date.now;
  }

  open(ctx: MiddlewareContext): void {
    this.context = ctx;
  }

  onClient(frame: Frame<ClientEvent>): Verdict<ClientEvent> {
    const event = frame.event;
    if (event === null || this.ids.size === 0) return FORWARD;
    const rewritten = rewriteClientEvent(event, this.ids);
    return rewritten === event ? FORWARD : { action: 'replace', event: rewritten };
  }

  onUpstream(frame: Frame<ServerEvent>): Verdict<ServerEvent> {
    const event = frame.event;
    if (event === null) return FORWARD;
    const rewritten = this.ids.size === 0 ? event : rewriteUpstreamEvent(event, this.ids);
    if (rewritten.type === 'response.created' && typeof rewritten.response.id === 'string')
      this.inFlight.add(rewritten.response.id);
    else if (rewritten.type === 'response.done' && typeof rewritten.response.id === 'string')
      this.inFlight.delete(rewritten.response.id);
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
    void this.replace(session, loss);
    return true;
  };

  private async replace(session: Session, loss: UpstreamLoss): Promise<void> {
    const started = this.now();
    const log = this.options.log;
    log.warn(
      { sessionId: session.id, code: loss.code, lost: loss.lost, replacement: this.replacements },
      'the upstream ended; replacing it',
    );
    this.endResponsesInFlight();
    let outcome: 'replaced' | 'failed' = 'failed';
    try {
      const dialled = await this.options.dial();
      if (!dialled.ok) {
        session.failReplacement(dialled.error);
        return;
      }
      const replay = buildReplay(this.ledger.snapshot());
      const result = await replayOnto(dialled.leg, replay, this.options.replayTimeoutMs);
      if (!result.ok) {
        dialled.leg.close(1000, '');
        session.failReplacement(result.error);
        return;
      }
      this.ids = ItemIdMap.from(result.ids);
      if (
        !session.replaceUpstream(dialled.leg, {
          upstream: dialled.upstream,
          upstreamSessionId: result.upstreamSessionId,
        })
      ) {
        dialled.leg.close(1000, '');
        return;
      }
      outcome = 'replaced';
      log.warn(
        {
          sessionId: session.id,
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
      this.options.replaced?.(outcome, this.now() - started);
    }
  }

  /** What the client was told of responses the lost upstream will never finish. */
  private endResponsesInFlight(): void {
    const ctx = this.context;
    for (const id of this.inFlight) {
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
    this.inFlight.clear();
  }
}
