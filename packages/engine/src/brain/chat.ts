/**
 * The chat brain: any OpenAI-compatible Chat Completions endpoint (vLLM, llama.cpp, Ollama,
 * OpenAI) answers, streaming text and tool calls, with the conversation as its history. This
 * gives a text-only model a Realtime API.
 *
 * Every way the backend can fail — unreachable, an error status, a stream that is not
 * Chat Completions chunks, a stream that breaks off — is a {@link BrainError} naming it, so the
 * client's response fails the way OpenAI's do and the operator sees why. The engine has no
 * speech recognition, so a turn the user spoke is refused rather than sent as an empty message.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';
import { type EventSourceMessage, EventSourceParserStream } from 'eventsource-parser/stream';
import { type Brain, BrainError, type BrainInput, type BrainOutput, itemText } from './brain.js';

export interface ChatBrainOptions {
  /** Base URL of the API, such as `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
}

type ChatMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string; tool_calls?: unknown[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** The text a user message carries: its text parts. Audio has none, as the engine cannot hear it. */
function userText(item: Extract<ConversationItem, { type: 'message' }>): string {
  return item.content
    .map((part) => (part.type === 'input_text' ? part.text : ''))
    .join(' ')
    .trim();
}

function isSpoken(item: ConversationItem): boolean {
  return (
    item.type === 'message' &&
    item.role === 'user' &&
    userText(item) === '' &&
    item.content.some((part) => part.type === 'input_audio')
  );
}

/** The conversation as Chat Completions messages; user messages with only audio are left out. */
export function chatMessages(instructions: string, items: readonly ConversationItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== '') messages.push({ role: 'system', content: instructions });
  for (const item of items) {
    if (item.type === 'message') {
      if (isSpoken(item)) continue;
      messages.push({ role: item.role, content: item.role === 'user' ? userText(item) : itemText(item) });
    } else if (item.type === 'function_call') {
      const call = {
        id: item.call_id ?? item.id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments },
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && last.content === '' && last.tool_calls) last.tool_calls.push(call);
      else messages.push({ role: 'assistant', content: '', tool_calls: [call] });
    } else if (item.type === 'function_call_output') {
      messages.push({ role: 'tool', content: item.output, tool_call_id: item.call_id });
    }
  }
  return messages;
}

/** The turn the response answers: the last user message or function output, if any. */
function currentTurn(items: readonly ConversationItem[]): ConversationItem | null {
  for (let k = items.length - 1; k >= 0; k--) {
    const item = items[k]!;
    if (item.type === 'function_call_output' || (item.type === 'message' && item.role === 'user'))
      return item;
  }
  return null;
}

export const AUDIO_TURN_MESSAGE =
  "The chat brain cannot answer audio: the engine has no speech recognition, so the user's spoken " +
  'turn would reach the model as an empty message. Send the turn as text instead (conversation.item.create ' +
  'with an input_text content part).';

interface ChunkChoice {
  delta?: {
    content?: string | null;
    tool_calls?: { index: number; function?: { name?: string; arguments?: string } }[];
  };
  finish_reason?: string | null;
}

interface Chunk {
  choices?: ChunkChoice[];
  error?: { message?: string; code?: string | number | null; type?: string };
}

/** Largest event the backend may send, in characters; a stream that buffers more is not Chat Completions. */
const MAX_EVENT_CHARS = 1024 * 1024;
/** How much of a backend's error body is read and quoted. */
const MAX_ERROR_CHARS = 300;

