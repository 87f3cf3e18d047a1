/**
 * Translation between the beta realtime session (flat) and the GA realtime session (nested
 * under `audio`). Pure: the inputs are not changed, and nested values that need no change
 * (tools, transcription settings, tracing, prompts) are shared with the input, not copied.
 */
import type { RealtimeSession, RealtimeSessionConfig } from '../../model/session.js';
import type { Tool, ToolChoice } from '../../model/tools.js';
import {
  betaModalitiesToGa,
  type Fields,
  functionToolsOnly,
  gaModalitiesToBeta,
  isFields,
  putBetaAudioInput,
  putGaFormat,
  takeGaAudioInput,
  untranslatedBetaField,
} from './common.js';
import { type BetaAudioFormat, betaAudioFormatToGa } from './formats.js';
import type { BetaSession, BetaSessionConfig } from './session.js';
import { type Translation, type UnsupportedField, unsupportedField } from './unsupported.js';

type GaAudio = NonNullable<RealtimeSessionConfig['audio']>;
type GaAudioInput = NonNullable<GaAudio['input']>;
type GaAudioOutput = NonNullable<GaAudio['output']>;

/** Fields with the same name and meaning in both dialects. */
const SAME_NAME = new Set([
  'model',
  'instructions',
  'tools',
  'tool_choice',
  'tracing',
  'include',
  'prompt',
  'truncation',
]);

/**
 * A beta session configuration as GA: for a beta client's `session.update` sent on to a GA
 * server, and for the session of a GA client secret minted for a beta
 * `POST /v1/realtime/sessions`. The voice, speed and formats move under `audio`, the format
 * names become objects (`pcm16` is `audio/pcm` at 24000), `modalities` becomes
 * `output_modalities` (`["text", "audio"]` is `["audio"]`) and `max_response_output_tokens`
 * becomes `max_output_tokens` (`"inf"` stays `"inf"`). Turn detection without a `type` gets
 * `server_vad`, beta's default.
 *
 * Without a GA equivalent, and so reported in `unsupported`: `temperature`, `client_secret`
 * (a secret's lifetime belongs to the client secret request, see {@link betaSessionRequestToGa}),
 * `id`, `object` and `expires_at` (a beta client echoing its session object), and any field
 * beta did not have.
 *
 * @example
 * const { value, unsupported } = betaSessionToGa({ voice: 'alloy', input_audio_format: 'g711_ulaw', temperature: 0.8 });
 * // value: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } }, output: { voice: 'alloy' } } }
 * // unsupported[0].param: 'temperature'
 * if (unsupported.length > 0) socket.send(JSON.stringify(errorEvent({ code: 'unknown_parameter', message: unsupported[0].message, param: `session.${unsupported[0].param}` })));
 */
export function betaSessionToGa(config: BetaSessionConfig): Translation<RealtimeSessionConfig> {
  const session: RealtimeSessionConfig = { type: 'realtime' };
  const input: GaAudioInput = {};
  const output: GaAudioOutput = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(config as Fields)) {
    if (value === undefined) continue;
    if (SAME_NAME.has(key)) {
      (session as Record<string, unknown>)[key] = value;
      continue;
    }
    if (putBetaAudioInput(input, key, value)) continue;
    switch (key) {
      case 'modalities':
        session.output_modalities = value === null ? null : betaModalitiesToGa(value as never);
        break;
      case 'max_response_output_tokens':
        session.max_output_tokens = value as RealtimeSessionConfig['max_output_tokens'];
        break;
      case 'output_audio_format':
        output.format = value === null ? null : betaAudioFormatToGa(value as BetaAudioFormat);
        break;
      case 'voice':
        output.voice = value as GaAudioOutput['voice'];
        break;
      case 'speed':
        output.speed = value as number | null;
        break;
      case 'temperature':
        unsupported.push(unsupportedField([key], 'GA sessions have no sampling temperature.'));
        break;
      default:
        unsupported.push(untranslatedBetaField(key, 'beta session'));
    }
  }
  const audio: GaAudio = {};
  if (Object.keys(input).length > 0) audio.input = input;
  if (Object.keys(output).length > 0) audio.output = output;
  if (audio.input !== undefined || audio.output !== undefined) session.audio = audio;
  return { value: session, unsupported };
}

