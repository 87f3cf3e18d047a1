/**
 * A session's conversation from its events: what the user said or typed, what the assistant
 * answered, the tools it called and their results, and guardrail hits. Rendered payloads are
 * log-safe already; a payload cut short for its length is not JSON and gives no line.
 */
import type { ConsoleEvent } from './model.js';

export type Speaker = 'user' | 'assistant' | 'tool call' | 'tool result' | 'guardrail' | 'error';

export interface TranscriptLine {
  readonly seq: number;
  readonly at: string;
  readonly speaker: Speaker;
  readonly text: string;
}

type Json = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));

function itemLine(item: Json | undefined): [Speaker, string] | null {
  if (item?.type === 'function_call_output') return ['tool result', str(item.output)];
  if (item?.type === 'message' && item.role === 'user' && Array.isArray(item.content)) {
    const texts = (item.content as Json[])
      .filter((part) => typeof part.text === 'string')
      .map((part) => part.text);
    return texts.length > 0 ? ['user', texts.join(' ')] : null;
  }
  return null;
}

function lineOf(type: string | null, event: Json): [Speaker, string] | null {
  switch (type) {
    case 'conversation.item.input_audio_transcription.completed':
      return ['user', str(event.transcript)];
    case 'conversation.item.create':
      return itemLine(event.item as Json | undefined);
    case 'response.output_audio_transcript.done':
      return ['assistant', str(event.transcript)];
    case 'response.output_text.done':
      return ['assistant', str(event.text)];
    case 'response.function_call_arguments.done':
      return ['tool call', `${str(event.name ?? 'function')}(${str(event.arguments)})`];
    case 'error': {
      const error = (event.error ?? {}) as Json;
      return [error.code === 'guardrail_triggered' ? 'guardrail' : 'error', str(error.message)];
    }
    default:
      return null;
  }
}

/**
 * The transcript line an event makes, or null.
 *
 * @example
 * transcriptLine({ seq: 4, type: 'response.output_text.done', payload: '{"text":"Hi"}', … });
 * // { seq: 4, speaker: 'assistant', text: 'Hi', at: … }
 */
export function transcriptLine(event: ConsoleEvent): TranscriptLine | null {
  if (event.payload === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.payload);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const line = lineOf(event.type, parsed as Json);
  return line === null ? null : { seq: event.seq, at: event.at, speaker: line[0], text: line[1] };
}
