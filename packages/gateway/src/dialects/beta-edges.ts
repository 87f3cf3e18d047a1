/**
 * The beta dialect's edges of a session (`OpenAI-Beta: realtime=v1`): a beta client's events
 * become GA on their way in and the upstream's become beta on their way out; for an upstream
 * configured `dialect: beta`, the other way round. The translations are the protocol package's;
 * this file only places them.
 */
import {
  BETA_CLIENT_EVENT_TYPES,
  BETA_SERVER_EVENT_TYPES,
  betaClientEventToGa,
  betaServerEventToGa,
  CLIENT_EVENT_TYPES,
  type DialectDirection,
  type EventSide,
  type EventTranslation,
  eventRoute,
  gaClientEventToBeta,
  gaServerEventToBeta,
  type ItemLifecycle,
  newItemLifecycle,
  type ParseResult,
  parseBetaClientEvent,
  parseBetaServerEvent,
  SERVER_EVENT_TYPES,
} from '@realtime-gateway/protocol';
import type { Frame, MiddlewareFactory } from '../session/middleware.js';
import type { Dialect } from './dialect.js';
import { edgeTranslator } from './edge-translator.js';
import { transcriptionUpdateForm } from './transcription-update-form.js';

/**
 * Items announced and not yet finished that a session's translation remembers; past this the
 * oldest are forgotten (a forgotten item's `done` then announces it again, as a beta peer would
 * see a late item).
 */
const MAX_OPEN_ITEMS = 4096;

/** The types of `types` whose crossing is more than a relay. */
function crossing(types: readonly string[], side: EventSide, route: DialectDirection): ReadonlySet<string> {
  return new Set(types.filter((type) => eventRoute(side, route, type).kind !== 'relay'));
}

const BETA_CLIENT_IN = crossing(BETA_CLIENT_EVENT_TYPES, 'client', 'beta-to-ga');
const GA_SERVER_OUT = crossing(SERVER_EVENT_TYPES, 'server', 'ga-to-beta');
const GA_CLIENT_OUT = crossing(CLIENT_EVENT_TYPES, 'client', 'ga-to-beta');
const BETA_SERVER_IN = crossing(BETA_SERVER_EVENT_TYPES, 'server', 'beta-to-ga');

type AnyFrame = Frame<{ readonly type: string }>;

/** A GA frame as the pipeline parsed it; one that is not a valid GA event goes on untouched. */
function readGa<E>(frame: AnyFrame): ParseResult<E> | null {
  const event = frame.event as E | null;
  return event === null ? null : { ok: true, known: true, event };
}

/** The translation with its item state kept within {@link MAX_OPEN_ITEMS}. */
function bounded<E, T>(
  translate: (event: E, state: ItemLifecycle) => EventTranslation<T>,
): (event: E) => EventTranslation<T> {
  const state = newItemLifecycle();
  return (event) => {
    const translated = translate(event, state);
    if (state.open.size > MAX_OPEN_ITEMS) {
      for (const id of state.open) {
        state.open.delete(id);
        if (state.open.size <= MAX_OPEN_ITEMS) break;
      }
    }
    return translated;
  };
}

/** A beta client's events into GA, first in the client direction. */
const betaClientIn: MiddlewareFactory = () =>
  edgeTranslator({
    name: 'beta-client-in',
    on: 'client',
    route: 'beta-to-ga',
    wants: BETA_CLIENT_IN,
    read: (frame) => (frame.data === null ? null : parseBetaClientEvent(frame.data)),
    translate: betaClientEventToGa,
    emit: 'events',
  });

/** GA server events out to a beta client, last in the upstream direction. */
const betaClientOut: MiddlewareFactory = () =>
  edgeTranslator({
    name: 'beta-client-out',
    on: 'upstream',
    route: 'ga-to-beta',
    wants: GA_SERVER_OUT,
    read: readGa,
    translate: bounded(gaServerEventToBeta),
    emit: 'bytes',
  });

/** A beta upstream's events into GA, first in the upstream direction. */
const betaUpstreamIn: MiddlewareFactory = () =>
  edgeTranslator({
    name: 'beta-upstream-in',
    on: 'upstream',
    route: 'beta-to-ga',
    wants: BETA_SERVER_IN,
    read: (frame) => (frame.data === null ? null : parseBetaServerEvent(frame.data)),
    translate: bounded(betaServerEventToGa),
    emit: 'events',
  });

/** GA client events out to a beta upstream, last in the client direction. */
const betaUpstreamOut: MiddlewareFactory = () =>
  edgeTranslator({
    name: 'beta-upstream-out',
    on: 'client',
    route: 'ga-to-beta',
    wants: GA_CLIENT_OUT,
    read: readGa,
    translate: gaClientEventToBeta,
    emit: 'bytes',
  });

/**
 * The session's middleware with the edges its dialects need around it: nothing when both
 * sides speak GA.
 *
 * @example
 * const middleware = withDialects(list, clientDialect(req.headers), upstream.dialect);
 */
export function withDialects(
  middleware: readonly MiddlewareFactory[],
  client: Dialect,
  upstream: Dialect,
): readonly MiddlewareFactory[] {
  if (client === 'ga' && upstream === 'ga') return middleware;
  const first: MiddlewareFactory[] = [];
  const last: MiddlewareFactory[] = [];
  if (client === 'beta') {
    first.push(betaClientIn);
    last.push(betaClientOut);
  }
  if (upstream === 'beta') {
    first.push(betaUpstreamIn);
    if (client === 'ga') first.push(transcriptionUpdateForm);
    last.push(betaUpstreamOut);
  }
  return [...first, ...middleware, ...last];
}
