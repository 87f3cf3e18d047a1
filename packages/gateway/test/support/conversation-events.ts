/**
 * Server event sequences of a realistic GA conversation, for feeding a conversation ledger:
 * a user audio turn, an assistant audio answer, a function call and its output, a text message.
 */
import type {
  ConversationItem,
  RealtimeSession,
  ServerEvent,
  ServerEventMap,
} from '@realtime-gateway/protocol';

let counter = 0;

/** A server event of the given type with a fresh event id. */
export function ev<T extends keyof ServerEventMap>(
  type: T,
  fields: Omit<ServerEventMap[T], 'type' | 'event_id'>,
): ServerEventMap[T] {
  counter += 1;
  return { type, event_id: `event_${counter}`, ...fields } as ServerEventMap[T];
}

/** 100 ms of PCM16 at 24 kHz, base64. */
export const AUDIO_100MS = Buffer.alloc(4800, 1).toString('base64');

export const SESSION: RealtimeSession = {
  type: 'realtime',
  object: 'realtime.session',
  id: 'sess_upstream1',
  model: 'gpt-realtime',
  expires_at: 1_760_003_600,
  output_modalities: ['audio'],
  instructions: 'Be brief.',
  tools: [
    {
      type: 'function',
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  ],
  tool_choice: 'auto',
  max_output_tokens: 'inf',
  tracing: null,
  truncation: 'auto',
  prompt: null,
  include: null,
  audio: {
    input: {
      format: { type: 'audio/pcm', rate: 24000 },
      transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
      noise_reduction: null,
      turn_detection: {
        type: 'server_vad',
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 200,
        idle_timeout_ms: null,
        create_response: true,
        interrupt_response: true,
      },
    },
    output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin', speed: 1 },
  },
};

/** A user audio turn committed by server VAD and then transcribed. */
export function userAudioTurn(id: string, previous: string | null, transcript: string): ServerEvent[] {
  const added: ConversationItem = {
    id,
    object: 'realtime.item',
    type: 'message',
    role: 'user',
    status: 'completed',
    content: [{ type: 'input_audio', transcript: null as unknown as string }],
  };
  return [
    ev('input_audio_buffer.committed', { previous_item_id: previous, item_id: id }),
    ev('conversation.item.added', { previous_item_id: previous, item: added }),
    ev('conversation.item.done', { previous_item_id: previous, item: added }),
    ev('conversation.item.input_audio_transcription.completed', {
      item_id: id,
      content_index: 0,
      transcript,
      usage: { type: 'duration', seconds: 1 },
    }),
  ];
}

/** An assistant audio answer, streamed: audio deltas, the transcript, and the item's completion. */
export function assistantAudioTurn(
  responseId: string,
  id: string,
  previous: string | null,
  transcript: string,
  audioChunks = 3,
): ServerEvent[] {
  const pos = { response_id: responseId, item_id: id, output_index: 0, content_index: 0 };
  const inProgress: ConversationItem = {
    id,
    object: 'realtime.item',
    type: 'message',
    role: 'assistant',
    status: 'in_progress',
    content: [],
  };
  const done: ConversationItem = {
    ...inProgress,
    status: 'completed',
    content: [{ type: 'output_audio', transcript }],
  };
  return [
    ev('response.created', { response: { id: responseId, status: 'in_progress', output: [] } }),
    ev('response.output_item.added', { response_id: responseId, output_index: 0, item: inProgress }),
    ev('conversation.item.added', { previous_item_id: previous, item: inProgress }),
    ev('response.content_part.added', { ...pos, part: { type: 'audio', transcript: '' } }),
    ...Array.from({ length: audioChunks }, () =>
      ev('response.output_audio.delta', { ...pos, delta: AUDIO_100MS }),
    ),
    ev('response.output_audio_transcript.delta', { ...pos, delta: transcript }),
    ev('response.output_audio.done', pos),
    ev('response.output_audio_transcript.done', { ...pos, transcript }),
    ev('response.content_part.done', { ...pos, part: { type: 'audio', transcript } }),
    ev('response.output_item.done', { response_id: responseId, output_index: 0, item: done }),
    ev('conversation.item.done', { previous_item_id: previous, item: done }),
    ev('response.done', { response: { id: responseId, status: 'completed', output: [done] } }),
  ];
}

/** The model calls a function. */
export function functionCallTurn(
  responseId: string,
  id: string,
  previous: string | null,
  callId: string,
  args: string,
): ServerEvent[] {
  const inProgress: ConversationItem = {
    id,
    object: 'realtime.item',
    type: 'function_call',
    status: 'in_progress',
    call_id: callId,
    name: 'get_weather',
    arguments: '',
  };
  const done: ConversationItem = { ...inProgress, status: 'completed', arguments: args };
  const pos = { response_id: responseId, item_id: id, output_index: 0, call_id: callId };
  return [
    ev('response.created', { response: { id: responseId, status: 'in_progress', output: [] } }),
    ev('response.output_item.added', { response_id: responseId, output_index: 0, item: inProgress }),
    ev('conversation.item.added', { previous_item_id: previous, item: inProgress }),
    ev('response.function_call_arguments.delta', { ...pos, delta: args }),
    ev('response.function_call_arguments.done', { ...pos, name: 'get_weather', arguments: args }),
    ev('response.output_item.done', { response_id: responseId, output_index: 0, item: done }),
    ev('conversation.item.done', { previous_item_id: previous, item: done }),
    ev('response.done', { response: { id: responseId, status: 'completed', output: [done] } }),
  ];
}

/** An item the client created, as the upstream confirms it. */
export function createdItem(item: ConversationItem, previous: string | null): ServerEvent[] {
  return [
    ev('conversation.item.added', { previous_item_id: previous, item }),
    ev('conversation.item.done', { previous_item_id: previous, item }),
  ];
}
