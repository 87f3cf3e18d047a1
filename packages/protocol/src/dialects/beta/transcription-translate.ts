/**
 * Translation between the beta transcription session (flat `input_audio_*` fields) and the GA
 * session of `type: 'transcription'` (the same settings under `audio.input`). Pure, like the
 * realtime translation: inputs are not changed and unchanged nested values are shared.
 */
import type { TranscriptionSession, TranscriptionSessionConfig } from '../../model/session.js';
import {
  type Fields,
  isFields,
  putBetaAudioInput,
  takeGaAudioInput,
  untranslatedBetaField,
} from './common.js';
import type { BetaTranscriptionSession, BetaTranscriptionSessionConfig } from './transcription-session.js';
import { type Translation, type UnsupportedField, unsupportedField } from './unsupported.js';

type GaAudioInput = NonNullable<NonNullable<TranscriptionSessionConfig['audio']>['input']>;

/**
 * A beta transcription session configuration as a GA `type: 'transcription'` session: for a
 * beta `transcription_session.update` sent on to a GA server (as `session.update`), and for a
 * GA client secret minted for a beta `POST /v1/realtime/transcription_sessions`. The input
 * audio settings move under `audio.input`, the format name becomes an object, and turn
 * detection without a `type` gets `server_vad`.
 *
 * Without a GA equivalent, and so reported in `unsupported`: `modalities` (a GA transcription
 * session produces transcripts only and has no output modalities), `client_secret`, `id`,
 * `object`, `expires_at`, and any field beta did not have.
 *
 * @example
 * const { value } = betaTranscriptionSessionToGa({
 *   input_audio_format: 'pcm16',
 *   input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'en' },
 * });
 * upstream.send(JSON.stringify({ type: 'session.update', session: value }));
 */
export function betaTranscriptionSessionToGa(
  config: BetaTranscriptionSessionConfig,
): Translation<TranscriptionSessionConfig> {
  const session: TranscriptionSessionConfig = { type: 'transcription' };
  const input: GaAudioInput = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(config as Fields)) {
    if (value === undefined) continue;
    if (putBetaAudioInput(input, key, value)) continue;
    switch (key) {
      case 'include':
        session.include = value as TranscriptionSessionConfig['include'];
        break;
      case 'modalities':
        unsupported.push(
          unsupportedField(
            [key],
            'A GA transcription session produces transcripts only; it has no output modalities.',
          ),
        );
        break;
      default:
        unsupported.push(untranslatedBetaField(key, 'beta transcription session'));
    }
  }
  if (Object.keys(input).length > 0) session.audio = { input };
  return { value: session, unsupported };
}

/**
 * A GA transcription session as beta: for showing a beta client the session a GA server
 * reports (as `transcription_session.updated`); a client-side configuration is taken too. The
 * reverse of {@link betaTranscriptionSessionToGa}: `audio.input.*` become the flat beta fields
 * and the format object becomes its name. `id`, `object` and `expires_at` are kept; `type` is
 * not carried over.
 *
 * Without a beta equivalent, and so reported in `unsupported`: turn detection of a type other
 * than `server_vad` or `semantic_vad`, and any field beta did not have.
 *
 * @example
 * const { value } = gaTranscriptionSessionToBeta(event.session); // session.type 'transcription'
 * client.send(JSON.stringify({ type: 'transcription_session.updated', event_id: event.event_id, session: value }));
 */
export function gaTranscriptionSessionToBeta(
  session: TranscriptionSession | TranscriptionSessionConfig,
): Translation<BetaTranscriptionSession> {
  const beta: Record<string, unknown> = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(session as Fields)) {
    if (value === undefined || key === 'type') continue;
    switch (key) {
      case 'id':
      case 'object':
      case 'expires_at':
      case 'include':
        beta[key] = value;
        break;
      case 'audio':
        if (isFields(value)) {
          for (const [part, inner] of Object.entries(value)) {
            if (inner === undefined || inner === null) continue;
            if (part === 'input' && isFields(inner))
              takeGaAudioInput(inner, beta, ['audio', 'input'], unsupported);
            else unsupported.push(unsupportedField(['audio', part], 'It has no beta equivalent.'));
          }
        }
        break;
      default:
        unsupported.push(unsupportedField([key], 'It has no beta equivalent.'));
    }
  }
  return { value: beta as BetaTranscriptionSession, unsupported };
}
