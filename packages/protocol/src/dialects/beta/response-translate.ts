/**
 * Translation of responses between the dialects: the resource `response.created` and
 * `response.done` carry, and the settings of `response.create`. Beta keeps the voice, the
 * output format and the modalities flat; GA nests the first two under `audio.output` and
 * names the last `output_modalities`. Each field is looked at: one without an equivalent, or
 * unknown to the dialect it comes from, is reported by path, not carried over.
 */
import type { ConversationItem, ResponseInputItem } from '../../model/items.js';
import type { Response, ResponseCreateParams } from '../../model/response.js';
import type { ToolChoice } from '../../model/tools.js';
import {
  betaModalitiesToGa,
  type Fields,
  functionToolsOnly,
  gaModalitiesToBeta,
  isFields,
  putGaFormat,
} from './common.js';
import { type BetaAudioFormat, betaAudioFormatToGa } from './formats.js';
import type { BetaConversationItem, BetaResponseInputItem } from './items.js';
import { betaInputItemToGa, betaItemToGa, gaInputItemToBeta, gaItemToBeta } from './items-translate.js';
import type { BetaResponse, BetaResponseCreateParams } from './response.js';
import { type Translation, type UnsupportedField, underPath, unsupportedField } from './unsupported.js';

/** Fields of a response with the same name and meaning in both dialects. */
const SAME_RESPONSE_FIELDS = new Set([
  'id',
  'object',
  'status',
  'status_details',
  'metadata',
  'usage',
  'conversation_id',
  'max_output_tokens',
]);

/** Fields of `response.create`'s settings with the same name and meaning in both dialects. */
const SAME_PARAMS_FIELDS = new Set(['conversation', 'instructions', 'metadata']);

const NO_TEMPERATURE = 'GA responses have no sampling temperature.';

/** Translates each entry of a list, leaving out (and reporting under `key[i]`) what has no equivalent. */
function mapList<A, B>(
  list: readonly A[],
  key: string,
  translate: (entry: A) => Translation<B | undefined>,
  unsupported: UnsupportedField[],
): B[] {
  const out: B[] = [];
  list.forEach((entry, index) => {
    const translated = translate(entry);
    unsupported.push(...underPath([key, index], translated.unsupported));
    if (translated.value !== undefined) out.push(translated.value);
  });
  return out;
}

type GaAudioOutput = Record<string, unknown>;

/** Beta's flat voice and format, put into GA's `audio.output`; false when `key` is neither. */
function putBetaAudioOutput(output: GaAudioOutput, key: string, value: unknown): boolean {
  if (key === 'voice') output.voice = value;
  else if (key === 'output_audio_format')
    output.format = value === null ? null : betaAudioFormatToGa(value as BetaAudioFormat);
  else return false;
  return true;
}

/** GA's `audio` of a response or its settings, spread into beta's flat fields. */
function takeGaAudio(audio: Fields, beta: Record<string, unknown>, unsupported: UnsupportedField[]): void {
  for (const [key, value] of Object.entries(audio)) {
    if (value === undefined || value === null) continue;
    if (key !== 'output' || !isFields(value)) {
      unsupported.push(unsupportedField(['audio', key], 'It has no beta equivalent.'));
      continue;
    }
    for (const [field, inner] of Object.entries(value)) {
      if (inner === undefined) continue;
      if (field === 'voice') beta.voice = inner;
      else if (field === 'format')
        putGaFormat(beta, 'output_audio_format', inner, ['audio', 'output', field], unsupported);
      else unsupported.push(unsupportedField(['audio', 'output', field], 'It has no beta equivalent.'));
    }
  }
}

function withAudioOutput<T extends object>(value: T, output: GaAudioOutput): T {
  return Object.keys(output).length > 0 ? { ...value, audio: { output } } : value;
}

/**
 * A beta response as GA: `voice` and `output_audio_format` move to `audio.output` (the format
 * as an object), `modalities` becomes `output_modalities` (`["text", "audio"]` is
 * `["audio"]`) and each output item is translated. Reported: `temperature`, and any field a
 * beta response does not have.
 *
 * @example
 * const { value } = betaResponseToGa({ id: 'resp_1', voice: 'alloy', modalities: ['text', 'audio'], temperature: 0.8 });
 * // value: { id: 'resp_1', output_modalities: ['audio'], audio: { output: { voice: 'alloy' } } }; temperature is reported
 */
export function betaResponseToGa(response: BetaResponse): Translation<Response> {
  const ga: Record<string, unknown> = {};
  const output: GaAudioOutput = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(response as Fields)) {
    if (value === undefined) continue;
    if (SAME_RESPONSE_FIELDS.has(key)) ga[key] = value;
    else if (putBetaAudioOutput(output, key, value)) continue;
    else if (key === 'output' && Array.isArray(value))
      ga.output = mapList(value as BetaConversationItem[], key, betaItemToGa, unsupported);
    else if (key === 'modalities')
      ga.output_modalities = value === null ? null : betaModalitiesToGa(value as never);
    else if (key === 'temperature') unsupported.push(unsupportedField([key], NO_TEMPERATURE));
    else unsupported.push(unsupportedField([key], 'It is not a field of a beta response.'));
  }
  return { value: withAudioOutput(ga, output) as Response, unsupported };
}

