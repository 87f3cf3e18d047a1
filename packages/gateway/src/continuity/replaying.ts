/**
 * Bringing a fresh upstream leg up to date before the session takes it: the replay plan's
 * events are sent at once (the upstream handles them in order), and the leg's answers are
 * read here, never relayed, until the configuration and every item are confirmed. The client
 * sees none of it.
 */
import type { WireError } from '@realtime-gateway/protocol';
import type { Leg } from '../legs/leg.js';
import type { ReplayPlan } from './replay.js';

/** How a replay ended. */
export type ReplayOutcome =
  | {
      readonly ok: true;
      /** `[clientId, upstreamId]` as the upstream confirmed them. */
      readonly ids: readonly (readonly [string, string])[];
      /** The new upstream's own id for the session, from its `session.created`. */
      readonly upstreamSessionId: string | null;
      /**
       * Upstream ids of replayed items whose `conversation.item.done` had not come when the
       * replay was confirmed: it is the replay's too, and must not reach the client.
       */
      readonly pendingDone: ReadonlySet<string>;
    }
  | { readonly ok: false; readonly error: WireError };

/** The answers that confirm a replayed item (GA `added`; `created` from older servers). */
const ITEM_CONFIRMED = new Set(['conversation.item.added', 'conversation.item.created']);

/**
 * Sends `plan` on `leg` and resolves once the upstream confirmed all of it, or refused any of
 * it, or went away, or `timeoutMs` passed. The leg is left detached either way: the caller
 * attaches the session (on success) or closes it.
 *
 * @example
 * const outcome = await replayOnto(dialled.leg, buildReplay(ledger.snapshot()), 10_000);
 * if (outcome.ok) session.replaceUpstream(dialled.leg, { upstreamSessionId: outcome.upstreamSessionId });
 */
export function replayOnto(leg: Leg, plan: ReplayPlan, timeoutMs: number): Promise<ReplayOutcome> {
  const eventIds = new Set(plan.events.map((event) => event.event_id).filter((id) => id !== undefined));
  const confirmed: (readonly [string, string])[] = [];
  let configured = plan.sessionUpdate === null;
  let upstreamSessionId: string | null = null;
  const done = new Set<string>();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ReplayOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      leg.detach();
      resolve(outcome);
    };
    const refused = (message: string): ReplayOutcome => ({
      ok: false,
      error: { type: 'server_error', code: 'upstream_replay_failed', message },
    });
    const timer = setTimeout(
      () => settle(refused(`The new upstream did not confirm the conversation within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    const check = () => {
      if (configured && confirmed.length === plan.ids.length)
        settle({
          ok: true,
          ids: confirmed,
          upstreamSessionId,
          pendingDone: new Set(confirmed.map(([, upstreamId]) => upstreamId).filter((id) => !done.has(id))),
        });
    };
    leg.attach({
      frame(data) {
        let event: {
          type?: unknown;
          event_id?: unknown;
          session?: { id?: unknown };
          item?: { id?: unknown };
          error?: { message?: unknown; event_id?: unknown };
        };
        // Read leniently, not through the schema: an answer slightly off the spec (a self-hosted
        // server's) still confirms what it names, where a strict parse would stall the replay.
        try {
          event = JSON.parse(data.toString('utf8'));
        } catch {
          return;
        }
        if (event.type === 'session.created' && typeof event.session?.id === 'string')
          upstreamSessionId = event.session.id;
        else if (event.type === 'session.updated') configured = true;
        else if (event.type === 'conversation.item.done' && typeof event.item?.id === 'string')
          done.add(event.item.id);
        else if (ITEM_CONFIRMED.has(String(event.type)) && confirmed.length < plan.ids.length) {
          const [clientId, plannedId] = plan.ids[confirmed.length]!;
          confirmed.push([clientId, typeof event.item?.id === 'string' ? event.item.id : plannedId]);
        } else if (event.type === 'error') {
          const refusedId = event.error?.event_id;
          if (typeof refusedId === 'string' && eventIds.has(refusedId)) {
            const message = typeof event.error?.message === 'string' ? event.error.message : 'no message';
            settle(refused(`The new upstream refused the replayed conversation: ${message}`));
          }
        }
        check();
      },
      closed(code) {
        settle(refused(`The new upstream closed (${code}) while the conversation was replayed.`));
      },
      error() {},
      alive() {},
    });
    for (const event of plan.events) leg.send(JSON.stringify(event), false);
    check();
  });
}
