/**
 * Each upstream response as a span of its session's trace, from `response.created` to
 * `response.done`, with its usage in the OpenTelemetry GenAI conventions' attributes. Input
 * transcriptions are events of the session span. Text (answers, transcripts) goes in only with
 * `telemetry.recordText`; audio never does.
 */
import type { ConversationItem, ResponseUsage, ServerEvent } from '@realtime-gateway/protocol';
import {
  FORWARD,
  type Frame,
  type Middleware,
  type MiddlewareContext,
  type MiddlewareFactory,
} from '../session/middleware.js';
import type { TraceAttributes, TraceSpan } from '../vocabulary/trace.js';

const WANTED = new Set([
  'response.created',
  'response.done',
  'conversation.item.input_audio_transcription.completed',
]);

/**
 * Responses in flight at once, per session, beyond which the oldest span is ended: an upstream
 * that never sends `response.done` cannot make a session hold spans without end.
 */
const MAX_OPEN_RESPONSES = 16;

/**
 * The realtime API has no operation of its own in the GenAI conventions; a response is a turn of
 * a conversation, so it is recorded as `chat` and GenAI dashboards count its tokens.
 */
const OPERATION = 'chat';

/**
 * The middleware that traces responses; the gateway adds it only when traces are exported.
 *
 * @example
 * const middleware = config.telemetry.otlp === null ? [] : [responseTracing()];
 */
export function responseTracing(): MiddlewareFactory {
  return () => new ResponseTracing();
}

class ResponseTracing implements Middleware {
  readonly name = 'response-tracing';
  readonly upstream = WANTED;
  /** Open response spans by response id, oldest first. */
  private readonly inFlight = new Map<string, TraceSpan>();

  onUpstream(frame: Frame<ServerEvent>, ctx: MiddlewareContext): typeof FORWARD {
    const event = frame.event;
    if (event === null) return FORWARD;
    if (event.type === 'response.created') this.started(event.response.id ?? null, ctx);
    else if (event.type === 'response.done') {
      const { response } = event;
      const span = this.take(response.id ?? null) ?? this.started(null, ctx);
      span.set({
        'gen_ai.response.id': response.id,
        'gen_ai.response.finish_reasons': response.status == null ? undefined : [response.status],
        ...(response.usage == null ? {} : usageAttributes(response.usage)),
        'gen_ai.output.messages':
          ctx.trace.recordsText && response.output != null ? outputMessages(response.output) : undefined,
      });
      if (response.status === 'failed')
        span.fail(
          response.status_details?.error?.type ?? 'failed',
          response.status_details?.error?.message ?? undefined,
        );
      span.end();
    } else if (event.type === 'conversation.item.input_audio_transcription.completed') {
      const { usage } = event;
      ctx.trace.event('input_audio_transcription.completed', {
        'realtime_gateway.item.id': event.item_id,
        'gen_ai.usage.input_tokens': usage.type === 'tokens' ? usage.input_tokens : undefined,
        'gen_ai.usage.output_tokens': usage.type === 'tokens' ? usage.output_tokens : undefined,
        'realtime_gateway.usage.audio_seconds': usage.type === 'duration' ? usage.seconds : undefined,
        'realtime_gateway.transcript': ctx.trace.recordsText ? event.transcript : undefined,
      });
    }
    return FORWARD;
  }

  close(): undefined {
    // Cut short with the session: a span still shows how far the response got.
    for (const span of this.inFlight.values()) {
      span.set({ 'gen_ai.response.finish_reasons': ['incomplete'] });
      span.end();
    }
    this.inFlight.clear();
    return undefined;
  }

  private started(responseId: string | null, ctx: MiddlewareContext): TraceSpan {
    const span = ctx.trace.span(`${OPERATION} ${ctx.info.model}`, {
      'gen_ai.operation.name': OPERATION,
      'gen_ai.request.model': ctx.info.model,
      'gen_ai.response.model': ctx.info.upstreamModel,
      'gen_ai.response.id': responseId ?? undefined,
    });
    if (responseId === null) return span;
    if (this.inFlight.size >= MAX_OPEN_RESPONSES) {
      const [oldest, stale] = this.inFlight.entries().next().value as [string, TraceSpan];
      this.inFlight.delete(oldest);
      stale.end();
    }
    this.inFlight.set(responseId, span);
    return span;
  }

  private take(responseId: string | null): TraceSpan | null {
    if (responseId === null) return null;
    const span = this.inFlight.get(responseId) ?? null;
    this.inFlight.delete(responseId);
    return span;
  }
}

/**
 * A response's usage: the conventions' input, output and cached-input tokens, and the realtime
 * API's split by modality under the gateway's own names.
 *
 * @example
 * usageAttributes({ input_tokens: 10, output_tokens: 5 })['gen_ai.usage.input_tokens']; // 10
 */
export function usageAttributes(usage: ResponseUsage): TraceAttributes {
  const input = usage.input_token_details;
  const output = usage.output_token_details;
  return {
    'gen_ai.usage.input_tokens': usage.input_tokens,
    'gen_ai.usage.output_tokens': usage.output_tokens,
    'gen_ai.usage.cache_read.input_tokens': input?.cached_tokens,
    'realtime_gateway.usage.total_tokens': usage.total_tokens,
    'realtime_gateway.usage.input_text_tokens': input?.text_tokens,
    'realtime_gateway.usage.input_audio_tokens': input?.audio_tokens,
    'realtime_gateway.usage.input_image_tokens': input?.image_tokens,
    'realtime_gateway.usage.output_text_tokens': output?.text_tokens,
    'realtime_gateway.usage.output_audio_tokens': output?.audio_tokens,
  };
}

/** The output as the conventions' `gen_ai.output.messages`: text and transcripts, no audio. */
function outputMessages(output: readonly ConversationItem[]): string {
  const messages: { role: string; parts: { type: string; content?: string; name?: string }[] }[] = [];
  for (const item of output) {
    if (item.type === 'message') {
      const parts = [];
      for (const part of item.content) {
        const text = 'text' in part ? part.text : 'transcript' in part ? part.transcript : undefined;
        if (typeof text === 'string') parts.push({ type: 'text', content: text });
      }
      messages.push({ role: item.role, parts });
    } else if (item.type === 'function_call') {
      messages.push({ role: 'assistant', parts: [{ type: 'tool_call', name: item.name }] });
    }
  }
  return JSON.stringify(messages);
}
