/**
 * Applying a `session.update` to the session: a pure merge with OpenAI's rules. Top-level
 * fields replace; `audio.input` and `audio.output` merge field by field; an invalid update
 * changes nothing and is answered with an error.
 */
import type { Session, SessionConfig } from '@realtime-gateway/protocol';

/** Why an update was refused, in the fields of an `error` event. */
export interface UpdateRefusal {
  readonly code: string;
  readonly message: string;
  readonly param: string;
}

export type MergeResult =
  | { readonly ok: true; readonly session: Session }
  | { readonly ok: false; readonly error: UpdateRefusal };

/** What the rest of the session knows that an update may not contradict. */
export interface MergeContext {
  /** The assistant has produced audio in this session: the voice is fixed. */
  readonly audioProduced: boolean;
}

type Json = Record<string, unknown>;

function mergeAudio(current: Json | undefined, update: Json | undefined): Json | undefined {
  if (update === undefined) return current;
  const out: Json = { ...(current ?? {}) };
  for (const side of ['input', 'output'] as const) {
    const next = update[side] as Json | undefined;
    if (next === undefined) continue;
    const merged: Json = { ...((current?.[side] as Json | undefined) ?? {}), ...next };
    // `null` turns noise reduction or transcription off; the session then leaves the field
    // out, as the spec has no null for it.
    for (const key of ['noise_reduction', 'transcription']) if (merged[key] === null) delete merged[key];
    out[side] = merged;
  }
  return out;
}

/**
 * Merges an update into the session.
 *
 * @example
 * const result = mergeSession(session, { type: 'realtime', instructions: 'Be brief.' }, { audioProduced: false });
 * if (result.ok) session = result.session;
 */
export function mergeSession(current: Session, update: SessionConfig, context: MergeContext): MergeResult {
  if (update.type !== current.type) {
    return {
      ok: false,
      error: {
        code: 'invalid_value',
        message: `Cannot change the session type from '${current.type}' to '${update.type}'.`,
        param: 'session.type',
      },
    };
  }
  const next = { ...(current as Json), ...(update as Json) } as Json;
  next.audio = mergeAudio(
    (current as Json).audio as Json | undefined,
    (update as Json).audio as Json | undefined,
  );
  // Identity fields are the server's.
  next.id = current.id;
  next.object = current.object;
  if (current.type === 'realtime') {
    const before = (current as Json).audio as { output?: { voice?: unknown } } | undefined;
    const after = next.audio as { output?: { voice?: unknown } } | undefined;
    const voiceBefore = JSON.stringify(before?.output?.voice);
    const voiceAfter = JSON.stringify(after?.output?.voice);
    if (context.audioProduced && voiceBefore !== voiceAfter) {
      return {
        ok: false,
        error: {
          code: 'cannot_update_voice',
          message: "Cannot update a conversation's voice if assistant audio is present.",
          param: 'session.audio.output.voice',
        },
      };
    }
    if ('model' in (update as Json) && (update as Json).model !== (current as Json).model) {
      return {
        ok: false,
        error: {
          code: 'invalid_value',
          message: 'The model of a session cannot be changed.',
          param: 'session.model',
        },
      };
    }
  }
  return { ok: true, session: next as Session };
}
