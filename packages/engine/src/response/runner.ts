/**
 * One response, streamed the way OpenAI's service streams it: `response.created`; per output
 * item `response.output_item.added` and `conversation.item.added`; for a message its content
 * part, text or audio-and-transcript deltas and their done events; for a function call its
 * argument deltas; the item's done events; then `response.done` with usage. Deltas go out on
 * later turns of the event loop, so a cancel or an interruption can land mid-response.
 */
import {
  type AudioFormat,
  type ConversationItem,
  type FunctionTool,
  type MaxOutputTokens,
  type Modality,
  newItemId,
  newResponseId,
  type Response,
  type ResponseUsage,
  type ServerEvent,
  server,
} from '@realtime-gateway/protocol';
import { encodeBase64 } from '../audio/codec.js';
import { speechDurationMs, synthesize } from '../audio/synth.js';
import { type Brain, BrainError, type BrainOutput } from '../brain/brain.js';

/** Where a response writes and what it reads; the session provides it. */
export interface ResponseSink {
  send(event: ServerEvent): void;
  /** Adds an item to the conversation (in-conversation responses only); returns the previous item id. */
  addToConversation(item: ConversationItem, audioMs: number | null): string | null;
  /** Replaces a stored item with its final form and the milliseconds of audio it carries. */
  updateInConversation(item: ConversationItem, audioMs: number | null): void;
  /** Waits a turn of the event loop (or the configured pacing) between deltas. */
  pace(): Promise<void>;
  /**
   * Tells the client and the operator that the response failed (before its `response.done`):
   * `error` is what the brain threw, `details` what the client is told.
   */
  failed(error: unknown, details: ResponseFailure, responseId: string): void;
}

/** Why a response failed, as `status_details.error` and the `error` event carry it. */
export interface ResponseFailure {
  readonly type: string;
  readonly code: string;
  readonly message: string;
}

/** What the client is told of a brain's failure: a {@link BrainError}'s own words, or a generic server error. */
export function responseFailure(error: unknown): ResponseFailure {
  if (error instanceof BrainError) return { type: error.type, code: error.code, message: error.message };
  return {
    type: 'server_error',
    code: 'server_error',
    message: 'The server had an error while processing your response.',
  };
}

export interface ResponsePlan {
  readonly brain: Brain;
  readonly instructions: string;
  readonly context: readonly ConversationItem[];
  readonly tools: readonly FunctionTool[];
  readonly modalities: readonly Modality[];
  readonly audioFormat: AudioFormat;
  readonly voice: string;
  readonly maxOutputTokens: MaxOutputTokens;
  /**
   * The session's `parallel_tool_calls`: when false a response makes at most one function call,
   * whatever the brain proposes.
   */
  readonly parallelToolCalls: boolean;
  /** False for out-of-band responses (`conversation: "none"`). */
  readonly inConversation: boolean;
  readonly metadata: Record<string, string> | null;
  /** Tokens of input, for usage. */
  readonly inputTextTokens: number;
  readonly inputAudioTokens: number;
}

/** How a response ended. */
export type ResponseEnd = {
  readonly status: Response['status'];
  readonly reason?: 'turn_detected' | 'client_cancelled' | 'max_output_tokens';
  /** For a failed response. */
  readonly error?: ResponseFailure;
};

/** Roughly four characters a token, as OpenAI's tokenizers average on English. */
export function textTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Audio tokens for a duration: one per 50 ms, as the realtime models count output audio. */
export function audioTokens(ms: number): number {
  return Math.ceil(ms / 50);
}

/** Whether a response that has made `calls` function calls may make another. */
export function mayCallAgain(calls: number, parallelToolCalls: boolean): boolean {
  return parallelToolCalls || calls === 0;
}

/** Audio is streamed in chunks of this many milliseconds. */
const AUDIO_CHUNK_MS = 100;

/**
 * A running response. `cancel(reason)` stops it at the next delta; `done` resolves with how it
 * ended once `response.done` has been emitted.
 *
 * @example
 * const run = new ResponseRun(plan, sink);
 * void run.start();
 * run.cancel('client_cancelled');
 */
export class ResponseRun {
  readonly id = newResponseId();
  /** The streaming context of the response, from `start()` on. */
  private stream_!: server.ResponseContext;
  private readonly controller = new AbortController();
  private cancelReason: 'turn_detected' | 'client_cancelled' | null = null;
  private readonly output: ConversationItem[] = [];
  private outputTextTokens = 0;
  private outputAudioTokens = 0;
  readonly done: Promise<ResponseEnd>;
  private resolveDone!: (end: ResponseEnd) => void;

