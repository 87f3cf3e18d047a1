/**
 * Applying a `transcription_session.update`: the flat settings become the GA `session.update`
 * they mean and are merged by the same rules, and the answer shows the effective settings in the
 * shape of `transcription_session.updated`. Only a transcription session takes it; a realtime
 * one is refused, as it has `session.update` and no flat form.
 */
import {
  type Session,
  type TranscriptionSession,
  type TranscriptionSessionUpdateConfig,
  type TranscriptionSessionUpdatedSession,
  transcriptionSessionToUpdated,
  transcriptionSessionUpdateToConfig,
} from '@realtime-gateway/protocol';
import { mergeSession, type UpdateRefusal } from './config.js';

export type TranscriptionUpdateResult =
  | { readonly ok: true; readonly session: Session; readonly shown: TranscriptionSessionUpdatedSession }
  | { readonly ok: false; readonly error: UpdateRefusal };

/**
 * The session after `update`, and what `transcription_session.updated` shows of it.
 *
 * @example
 * const result = applyTranscriptionSessionUpdate(session, { turn_detection: null });
 * if (result.ok) send({ type: 'transcription_session.updated', session: result.shown });
 */
export function applyTranscriptionSessionUpdate(
  current: Session,
  update: TranscriptionSessionUpdateConfig,
): TranscriptionUpdateResult {
  if (current.type !== 'transcription') {
    return {
      ok: false,
      error: {
        code: 'invalid_value',
        message:
          "transcription_session.update applies to transcription sessions only; this is a realtime session, updated with 'session.update'.",
        param: 'type',
      },
    };
  }
  // Fields neither shape has were kept by the lenient parse; like session.update, they are ignored.
  const config = transcriptionSessionUpdateToConfig(update).value;
  // No assistant audio in a transcription session: nothing fixes the settings.
  const merged = mergeSession(current, config, { audioProduced: false });
  if (!merged.ok) return merged;
  return {
    ok: true,
    session: merged.session,
    shown: transcriptionSessionToUpdated(merged.session as TranscriptionSession),
  };
}
