/**
 * Which events cross between the dialects untouched, which only change their `type`, and
 * which need parsing and translating. The event translations follow these tables, and the
 * frame-level rename ({@link retypeFrame}) answers from them, so the fast path and the full
 * translation cannot disagree about an event.
 */

/** The way a translation goes: from a beta peer to a GA one, or from GA to beta. */
export type DialectDirection = 'beta-to-ga' | 'ga-to-beta';

/** Whose events: a client's or a server's. */
export type EventSide = 'client' | 'server';

/** Streamed output a beta server names differently from GA, with the same fields. */
export const BETA_TO_GA_SERVER_RENAMES: Readonly<Record<string, string>> = {
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
};

/** The same renames from GA to beta. */
export const GA_TO_BETA_SERVER_RENAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BETA_TO_GA_SERVER_RENAMES).map(([beta, ga]) => [ga, beta]),
);

/** Client events with the same name and fields in both dialects. */
export const SAME_CLIENT_EVENTS: ReadonlySet<string> = new Set([
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'output_audio_buffer.clear',
  'conversation.item.retrieve',
  'conversation.item.truncate',
  'conversation.item.delete',
  'response.cancel',
]);

/**
 * Server events with the same name and fields in both dialects. A beta transcript's
 * `completed` may lack GA's `usage`; it is relayed as it is, since there is nothing to fill
 * it with.
 */
export const SAME_SERVER_EVENTS: ReadonlySet<string> = new Set([
  'error',
  'conversation.created',
  'conversation.item.truncated',
  'conversation.item.deleted',
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.failed',
  'input_audio_buffer.committed',
  'input_audio_buffer.cleared',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'output_audio_buffer.started',
  'output_audio_buffer.stopped',
  'output_audio_buffer.cleared',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'rate_limits.updated',
]);

/**
 * What crossing to the other dialect takes for an event of one type: nothing (`relay`), a new
 * `type` and nothing else (`rename`), or a parse and a translation (`translate`), which is
 * also the answer for a type neither table knows.
 */
export type EventRoute =
  | { readonly kind: 'relay' }
  | { readonly kind: 'rename'; readonly type: string }
  | { readonly kind: 'translate' };

const RELAY: EventRoute = { kind: 'relay' };
const TRANSLATE: EventRoute = { kind: 'translate' };

/** Rename routes, made once so that routing a frame allocates nothing. */
function renameRoutes(renames: Readonly<Record<string, string>>): ReadonlyMap<string, EventRoute> {
  return new Map(Object.entries(renames).map(([from, to]) => [from, { kind: 'rename', type: to }]));
}

const SERVER_RENAME_ROUTES: Readonly<Record<DialectDirection, ReadonlyMap<string, EventRoute>>> = {
  'beta-to-ga': renameRoutes(BETA_TO_GA_SERVER_RENAMES),
  'ga-to-beta': renameRoutes(GA_TO_BETA_SERVER_RENAMES),
};

/**
 * How an event of `type` crosses to the other dialect.
 *
 * @example
 * eventRoute('server', 'beta-to-ga', 'response.audio.delta'); // { kind: 'rename', type: 'response.output_audio.delta' }
 * eventRoute('client', 'beta-to-ga', 'input_audio_buffer.append'); // { kind: 'relay' }
 * eventRoute('server', 'ga-to-beta', 'response.done'); // { kind: 'translate' }
 */
export function eventRoute(side: EventSide, direction: DialectDirection, type: string): EventRoute {
  if (side === 'client') return SAME_CLIENT_EVENTS.has(type) ? RELAY : TRANSLATE;
  if (SAME_SERVER_EVENTS.has(type)) return RELAY;
  return SERVER_RENAME_ROUTES[direction].get(type) ?? TRANSLATE;
}