  constructor(
    private readonly plan: ResponsePlan,
    private readonly sink: ResponseSink,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get inConversation(): boolean {
    return this.plan.inConversation;
  }

  /** Stops the response at the next delta. */
  cancel(reason: 'turn_detected' | 'client_cancelled'): void {
    if (this.cancelReason !== null) return;
    this.cancelReason = reason;
    this.controller.abort();
  }

  private responseObject(status: Response['status'], end?: ResponseEnd): Response {
    const usage: ResponseUsage | undefined =
      status === 'in_progress'
        ? undefined
        : {
            total_tokens:
              this.plan.inputTextTokens +
              this.plan.inputAudioTokens +
              this.outputTextTokens +
              this.outputAudioTokens,
            input_tokens: this.plan.inputTextTokens + this.plan.inputAudioTokens,
            output_tokens: this.outputTextTokens + this.outputAudioTokens,
            input_token_details: {
              cached_tokens: 0,
              text_tokens: this.plan.inputTextTokens,
              audio_tokens: this.plan.inputAudioTokens,
              image_tokens: 0,
              cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
            },
            output_token_details: {
              text_tokens: this.outputTextTokens,
              audio_tokens: this.outputAudioTokens,
            },
          };
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      ...(end?.reason
        ? { status_details: { type: status as 'cancelled' | 'incomplete', reason: end.reason } }
        : {}),
      ...(end?.error ? { status_details: { type: 'failed' as const, error: { ...end.error } } } : {}),
      output: [...this.output],
      ...(this.plan.inConversation ? { conversation_id: 'conv_default' } : {}),
      output_modalities: [...this.plan.modalities],
      max_output_tokens: this.plan.maxOutputTokens,
      audio: { output: { format: this.plan.audioFormat, voice: this.plan.voice } },
      metadata: this.plan.metadata,
      ...(usage ? { usage } : {}),
    };
  }

  /** Streams the response; resolves when `response.done` has been emitted. */
  async start(): Promise<void> {
    this.stream_ = server.response(this.responseObject('in_progress'));
    this.sink.send(this.stream_.created());
    let end: ResponseEnd = { status: 'completed' };
    let thrown: unknown = null;
    try {
      end = await this.stream();
    } catch (error) {
      if (this.cancelReason !== null) end = { status: 'cancelled', reason: this.cancelReason };
      else {
        thrown = error;
        end = { status: 'failed', error: responseFailure(error) };
      }
    }
    try {
      if (end.error !== undefined) this.sink.failed(thrown, end.error, this.id);
      this.sink.send(this.stream_.done(this.responseObject(end.status, end)));
    } finally {
      // The session waits on `done` to free its active slot, whatever happened to the send.
      this.resolveDone(end);
    }
  }

  private budgetLeft(): boolean {
    const max = this.plan.maxOutputTokens;
    return max === 'inf' || this.outputTextTokens + this.outputAudioTokens < max;
  }

  private async stream(): Promise<ResponseEnd> {
    const outputs = this.plan.brain.respond({
      instructions: this.plan.instructions,
      items: this.plan.context,
      tools: this.plan.tools,
      parallelToolCalls: this.plan.parallelToolCalls,
      signal: this.controller.signal,
    });
    let message: MessageWriter | null = null;
    let calls = 0;
    try {
      for await (const output of outputs) {
        if (this.cancelReason !== null) break;
        if (output.type === 'text') {
          message ??= await this.openMessage();
          const ended = await message.write(output.delta);
          if (ended !== null) return ended;
        } else {
          if (!mayCallAgain(calls, this.plan.parallelToolCalls)) continue;
          if (message !== null) {
            await message.close();
            message = null;
          }
          await this.functionCall(output);
          calls++;
        }
      }
    } catch (error) {
      // A brain that fails mid-answer leaves what it said as an incomplete message.
      if (message !== null && this.cancelReason === null) await message.close('incomplete');
      throw error;
    }
    if (message !== null && this.cancelReason === null) await message.close();
    if (this.cancelReason !== null) {
      if (message !== null) await message.close('incomplete');
      return { status: 'cancelled', reason: this.cancelReason };
    }
    return { status: 'completed' };
  }

  private async openMessage(): Promise<MessageWriter> {
    const writer = new MessageWriter(this, this.output.length);
    await writer.open();
    return writer;
  }

  /** @internal used by the writers */
  addItem(item: ConversationItem, outputIndex: number, audioMs: number | null): server.ItemContext {
    this.output[outputIndex] = item;
    const context = this.stream_.item(item, outputIndex);
    this.sink.send(context.added());
    if (this.plan.inConversation) {
      const previous = this.sink.addToConversation(item, audioMs);
      this.sink.send(server.conversationItemAdded({ previous_item_id: previous, item }));
    }
    return context;
  }

  /** @internal */
  finishItem(context: server.ItemContext, item: ConversationItem, audioMs: number | null = null): void {
    this.output[context.outputIndex] = item;
    this.sink.send(context.done(item));
    if (this.plan.inConversation) {
      this.sink.updateInConversation(item, audioMs);
      this.sink.send(server.conversationItemDone({ previous_item_id: null, item }));
    }
  }

