/**
 * The session object the engine starts with: OpenAI's defaults for a realtime session and for a
 * transcription session, complete, as `session.created` reports them.
 */
import {
  newSessionId,
  REASONING_REALTIME_MODELS,
  type RealtimeSession,
  type TranscriptionSession,
} from '@realtime-gateway/protocol';

/** Seconds a session lasts, as OpenAI reports in `expires_at`. */
const SESSION_SECONDS = 60 * 60;

export const DEFAULT_VOICE = 'alloy';

/** The GA spec copy's default for `reasoning.effort` (`RealtimeReasoningEffort`). */
export const DEFAULT_REASONING_EFFORT = 'low';

/** Whether `model` reasons, and so reports `reasoning` (`gpt-realtime-2` and later). */
export function isReasoningModel(model: string): boolean {
  return (REASONING_REALTIME_MODELS as readonly string[]).includes(model);
}

/**
 * @example
 * const session = defaultRealtimeSession('gpt-realtime', 1_760_000_000);
 */
export function defaultRealtimeSession(model: string, nowSeconds: number): RealtimeSession {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: newSessionId(),
    model,
    output_modalities: ['audio'],
    instructions:
      'You are a helpful, witty, and friendly AI. Act like a human, but remember that you are not a human.',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    // Only a reasoning model has an effort to report; the others never had the field.
    ...(isReasoningModel(model) ? { reasoning: { effort: DEFAULT_REASONING_EFFORT } } : {}),
    tracing: null,
    truncation: 'auto',
    prompt: null,
    expires_at: nowSeconds + SESSION_SECONDS,
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
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
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: DEFAULT_VOICE, speed: 1 },
    },
  } as RealtimeSession;
}

/** A transcription session (`?intent=transcription`). */
export function defaultTranscriptionSession(nowSeconds: number): TranscriptionSession {
  return {
    type: 'transcription',
    object: 'realtime.transcription_session',
    id: newSessionId(),
    expires_at: nowSeconds + SESSION_SECONDS,
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
        transcription: { model: 'gpt-4o-transcribe', prompt: '' },
        turn_detection: {
          type: 'server_vad',
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 200,
        },
      },
    },
  } as TranscriptionSession;
}
