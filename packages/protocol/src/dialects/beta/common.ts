/**
 * The parts of translation both session kinds share: output modalities, turn detection and the
 * input audio settings, which GA nests under `audio.input` and beta keeps flat.
 */
import type { AudioFormat, TurnDetection } from '../../model/audio.js';
import type { Modality, RealtimeSession, RealtimeSessionConfig } from '../../model/session.js';
import type { Tool } from '../../model/tools.js';
import { type BetaAudioFormat, betaAudioFormatToGa, gaAudioFormatToBeta } from './formats.js';
import type { BetaTurnDetection } from './shared.js';
import { type UnsupportedField, unsupportedField } from './unsupported.js';

/** A JSON object seen field by field. */
export type Fields = Readonly<Record<string, unknown>>;

/** The reason given for `id`, `object` and `expires_at` sent to a server. */
const READ_ONLY = 'The server sets it; a session configuration cannot.';

/** The reason given for a beta `client_secret` inside a session configuration. */
const CLIENT_SECRET_IN_SESSION =
  "A GA session has no client secret settings; a secret's lifetime is the `expires_after` of the client secret request.";

/**
 * The report for a beta field that no translation to GA carries: the secret's settings, what
 * the server sets, or a field the beta `kind` (`beta session`) never had.
 */
export function untranslatedBetaField(key: string, kind: string): UnsupportedField {
  if (key === 'client_secret') return unsupportedField([key], CLIENT_SECRET_IN_SESSION);
  if (key === 'id' || key === 'object' || key === 'expires_at') return unsupportedField([key], READ_ONLY);
  return unsupportedField([key], `It is not a field of a ${kind}.`);
}

/**
 * GA allows one output modality: `audio` (always with a transcript) or `text`. Beta listed
 * `["text", "audio"]` for the former, so any list with `audio` becomes `["audio"]`.
 */
export function betaModalitiesToGa(modalities: readonly Modality[]): Modality[] {
  if (modalities.includes('audio')) return ['audio'];
  return modalities.includes('text') ? ['text'] : [];
}

/** GA `["audio"]` is beta's `["text", "audio"]`: audio output always has its transcript. */
export function gaModalitiesToBeta(modalities: readonly Modality[]): Modality[] {
  if (modalities.includes('audio')) return ['text', 'audio'];
  return modalities.includes('text') ? ['text'] : [];
}

/** Beta turn detection without a `type` meant server VAD; GA needs it said. */
export function betaTurnDetectionToGa(turnDetection: BetaTurnDetection): TurnDetection {
  if (turnDetection === null) return null;
  if (turnDetection.type === undefined || turnDetection.type === null) {
    const { type: _, ...settings } = turnDetection;
    return { type: 'server_vad', ...settings };
  }
  return turnDetection as TurnDetection;
}

type GaAudioInput = NonNullable<NonNullable<RealtimeSessionConfig['audio']>['input']>;
type GaAudioInputState = NonNullable<NonNullable<RealtimeSession['audio']>['input']>;

/** The beta input audio fields (flat) that GA keeps under `audio.input`. */
export interface BetaAudioInputFields {
  input_audio_format?: BetaAudioFormat | null;
  input_audio_transcription?: unknown;
  turn_detection?: unknown;
  input_audio_noise_reduction?: unknown;
}

/**
 * Moves one beta input-audio field into GA's `audio.input`; false when `key` is not one.
 * `null` stays `null` wherever it appears: both dialects read it as unset, or as off.
 */
export function putBetaAudioInput(input: GaAudioInput, key: string, value: unknown): boolean {
  switch (key) {
    case 'input_audio_format':
      input.format = value === null ? null : betaAudioFormatToGa(value as BetaAudioFormat);
      return true;
    case 'input_audio_transcription':
      input.transcription = value as GaAudioInput['transcription'];
      return true;
    case 'turn_detection':
      input.turn_detection = betaTurnDetectionToGa(value as BetaTurnDetection);
      return true;
    case 'input_audio_noise_reduction':
      input.noise_reduction = value as GaAudioInput['noise_reduction'];
      return true;
    default:
      return false;
  }
}

/** Spreads GA's `audio.input` into the flat beta fields, reporting what has no beta name. */
export function takeGaAudioInput(
  input: Fields,
  into: Record<string, unknown>,
  path: readonly (string | number)[],
  unsupported: UnsupportedField[],
): void {
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (key) {
      case 'format':
        putGaFormat(into, 'input_audio_format', value, [...path, key], unsupported);
        break;
      case 'transcription':
        into.input_audio_transcription = value;
        break;
      case 'noise_reduction':
        into.input_audio_noise_reduction = value;
        break;
      case 'turn_detection': {
        const type = (value as GaAudioInputState['turn_detection'] | Fields | null)?.type;
        if (type === undefined || type === null || type === 'server_vad' || type === 'semantic_vad') {
          into.turn_detection = value;
        } else {
          unsupported.push(
            unsupportedField(
              [...path, key],
              `Beta turn detection is 'server_vad' or 'semantic_vad', not '${String(type)}'.`,
            ),
          );
        }
        break;
      }
      default:
        unsupported.push(unsupportedField([...path, key], 'It has no beta equivalent.'));
    }
  }
}

/**
 * Sets `into[key]` to the beta name of a GA format (or `null`); a format beta has no name for
 * (a newer GA one, from a lenient parse) is reported instead.
 */
export function putGaFormat(
  into: Record<string, unknown>,
  key: string,
  value: unknown,
  path: readonly (string | number)[],
  unsupported: UnsupportedField[],
): void {
  if (value === null) {
    into[key] = null;
    return;
  }
  const name = isFields(value) ? gaAudioFormatToBeta(value as AudioFormat) : undefined;
  if (name !== undefined) into[key] = name;
  else unsupported.push(unsupportedField(path, 'Beta audio formats are pcm16, g711_ulaw and g711_alaw.'));
}

/** True for a plain JSON object (a nested block to walk), false for null and anything else. */
export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The function tools of a GA tool list; each MCP server is reported. */
export function functionToolsOnly(tools: readonly Tool[], unsupported: UnsupportedField[]): Tool[] {
  const kept: Tool[] = [];
  tools.forEach((tool, index) => {
    if (tool.type === 'mcp') {
      unsupported.push(
        unsupportedField(['tools', index], 'Beta sessions have function tools only, not MCP servers.'),
      );
    } else kept.push(tool);
  });
  return kept;
}
