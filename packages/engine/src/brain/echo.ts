/**
 * The echo brain: deterministic, no model. It repeats the user's last message, and a
 * directive in it — `call <tool> <json arguments>` — makes it call that declared tool, so
 * tool flows can be tested end to end. After a function output it reports what the tool
 * returned.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';
import { type Brain, type BrainInput, type BrainOutput, itemText } from './brain.js';

const DIRECTIVE = /\bcall\s+([A-Za-z0-9_-]+)(?:\s+(\{[\s\S]*\}))?/;

/** Splits text into word-sized deltas, spaces kept, so that joining them gives the text back. */
export function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function lastRelevant(items: readonly ConversationItem[]): ConversationItem | null {
  for (let k = items.length - 1; k >= 0; k--) {
    const item = items[k]!;
    if (item.type === 'function_call_output') return item;
    if (item.type === 'message' && item.role === 'user') return item;
  }
  return null;
}

/** What the echo brain answers to a context, before streaming. */
export function echoReply(input: Pick<BrainInput, 'items' | 'tools'>): BrainOutput[] {
  const last = lastRelevant(input.items);
  if (last === null) return [{ type: 'text', delta: 'Hello! Say something and I will echo it.' }];
  if (last.type === 'function_call_output') {
    const call = input.items.find((item) => item.type === 'function_call' && item.call_id === last.call_id);
    const name = call?.type === 'function_call' ? call.name : 'tool';
    return [{ type: 'text', delta: `The ${name} tool returned: ${last.output}` }];
  }
  const text = itemText(last);
  const directive = DIRECTIVE.exec(text);
  if (directive !== null) {
    const name = directive[1]!;
    if (input.tools.some((tool) => tool.name === name)) {
      return [{ type: 'function_call', name, arguments: directive[2] ?? '{}' }];
    }
    return [{ type: 'text', delta: `There is no tool named ${name}.` }];
  }
  if (text === '') return [{ type: 'text', delta: 'I heard you.' }];
  return [{ type: 'text', delta: `You said: ${text}` }];
}

/**
 * @example
 * for await (const out of echoBrain.respond(input)) console.log(out);
 */
export const echoBrain: Brain = {
  name: 'echo',
  async *respond(input) {
    for (const output of echoReply(input)) {
      if (output.type === 'function_call') {
        yield output;
        continue;
      }
      for (const delta of words(output.delta)) {
        if (input.signal.aborted) return;
        yield { type: 'text', delta };
      }
    }
  },
};
