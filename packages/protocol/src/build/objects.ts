/**
 * Builders for the objects events carry: the response object and conversation items, with
 * fresh ids in OpenAI's shapes (`resp_…`, `item_…`, `call_…`).
 */
import { newCallId, newItemId, newResponseId } from '../ids.js';
import type { ConversationItem, FunctionCallItem, FunctionCallOutputItem } from '../model/items.js';
import type { Response } from '../model/response.js';

/**
 * A response object: `in_progress` with no output unless told otherwise.
 *
 * @example
 * const response = responseObject({ output_modalities: ['text'] });
 */
export function responseObject(fields: Partial<Response> = {}): Response {
  return { object: 'realtime.response', id: newResponseId(), status: 'in_progress', output: [], ...fields };
}

type MessageRole = 'system' | 'user' | 'assistant';
type MessageContent<R extends MessageRole> = Extract<
  ConversationItem,
  { type: 'message'; role: R }
>['content'];

/**
 * A message item.
 *
 * @example
 * messageItem('user', [{ type: 'input_text', text: 'Hello' }]);
 */
export function messageItem<R extends MessageRole>(
  role: R,
  content: MessageContent<R>,
  fields: { readonly id?: string; readonly status?: 'completed' | 'incomplete' | 'in_progress' } = {},
): Extract<ConversationItem, { type: 'message'; role: R }> {
  return {
    id: fields.id ?? newItemId(),
    object: 'realtime.item',
    type: 'message',
    role,
    status: fields.status ?? 'completed',
    content,
  } as Extract<ConversationItem, { type: 'message'; role: R }>;
}

/** A function call item, as a server reports the model's call. */
export function functionCallItem(
  name: string,
  args: string,
  fields: {
    readonly id?: string;
    readonly callId?: string;
    readonly status?: 'completed' | 'in_progress';
  } = {},
): FunctionCallItem {
  return {
    id: fields.id ?? newItemId(),
    object: 'realtime.item',
    type: 'function_call',
    status: fields.status ?? 'completed',
    call_id: fields.callId ?? newCallId(),
    name,
    arguments: args,
  };
}

/** A function call's output, as a client (or the gateway) sends it back. */
export function functionCallOutputItem(
  callId: string,
  output: string,
  fields: { readonly id?: string } = {},
): FunctionCallOutputItem {
  return { id: fields.id ?? newItemId(), type: 'function_call_output', call_id: callId, output };
}