/** A backend's error body in a sentence: OpenAI's `{ error: { message } }`, or the start of the text. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : null;
    if (message !== null) return message.slice(0, MAX_ERROR_CHARS);
  } catch {
    // Not JSON: quote the text.
  }
  return body.trim().slice(0, MAX_ERROR_CHARS) || '(empty body)';
}

async function statusError(response: Response): Promise<BrainError> {
  const detail = errorText(await response.text().catch(() => ''));
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 401 || response.status === 403)
    return new BrainError(
      'server_error',
      'chat_backend_auth_failed',
      `The chat backend refused the engine's credentials (${status}): ${detail}`,
    );
  if (response.status === 429)
    return new BrainError(
      'server_error',
      'chat_backend_rate_limited',
      `The chat backend is rate limiting the engine (${status}): ${detail}`,
    );
  return new BrainError(
    'server_error',
    'chat_backend_error',
    `The chat backend answered ${status}: ${detail}`,
  );
}

/** The backend's stream as parsed chunks; every way it can go wrong is a {@link BrainError}. */
async function* chunks(body: ReadableStream<Uint8Array>): AsyncIterable<Chunk> {
  const events = body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: MAX_EVENT_CHARS }));
  let finished = false;
  try {
    for await (const event of events as unknown as AsyncIterable<EventSourceMessage>) {
      if (event.data === '[DONE]') return;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        throw new BrainError(
          'server_error',
          'chat_backend_invalid_stream',
          `The chat backend sent an event that is not JSON: ${event.data.slice(0, 100)}`,
        );
      }
      if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk))
        throw new BrainError(
          'server_error',
          'chat_backend_invalid_stream',
          `The chat backend sent an event that is not a chunk object: ${event.data.slice(0, 100)}`,
        );
      if (chunk.error !== undefined)
        throw new BrainError(
          'server_error',
          'chat_backend_error',
          `The chat backend failed mid-answer: ${chunk.error.message ?? JSON.stringify(chunk.error).slice(0, MAX_ERROR_CHARS)}`,
        );
      if (chunk.choices?.some((choice) => choice.finish_reason)) finished = true;
      yield chunk;
    }
  } catch (error) {
    if (error instanceof BrainError || (error as Error).name === 'AbortError') throw error;
    if ((error as Error).name === 'ParseError')
      throw new BrainError(
        'server_error',
        'chat_backend_invalid_stream',
        `The chat backend's stream is not server-sent events: ${(error as Error).message}`,
        { cause: error },
      );
    throw new BrainError(
      'server_error',
      'chat_backend_stream_interrupted',
      `The chat backend's stream broke off mid-answer: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // OpenAI-compatible servers end with [DONE]; some only with a finish_reason.
  if (!finished)
    throw new BrainError(
      'server_error',
      'chat_backend_stream_interrupted',
      "The chat backend's stream ended before the answer did (no finish_reason and no [DONE]).",
    );
}

/**
 * @example
 * const brain = chatBrain({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
 */
export function chatBrain(options: ChatBrainOptions): Brain {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    name: 'chat',
    async *respond(input: BrainInput): AsyncIterable<BrainOutput> {
      const turn = currentTurn(input.items);
      if (turn !== null && isSpoken(turn))
        throw new BrainError('invalid_request_error', 'audio_input_not_supported', AUDIO_TURN_MESSAGE);
      const tools = input.tools.map((tool) => ({
        type: 'function',
        function: {
          name: tool.name,
          description: tool.description ?? '',
          parameters: tool.parameters ?? { type: 'object' },
        },
      }));
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: options.model,
            stream: true,
            messages: chatMessages(input.instructions, input.items),
            ...(tools.length > 0 ? { tools } : {}),
            // Chat Completions takes the same switch; sent only when it differs from its default.
            ...(tools.length > 0 && !input.parallelToolCalls ? { parallel_tool_calls: false } : {}),
          }),
          signal: input.signal,
        });
      } catch (error) {
        if (input.signal.aborted) throw error;
        const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
        throw new BrainError(
          'server_error',
          'chat_backend_unreachable',
          `Could not reach the chat backend at ${endpoint}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
          { cause: error },
        );
      }
      if (!response.ok) throw await statusError(response);
      if (response.body === null)
        throw new BrainError(
          'server_error',
          'chat_backend_invalid_stream',
          'The chat backend answered with no body.',
        );
      const calls: { name: string; arguments: string }[] = [];
      for await (const chunk of chunks(response.body)) {
        const delta = chunk.choices?.[0]?.delta;
        if (delta?.content) yield { type: 'text', delta: delta.content };
        for (const call of delta?.tool_calls ?? []) {
          if (calls[call.index] === undefined) calls[call.index] = { name: '', arguments: '' };
          const entry = calls[call.index]!;
          entry.name += call.function?.name ?? '';
          entry.arguments += call.function?.arguments ?? '';
        }
      }
      for (const call of calls)
        if (call) yield { type: 'function_call', name: call.name, arguments: call.arguments || '{}' };
    },
  };
}