/**
 * A GA response as beta, the reverse of {@link betaResponseToGa}. Reported: output items beta
 * has no kind for (MCP), formats and fields beta cannot name.
 *
 * @example
 * const { value } = gaResponseToBeta(event.response);
 * client.send(JSON.stringify({ ...event, response: value }));
 */
export function gaResponseToBeta(response: Response): Translation<BetaResponse> {
  const beta: Record<string, unknown> = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(response as Fields)) {
    if (value === undefined) continue;
    if (SAME_RESPONSE_FIELDS.has(key)) beta[key] = value;
    else if (key === 'output' && Array.isArray(value))
      beta.output = mapList(value as ConversationItem[], key, gaItemToBeta, unsupported);
    else if (key === 'audio') {
      if (isFields(value)) takeGaAudio(value, beta, unsupported);
    } else if (key === 'output_modalities')
      beta.modalities = value === null ? null : gaModalitiesToBeta(value as never);
    else unsupported.push(unsupportedField([key], 'It has no beta equivalent.'));
  }
  return { value: beta as BetaResponse, unsupported };
}

/**
 * A beta `response.create`'s settings as GA's: as for a response, and
 * `max_response_output_tokens` becomes `max_output_tokens`; `input` items are translated.
 * Reported: `temperature`, and any field beta's settings do not have.
 *
 * @example
 * const { value } = betaResponseParamsToGa({ modalities: ['text'], max_response_output_tokens: 200 });
 * // value: { output_modalities: ['text'], max_output_tokens: 200 }
 */
export function betaResponseParamsToGa(params: BetaResponseCreateParams): Translation<ResponseCreateParams> {
  const ga: Record<string, unknown> = {};
  const output: GaAudioOutput = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(params as Fields)) {
    if (value === undefined) continue;
    if (SAME_PARAMS_FIELDS.has(key) || key === 'tools' || key === 'tool_choice') ga[key] = value;
    else if (putBetaAudioOutput(output, key, value)) continue;
    else if (key === 'input' && Array.isArray(value))
      ga.input = mapList(value as BetaResponseInputItem[], key, betaInputItemToGa, unsupported);
    else if (key === 'modalities')
      ga.output_modalities = value === null ? null : betaModalitiesToGa(value as never);
    else if (key === 'max_response_output_tokens') ga.max_output_tokens = value;
    else if (key === 'temperature') unsupported.push(unsupportedField([key], NO_TEMPERATURE));
    else unsupported.push(unsupportedField([key], 'It is not a setting of a beta response.'));
  }
  return { value: withAudioOutput(ga, output) as ResponseCreateParams, unsupported };
}

/** Why a GA response setting has no beta equivalent, for those that have a reason of their own. */
const GA_ONLY_PARAMS: Readonly<Record<string, string>> = {
  parallel_tool_calls: 'Beta responses have no setting for parallel tool calls.',
  reasoning: 'Beta responses have no reasoning settings.',
  prompt: 'Beta responses cannot use a stored prompt.',
};

/**
 * GA `response.create` settings as beta's, the reverse of {@link betaResponseParamsToGa}.
 * Reported: `parallel_tool_calls`, `reasoning`, `prompt`, MCP tools and an MCP `tool_choice`,
 * MCP input items, and fields beta cannot name.
 *
 * @example
 * const { value, unsupported } = gaResponseParamsToBeta({ output_modalities: ['audio'], reasoning: { effort: 'low' } });
 * // value: { modalities: ['text', 'audio'] }; unsupported[0].param: 'reasoning'
 */
export function gaResponseParamsToBeta(params: ResponseCreateParams): Translation<BetaResponseCreateParams> {
  const beta: Record<string, unknown> = {};
  const unsupported: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(params as Fields)) {
    if (value === undefined) continue;
    if (SAME_PARAMS_FIELDS.has(key)) beta[key] = value;
    else if (key === 'tools' && Array.isArray(value)) beta.tools = functionToolsOnly(value, unsupported);
    else if (key === 'tool_choice') {
      if (isFields(value) && (value as ToolChoice & object).type === 'mcp')
        unsupported.push(unsupportedField([key], 'A beta response cannot choose an MCP tool.'));
      else beta.tool_choice = value;
    } else if (key === 'input' && Array.isArray(value))
      beta.input = mapList(value as ResponseInputItem[], key, gaInputItemToBeta, unsupported);
    else if (key === 'audio') {
      if (isFields(value)) takeGaAudio(value, beta, unsupported);
    } else if (key === 'output_modalities')
      beta.modalities = value === null ? null : gaModalitiesToBeta(value as never);
    else if (key === 'max_output_tokens') beta.max_response_output_tokens = value;
    else unsupported.push(unsupportedField([key], GA_ONLY_PARAMS[key] ?? 'It has no beta equivalent.'));
  }
  return { value: beta as BetaResponseCreateParams, unsupported };
}
