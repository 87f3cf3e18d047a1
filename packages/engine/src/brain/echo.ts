/**
 * The echo brain: deterministic, no model. It repeats the user's last message, and a
 * directive in it — `call <tool> <json arguments>` — makes it call that declared tool, so
 * tool flows can be tested end to end. After a function output it reports what the tool
 * returned.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';
import { type Brain, type BrainInput, type BrainOutput, itemText } from './brain.js';

const DIRECTIVES = /\bcall\s+([A-Za-z0-9_-]+)(?:\s+(\{[^{}]*\}))?/g;

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
  if (last.type === 'function_call_output') return [{ type: 'text', delta: reportOutputs(input.items) }];
  const text = itemText(last);
  // Each directive is one call; several in one message are parallel calls in one response.
  const calls: BrainOutput[] = [];
  for (const directive of text.matchAll(DIRECTIVES)) {
    const name = directive[1]!;
    if (!input.tools.some((tool) => tool.name === name))
      return [{ type: 'text', delta: `There is no tool named ${name}.` }];
    calls.push({ type: 'function_call', name, arguments: directive[2] ?? '{}' });
  }
  if (calls.length > 0) return calls;
  if (text === '') return [{ type: 'text', delta: 'I heard you.' }];
  return [{ type: 'text', delta: `You said: ${text}` }];
}

/** "The X tool returned: …" for every function output since the last user message, in order. */
function reportOutputs(items: readonly ConversationItem[]): string {
  const outputs: string[] = [];
  for (let k = items.length - 1; k >= 0; k--) {
    const item = items[k]!;
    if (item.type === 'message' && item.role === 'user') break;
    if (item.type !== 'function_call_output') continue;
    const call = items.find((other) => other.type === 'function_call' && other.call_id === item.call_id);
    const name = call?.type === 'function_call' ? call.name : 'tool';
    outputs.unshift(`The ${name} tool returned: ${item.output}`);
  }
  return outputs.join(' ');
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
