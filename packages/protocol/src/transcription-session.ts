/**
 * Between the flat settings of `transcription_session.update` / `.updated` and the GA
 * transcription session (`type: 'transcription'`, settings under `audio.input`), for a server
 * that keeps its transcription session in the GA shape and answers both ways of updating it.
 */
import { gaAudioFormatToBeta } from './dialects/beta/formats.js';
import { betaTranscriptionSessionToGa } from './dialects/beta/transcription-translate.js';
import type { Translation } from './dialects/beta/unsupported.js';
import type { TranscriptionSession, TranscriptionSessionConfig } from './model/session.js';
import type {
  TranscriptionSessionUpdateConfig,
  TranscriptionSessionUpdatedSession,
} from './model/transcription-session-update.js';

/**
 * The `session` of a `transcription_session.update` as the GA `session.update` settings that
 * mean the same: `input_audio_*` move under `audio.input`, the format name becomes its object,
 * and turn detection without a `type` is `server_vad`. The flat fields are the beta dialect's,
 * so its translation does the work; `unsupported` names any field a lenient parse kept that
 * neither shape has.
 *
 * @example
 * transcriptionSessionUpdateToConfig({ input_audio_format: 'g711_alaw', turn_detection: null }).value;
 * // { type: 'transcription', audio: { input: { format: { type: 'audio/pcma' }, turn_detection: null } } }
 */
export function transcriptionSessionUpdateToConfig(
  update: TranscriptionSessionUpdateConfig,
): Translation<TranscriptionSessionConfig> {
  return betaTranscriptionSessionToGa(update);
}

/**
 * A GA transcription session as the `session` of `transcription_session.updated`: the format by
 * name, the transcription settings, turn detection (`null` when off) and the one modality a
 * transcription session answers in. The event has no fields for noise reduction or `include`,
 * nor for the session's id and expiry, so those are not shown.
 *
 * @example
 * transcriptionSessionToUpdated(session);
 * // { input_audio_format: 'pcm16', input_audio_transcription: { model: 'gpt-4o-transcribe' }, modalities: ['text'], turn_detection: null }
 */
export function transcriptionSessionToUpdated(
  session: TranscriptionSession,
): TranscriptionSessionUpdatedSession {
  const input = session.audio?.input;
  const shown: TranscriptionSessionUpdatedSession = {};
  if (input?.format != null) shown.input_audio_format = gaAudioFormatToBeta(input.format);
  if (input?.transcription != null) shown.input_audio_transcription = input.transcription;
  shown.modalities = ['text'];
  if (input?.turn_detection !== undefined) shown.turn_detection = input.turn_detection;
  return shown;
}