  private async functionCall(output: Extract<BrainOutput, { type: 'function_call' }>): Promise<void> {
    const started = server.functionCallItem(output.name, '', { status: 'in_progress' });
    const context = this.addItem(started, this.output.length, null);
    // Arguments stream in pieces, as a model produces them.
    for (let k = 0; k < output.arguments.length; k += 16) {
      await this.sink.pace();
      this.sink.send(context.functionCallArgumentsDelta(output.arguments.slice(k, k + 16)));
    }
    this.sink.send(context.functionCallArgumentsDone(output.arguments));
    this.outputTextTokens += textTokens(output.arguments);
    this.finishItem(context, { ...started, status: 'completed', arguments: output.arguments });
  }

  /** @internal */
  get planned(): ResponsePlan {
    return this.plan;
  }

  /** @internal */
  get cancelled(): boolean {
    return this.cancelReason !== null;
  }

  /** @internal */
  countText(text: string): boolean {
    this.outputTextTokens += textTokens(text);
    return this.budgetLeft();
  }

  /** @internal */
  countAudio(ms: number): void {
    this.outputAudioTokens += audioTokens(ms);
  }

  /** @internal */
  progress(item: ConversationItem, audioMs: number): void {
    if (this.plan.inConversation) this.sink.updateInConversation(item, audioMs);
  }

  /** @internal */
  send(event: ServerEvent): void {
    this.sink.send(event);
  }

  /** @internal */
  pace(): Promise<void> {
    return this.sink.pace();
  }
}

/** Streams one assistant message: a content part of text, or of audio with its transcript. */
class MessageWriter {
  private readonly itemId = newItemId();
  private text = '';
  private sentMs = 0;
  private readonly audio: boolean;
  private item_!: server.ItemContext;
  private part!: server.PartContext;

  constructor(
    private readonly run: ResponseRun,
    private readonly outputIndex: number,
  ) {
    this.audio = run.planned.modalities.includes('audio');
  }

  private item(status: 'in_progress' | 'completed' | 'incomplete'): ConversationItem {
    const content =
      status === 'in_progress'
        ? []
        : [
            this.audio
              ? { type: 'output_audio' as const, transcript: this.text }
              : { type: 'output_text' as const, text: this.text },
          ];
    return server.messageItem('assistant', content, { id: this.itemId, status });
  }

  async open(): Promise<void> {
    this.item_ = this.run.addItem(this.item('in_progress'), this.outputIndex, this.audio ? 0 : null);
    this.part = this.item_.contentPart(
      this.audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
      0,
    );
    this.run.send(this.part.added());
  }

  /** Streams a text delta (and its audio); returns how the response ended if it must stop. */
  async write(delta: string): Promise<ResponseEnd | null> {
    await this.run.pace();
    if (this.run.cancelled) return null;
    this.text += delta;
    if (this.audio) {
      this.run.send(this.part.outputAudioTranscriptDelta(delta));
      await this.speak(delta);
    } else this.run.send(this.part.outputTextDelta(delta));
    if (!this.run.countText(delta)) {
      await this.close('incomplete');
      return { status: 'incomplete', reason: 'max_output_tokens' };
    }
    return null;
  }

  /** Sends the audio for a piece of text in chunks, pacing between them. */
  private async speak(text: string): Promise<void> {
    const format = this.run.planned.audioFormat;
    const bytes = synthesize(text, format);
    const totalMs = speechDurationMs(text);
    const chunks = Math.max(1, Math.ceil(totalMs / AUDIO_CHUNK_MS));
    const chunkBytes = Math.ceil(bytes.length / chunks);
    for (let k = 0; k < bytes.length; k += chunkBytes) {
      if (this.run.cancelled) return;
      const chunk = bytes.subarray(k, k + chunkBytes);
      this.run.send(this.part.outputAudioDelta(encodeBase64(chunk)));
      const ms = (totalMs * chunk.length) / bytes.length;
      this.run.countAudio(ms);
      this.sentMs += ms;
      // The conversation knows how much audio the client has, so it can truncate mid-response.
      this.run.progress(this.item('in_progress'), Math.round(this.sentMs));
      if (k + chunkBytes < bytes.length) await this.run.pace();
    }
  }

  async close(status: 'completed' | 'incomplete' = 'completed'): Promise<void> {
    if (this.audio) {
      this.run.send(this.part.outputAudioDone());
      this.run.send(this.part.outputAudioTranscriptDone(this.text));
    } else this.run.send(this.part.outputTextDone(this.text));
    this.run.send(
      this.part.done(
        this.audio ? { type: 'audio', transcript: this.text } : { type: 'text', text: this.text },
      ),
    );
    this.run.finishItem(this.item_, this.item(status), this.audio ? Math.round(this.sentMs) : null);
  }
}
