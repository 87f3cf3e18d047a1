/**
 * The chat brain: any OpenAI-compatible Chat Completions endpoint (vLLM, llama.cpp, Ollama,
 * OpenAI) answers, streaming text and tool calls, with the conversation as its history. This
 * gives a text-only model a Realtime API.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';
import { type Brain, type BrainInput, type BrainOutput, itemText } from './brain.js';

export interface ChatBrainOptions {
  /** Base URL of the API, such as `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
}

type ChatMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string; tool_calls?: unknown[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** The conversation as Chat Completions messages. */
export function chatMessages(instructions: string, items: readonly ConversationItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== '') messages.push({ role: 'system', content: instructions });
  for (const item of items) {
    if (item.type === 'message') messages.push({ role: item.role, content: itemText(item) });
    else if (item.type === 'function_call') {
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

/** Reads a server-sent events stream as its `data:` payloads. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trimEnd();
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('data:')) yield line.slice(5).trim();
      newline = buffer.indexOf('\n');
    }
  }
}

interface ChunkChoice {
  delta?: {
    content?: string | null;
    tool_calls?: { index: number; function?: { name?: string; arguments?: string } }[];
  };
}

/**
 * @example
 * const brain = chatBrain({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
 */
export function chatBrain(options: ChatBrainOptions): Brain {
  return {
    name: 'chat',
    async *respond(input: BrainInput): AsyncIterable<BrainOutput> {
      const tools = input.tools.map((tool) => ({
        type: 'function',
        function: {
          name: tool.name,
          description: tool.description ?? '',
          parameters: tool.parameters ?? { type: 'object' },
        },
      }));
      const response = await fetch(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: options.model,
          stream: true,
          messages: chatMessages(input.instructions, input.items),
          ...(tools.length > 0 ? { tools } : {}),
        }),
        signal: input.signal,
      });
      if (!response.ok || response.body === null) {
        throw new Error(
          `chat completions answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
        );
      }
      const calls: { name: string; arguments: string }[] = [];
      for await (const data of sseData(response.body)) {
        if (data === '[DONE]') break;
        const chunk = JSON.parse(data) as { choices?: ChunkChoice[] };
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
