/**
 * The two views of turn detection on a session with input guardrails. The upstream is told not
 * to answer a turn by itself (`create_response: false`) and to transcribe every turn, so that
 * the gateway can check the transcript before anything answers it; the client is shown what it
 * asked for: its own `create_response` (or the default) and its own transcription settings
 * (none, if it asked for none). Pure functions over session objects.
 */
import type { AudioTranscriptionState, Session, SessionConfig } from '@realtime-gateway/protocol';

/** What the client asked of turns: what its `session.created` and `session.updated` show. */
export interface ClientTurnView {
  /** Turn detection is on: the upstream commits turns itself. */
  readonly detecting: boolean;
  /** Whether a turn the upstream commits is answered without the client asking. */
  readonly createResponse: boolean;
  /** The client's transcription settings; null when it asked for none. */
  readonly transcription: AudioTranscriptionState | null;
}

// Session objects are read and rebuilt field by field: their audio sections are open objects.
type Json = Record<string, unknown>;

function audioInput(session: Session | SessionConfig): Json | undefined {
  return ((session as Json).audio as Json | undefined)?.input as Json | undefined;
}

/**
 * The client's view at the start: the upstream's defaults, which are what the client gets
 * until it asks for something else.
 *
 * @example
 * viewOf(created.session); // { detecting: true, createResponse: true, transcription: null }
 */
export function viewOf(session: Session): ClientTurnView {
  const input = audioInput(session);
  const detection = input?.turn_detection as Json | null | undefined;
  return {
    detecting: detection != null,
    createResponse: detection?.create_response !== false,
    transcription: (input?.transcription as AudioTranscriptionState | null | undefined) ?? null,
  };
}

/**
 * The client's view after its `session.update`: a `turn_detection` given replaces the old one
 * whole (an absent `create_response` is the default, true); a `transcription` given replaces it.
 *
 * @example
 * viewAfter(view, { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } });
 * // { detecting: true, createResponse: false, transcription: view.transcription }
 */
export function viewAfter(view: ClientTurnView, update: SessionConfig): ClientTurnView {
  const input = audioInput(update);
  if (input === undefined) return view;
  let next = view;
  if ('turn_detection' in input) {
    const detection = input.turn_detection as Json | null;
    next = { ...next, detecting: detection != null, createResponse: detection?.create_response !== false };
  }
  if ('transcription' in input)
    next = { ...next, transcription: (input.transcription as AudioTranscriptionState | null) ?? null };
  return next;
}

/**
 * The `session.update` the upstream gets for the client's: turn detection without automatic
 * responses, and transcription on (the client's settings, or `transcription` when it has none).
 * An update that touches neither goes as it came (null).
 *
 * @example
 * forUpstream(update, viewAfter(view, update), { model: 'gpt-4o-transcribe' });
 * // audio.input.turn_detection.create_response is false, audio.input.transcription is set
 */
export function forUpstream(
  update: SessionConfig,
  view: ClientTurnView,
  transcription: AudioTranscriptionState,
): SessionConfig | null {
  const input = audioInput(update);
  if (input === undefined || !('turn_detection' in input || 'transcription' in input)) return null;
  return withInput(update, upstreamInput(input, view, transcription));
}

/**
 * The `session.update` the gateway sends at open when the upstream's defaults would answer
 * turns by themselves or not transcribe them; null when they already suit.
 *
 * @example
 * openingUpdate(created.session, { model: 'gpt-4o-transcribe' });
 * // { type: 'realtime', audio: { input: { turn_detection: { …, create_response: false }, transcription: { … } } } }
 */
export function openingUpdate(
  session: Session,
  transcription: AudioTranscriptionState,
): SessionConfig | null {
  const input = audioInput(session);
  const detection = input?.turn_detection as Json | null | undefined;
  if (detection == null) return null;
  if (detection.create_response === false && input?.transcription != null) return null;
  const view = viewOf(session);
  return {
    type: 'realtime',
    audio: { input: upstreamInput({ turn_detection: detection }, view, transcription) },
  } as SessionConfig;
}

function upstreamInput(input: Json, view: ClientTurnView, transcription: AudioTranscriptionState): Json {
  const detection = input.turn_detection as Json | null | undefined;
  return {
    ...input,
    ...(detection == null ? {} : { turn_detection: { ...detection, create_response: false } }),
    transcription: view.transcription ?? transcription,
  };
}

/**
 * The session as the client sees it: its own `create_response` and transcription settings.
 *
 * @example
 * forClient(updated.session, view); // turn_detection.create_response as the client set it, no transcription it did not ask for
 */
export function forClient(session: Session, view: ClientTurnView): Session {
  const input = audioInput(session);
  if (input === undefined) return session;
  const detection = input.turn_detection as Json | null | undefined;
  const { transcription: _upstreams, ...rest } = input;
  const shown: Json = {
    ...rest,
    ...(detection == null ? {} : { turn_detection: { ...detection, create_response: view.createResponse } }),
    // The session object has no null transcription: none is shown as the field left out.
    ...(view.transcription === null ? {} : { transcription: view.transcription }),
  };
  return withInput(session, shown);
}

function withInput<S extends Session | SessionConfig>(session: S, input: Json): S {
  const audio = (session as Json).audio as Json;
  return { ...session, audio: { ...audio, input } };
}