/**
 * A GA realtime session as beta: for showing a beta client the session a GA server reports in
 * `session.created` and `session.updated` (a client-side configuration is taken too). The
 * reverse of {@link betaSessionToGa}: `audio.input.*` and `audio.output.*` become the flat beta
 * fields, format objects become names, `output_modalities` `["audio"]` becomes
 * `["text", "audio"]` and `max_output_tokens` becomes `max_response_output_tokens`.
 *
 * Without a beta equivalent, and so reported in `unsupported`: `reasoning`,
 * `parallel_tool_calls`, MCP tools (`tools[i]`, the function tools are kept), an MCP
 * `tool_choice`, and any field beta did not have. `type` says which kind of session it is and
 * is not carried over.
 *
 * @example
 * const { value } = gaSessionToBeta(event.session); // event: SessionCreatedEvent, session.type 'realtime'
 * client.send(JSON.stringify({ type: 'session.created', event_id: event.event_id, session: value }));
 */
export function gaSessionToBeta(session: RealtimeSession | RealtimeSessionConfig): Translation<BetaSession> {
  const beta: Record<string, unknown> = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(session as Fields)) {
    if (value === undefined || key === 'type') continue;
    if (key === 'tools' && Array.isArray(value)) {
      beta.tools = functionToolsOnly(value as Tool[], unsupported);
      continue;
    }
    if (key === 'tool_choice' && isFields(value) && (value as ToolChoice & object).type === 'mcp') {
      unsupported.push(unsupportedField([key], 'A beta session cannot choose an MCP tool.'));
      continue;
    }
    if (SAME_NAME.has(key) || key === 'id' || key === 'object' || key === 'expires_at') {
      beta[key] = value;
      continue;
    }
    switch (key) {
      case 'output_modalities':
        beta.modalities = value === null ? null : gaModalitiesToBeta(value as never);
        break;
      case 'max_output_tokens':
        beta.max_response_output_tokens = value;
        break;
      case 'audio':
        if (isFields(value)) takeGaAudio(value, beta, unsupported);
        break;
      case 'reasoning':
        unsupported.push(unsupportedField([key], 'Beta sessions have no reasoning settings.'));
        break;
      case 'parallel_tool_calls':
        unsupported.push(unsupportedField([key], 'Beta sessions have no setting for parallel tool calls.'));
        break;
      default:
        unsupported.push(unsupportedField([key], 'It has no beta equivalent.'));
    }
  }
  return { value: beta as BetaSession, unsupported };
}

function takeGaAudio(audio: Fields, beta: Record<string, unknown>, unsupported: UnsupportedField[]): void {
  for (const [key, value] of Object.entries(audio)) {
    if (value === undefined || value === null) continue;
    if (key === 'input' && isFields(value)) takeGaAudioInput(value, beta, ['audio', 'input'], unsupported);
    else if (key === 'output' && isFields(value)) takeGaAudioOutput(value, beta, unsupported);
    else unsupported.push(unsupportedField(['audio', key], 'It has no beta equivalent.'));
  }
}

function takeGaAudioOutput(
  output: Fields,
  beta: Record<string, unknown>,
  unsupported: UnsupportedField[],
): void {
  for (const [key, value] of Object.entries(output)) {
    if (value === undefined) continue;
    switch (key) {
      case 'format':
        putGaFormat(beta, 'output_audio_format', value, ['audio', 'output', key], unsupported);
        break;
      case 'voice':
        beta.voice = value;
        break;
      case 'speed':
        beta.speed = value;
        break;
      default:
        unsupported.push(unsupportedField(['audio', 'output', key], 'It has no beta equivalent.'));
    }
  }
}
