/**
 * One realtime session on the engine: the session object, the conversation, the input audio
 * buffer with server-side turn detection, input transcription, and responses. Client events
 * are parsed with the protocol package; anything malformed is answered with an `error` event
 * and changes nothing.
 */
import {
  type AudioFormat,
  type ClientEvent,
  type ClientEventMap,
  type ConversationItem,
  errorEvent,
  type FunctionTool,
  type Modality,
  newEventId,
  newItemId,
  parseClientEvent,
  type RealtimeSession,
  type ResponseCreateParams,
  type ServerEvent,
  type Session,
  toErrorEvent,
  type WireError,
} from '@realtime-gateway/protocol';
import { decodeBase64, durationMs, sampleRate, toSamples } from '../audio/codec.js';
import { EnergyVad, type VadEvent } from '../audio/vad.js';
import { type Brain, BrainError, itemText } from '../brain/brain.js';
import { audioTokens, ResponseRun, type ResponseSink, textTokens } from '../response/runner.js';
import { truncateContext } from '../response/truncation.js';
import { mergeSession } from './config.js';
import { Conversation } from './conversation.js';
import { defaultRealtimeSession, defaultTranscriptionSession } from './defaults.js';
import { logprobsOf, transcriptDeltas, transcriptOf } from './transcription.js';
import { applyTranscriptionSessionUpdate } from './transcription-update.js';
import { tunnelRefusal } from './tunnels.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type OutgoingEvent = DistributiveOmit<ServerEvent, 'event_id'>;

/** The fewest milliseconds of audio a commit accepts. */
export const MIN_COMMIT_MS = 100;

export interface EngineSessionOptions {
  readonly model: string;
  readonly intent: 'conversation' | 'transcription';
  readonly brain: Brain;
  /** Milliseconds between streamed deltas; 0 streams on every turn of the event loop. */
  readonly deltaDelayMs: number;
  /** Largest input audio buffer, in bytes; appends beyond it are refused with an error. */
  readonly maxInputAudioBytes: number;
  /** Sends a serialized event to the client. */
  readonly send: (frame: string, event: ServerEvent) => void;
  /**
   * Told about a failure inside the engine while it handled an event or a timer (a defect, not
   * bad input): the event got a `server_error` and the session goes on.
   */
  readonly onFault?: (error: unknown) => void;
  /**
   * Told that a response failed because its brain reported a {@link BrainError} (a chat backend
   * that answered 500, a turn the brain cannot read): the client got the response failed with
   * `status_details.error` and an `error` event. Other failures of a brain go to `onFault`.
   */
  readonly onBrainError?: (error: BrainError, responseId: string) => void;
}

/** Per-response settings with the session's values filled in. */
interface TurnDetectionSettings {
  readonly threshold: number;
  readonly prefixPaddingMs: number;
  readonly silenceDurationMs: number;
  readonly createResponse: boolean;
  readonly interruptResponse: boolean;
  readonly idleTimeoutMs: number | null;
}

/**
 * @example
 * const session = new EngineSession({ model, intent: 'conversation', brain: echoBrain, deltaDelayMs: 0, send });
 * socket.on('message', (data) => session.receive(data));
 */
export class EngineSession {
  private session: Session;
  private readonly conversation = new Conversation();
  private inputChunks: Uint8Array[] = [];
  private inputBytes = 0;
  private vad: EnergyVad | null = null;
  /** The item id the buffered speech will become, announced by `speech_started`. */
  private pendingItemId: string | null = null;
  private active: ResponseRun | null = null;
  private readonly outOfBand = new Set<ResponseRun>();
  private audioProduced = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Milliseconds of committed user audio per item, for usage. */
  private readonly audioMsByItem = new Map<string, number>();

  constructor(private readonly options: EngineSessionOptions) {
    const now = Math.floor(Date.now() / 1000);
    this.session =
      options.intent === 'transcription'
        ? defaultTranscriptionSession(now)
        : defaultRealtimeSession(options.model, now);
    this.resetVad();
    this.emit({ type: 'session.created', session: this.session });
  }

  /**
   * Handles one client frame. Never throws: a fault of the engine's own ends that event with a
   * `server_error` and leaves the session running.
   */
  receive(data: string | Uint8Array): void {
    if (this.closed) return;
    // A server refuses a null where the spec has none, as OpenAI does ("expected an object, but
    // got null instead"); nulls the spec allows mean "off" or "unset" below.
    const parsed = parseClientEvent(data, { rejectNulls: true });
    if (!parsed.ok) {
      this.sendEvent(toErrorEvent(parsed.error));
      return;
    }
    if (!parsed.known) {
      this.error(
        {
          code: 'invalid_value',
          message: `Invalid value: '${parsed.event.type}'. Unknown event type.`,
          param: 'type',
        },
        parsed.event.event_id ?? null,
      );
      return;
    }
    const event = parsed.event;
    this.guard(event.event_id ?? null, () => this.handle(event));
  }

  /** The session's id (`sess_…`), as `session.created` reported it. */
  get id(): string {
    return this.session.id as string;
  }

  /** Stops everything the session has running. */
  close(): void {
    this.closed = true;
    this.clearIdleTimer();
    this.active?.cancel('client_cancelled');
    for (const run of this.outOfBand) run.cancel('client_cancelled');
  }

  // ------------------------------------------------------------------------------------------

  private emit(event: OutgoingEvent): void {
    if (this.closed) return;
    const full = { event_id: newEventId(), ...event } as ServerEvent;
    this.options.send(JSON.stringify(full), full);
  }

  /** Sends an event built elsewhere (the protocol's builders), id included. */
  private sendEvent(event: ServerEvent): void {
    if (!this.closed) this.options.send(JSON.stringify(event), event);
  }

  /** Runs engine work so that a fault in it costs one event, never the session or the process. */
  private guard(eventId: string | null, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.fault(error, eventId);
    }
  }

  private fault(error: unknown, eventId: string | null): void {
    this.options.onFault?.(error);
    try {
      this.sendEvent(
        errorEvent({
          type: 'server_error',
          code: 'server_error',
          message: 'The server had an error while processing your request.',
          eventId,
        }),
      );
    } catch (again) {
      // The send itself is what failed: nothing more can be told to this client.
      this.options.onFault?.(again);
    }
  }

  private error(fields: Omit<WireError, 'eventId'>, eventId: string | null): void {
    this.sendEvent(errorEvent({ ...fields, eventId }));
  }

  private handle(event: ClientEvent): void {
    const eventId = event.event_id ?? null;
    switch (event.type) {
      case 'session.update': {
        this.update(event, eventId);
        return;
      }
      case 'input_audio_buffer.append': {
        this.append(event.audio, eventId);
        return;
      }
      case 'input_audio_buffer.commit': {
        this.commit(eventId);
        return;
      }
      case 'input_audio_buffer.clear':
        this.clearInput();
        this.emit({ type: 'input_audio_buffer.cleared' });
        return;
      case 'output_audio_buffer.clear': {
        // Output audio buffers exist on WebRTC and SIP connections; over WebSocket the client
        // plays what it received.
        this.error(
          {
            code: 'invalid_value',
            message: 'output_audio_buffer.clear is only supported for WebRTC connections.',
            param: 'type',
          },
          eventId,
        );
        return;
      }
      case 'conversation.item.create': {
        this.createItem(event, eventId);
        return;
      }
      case 'conversation.item.retrieve': {
        const stored = this.conversation.get(event.item_id);
        if (stored === null) {
          this.itemNotFound(event.item_id, eventId);
          return;
        }
        this.emit({ type: 'conversation.item.retrieved', item: stored.item });
        return;
      }
      case 'conversation.item.delete': {
        const failed = this.conversation.delete(event.item_id);
        if (failed !== null) {
          this.error(failed, eventId);
          return;
        }
        this.emit({ type: 'conversation.item.deleted', item_id: event.item_id });
        return;
      }
      case 'conversation.item.truncate': {
        const failed = this.conversation.truncate(event.item_id, event.content_index, event.audio_end_ms);
        if (failed !== null) {
          this.error(failed, eventId);
          return;
        }
        this.emit({
          type: 'conversation.item.truncated',
          item_id: event.item_id,
          content_index: event.content_index,
          audio_end_ms: event.audio_end_ms,
        });
        return;
      }
      case 'response.create': {
        this.createResponse(event.response ?? {}, eventId);
        return;
      }
      case 'response.cancel': {
        this.cancelResponse(event.response_id ?? null, eventId);
        return;
      }
      case 'transcription_session.update': {
        this.updateTranscription(event, eventId);
        return;
      }
    }
  }

  private itemNotFound(itemId: string, eventId: string | null): void {
    this.error(
      { code: 'item_not_found', message: `Item with id '${itemId}' not found.`, param: 'item_id' },
      eventId,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Session

  private update(event: ClientEventMap['session.update'], eventId: string | null): void {
    const tunnel =
      event.session.type === 'realtime' ? tunnelRefusal(event.session.tools, 'session.tools') : null;
    if (tunnel !== null) {
      this.error(tunnel, eventId);
      return;
    }
    const merged = mergeSession(this.session, event.session, { audioProduced: this.audioProduced });
    if (!merged.ok) {
      this.error(merged.error, eventId);
      return;
    }
    this.session = merged.session;
    this.resetVad();
    this.emit({ type: 'session.updated', session: this.session });
  }

  private updateTranscription(
    event: ClientEventMap['transcription_session.update'],
    eventId: string | null,
  ): void {
    const applied = applyTranscriptionSessionUpdate(this.session, event.session);
    if (!applied.ok) {
      this.error(applied.error, eventId);
      return;
    }
    this.session = applied.session;
    this.resetVad();
    this.emit({ type: 'transcription_session.updated', session: applied.shown });
  }

  private get realtime(): RealtimeSession | null {
    return this.session.type === 'realtime' ? this.session : null;
  }

  private get inputFormat(): AudioFormat {
    return (
      (this.session.audio?.input?.format as AudioFormat | undefined) ?? { type: 'audio/pcm', rate: 24000 }
    );
  }

  private get outputFormat(): AudioFormat {
    return (
      (this.realtime?.audio?.output?.format as AudioFormat | undefined) ?? { type: 'audio/pcm', rate: 24000 }
    );
  }

  private turnDetection(): TurnDetectionSettings | null {
    const detection = this.session.audio?.input?.turn_detection as Record<string, unknown> | null | undefined;
    if (detection === null || detection === undefined) return null;
    const number = (key: string, fallback: number) =>
      typeof detection[key] === 'number' ? (detection[key] as number) : fallback;
    const flag = (key: string) => detection[key] !== false;
    // semantic_vad is accepted; the engine, having no model, detects turns by energy for both.
    const idle = detection.idle_timeout_ms;
    return {
      threshold: number('threshold', 0.5),
      prefixPaddingMs: number('prefix_padding_ms', 300),
      silenceDurationMs: number('silence_duration_ms', detection.type === 'semantic_vad' ? 500 : 200),
      createResponse: flag('create_response'),
      interruptResponse: flag('interrupt_response'),
      idleTimeoutMs: typeof idle === 'number' ? idle : null,
    };
  }

  private resetVad(): void {
    const settings = this.turnDetection();
    this.vad = settings === null ? null : new EnergyVad(settings, sampleRate(this.inputFormat));
  }

  // ------------------------------------------------------------------------------------------
  // Input audio

  private append(audio: string, eventId: string | null): void {
    const bytes = decodeBase64(audio);
    const format = this.inputFormat;
    if (bytes === null) {
      this.error({ code: 'invalid_value', message: 'Invalid base64 in audio.', param: 'audio' }, eventId);
      return;
    }
    if (format.type === 'audio/pcm' && bytes.length % 2 !== 0) {
      this.error(
        {
          code: 'invalid_value',
          message: 'PCM16 audio must hold whole 16-bit samples (an even number of bytes).',
          param: 'audio',
        },
        eventId,
      );
      return;
    }
    if (this.inputBytes + bytes.length > this.options.maxInputAudioBytes) {
      this.error(
        {
          code: 'input_audio_buffer_full',
          message: `The input audio buffer holds at most ${this.options.maxInputAudioBytes} bytes; commit or clear it.`,
          param: 'audio',
        },
        eventId,
      );
      return;
    }
    this.clearIdleTimer();
    this.inputChunks.push(bytes);
    this.inputBytes += bytes.length;
    if (this.vad === null) return;
    for (const event of this.vad.push(toSamples(format, bytes))) this.onVad(event);
  }

  private onVad(event: VadEvent): void {
    const settings = this.turnDetection();
    if (event.type === 'speech_started') {
      this.pendingItemId = newItemId();
      this.emit({
        type: 'input_audio_buffer.speech_started',
        audio_start_ms: Math.round(event.audioStartMs),
        item_id: this.pendingItemId,
      });
      if (settings?.interruptResponse && this.active !== null) this.active.cancel('turn_detected');
      return;
    }
    const itemId = this.pendingItemId ?? newItemId();
    this.emit({
      type: 'input_audio_buffer.speech_stopped',
      audio_end_ms: Math.round(event.audioEndMs),
      item_id: itemId,
    });
    const committed = this.commitBuffer(itemId);
    if (committed && settings?.createResponse && this.active === null) this.createResponse({}, null);
  }

  private bufferedMs(): number {
    return durationMs(this.inputFormat, this.inputBytes);
  }

  private commit(eventId: string | null): void {
    const ms = this.bufferedMs();
    if (ms < MIN_COMMIT_MS) {
      this.error(
        {
          code: 'input_audio_buffer_commit_empty',
          message: `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`,
          param: null,
        },
        eventId,
      );
      return;
    }
    this.commitBuffer(this.pendingItemId ?? newItemId());
  }

  /** Turns the buffered audio into a user message; false when there was nothing to commit. */
  private commitBuffer(itemId: string): boolean {
    if (this.inputBytes === 0) return false;
    const ms = this.bufferedMs();
    this.clearInput();
    const item: ConversationItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio' }],
    };
    const previous = this.conversation.lastId();
    const inserted = this.conversation.insert(item, null);
    if ('code' in inserted) return false;
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item });
    this.audioMsByItem.set(itemId, ms);
    this.transcribe(itemId, ms);
    return true;
  }

  private clearInput(): void {
    this.inputChunks = [];
    this.inputBytes = 0;
    this.pendingItemId = null;
    this.vad?.reset();
  }

  /** Input transcription, when configured; see {@link transcriptOf} for what it says. */
  private transcribe(itemId: string, ms: number): void {
    const configured = this.session.audio?.input?.transcription;
    if (configured === null || configured === undefined) return;
    const transcript = transcriptOf(ms);
    // `include` asks for logprobs on both the deltas and the completed event, as OpenAI sends them.
    const withLogprobs = this.session.include?.includes('item.input_audio_transcription.logprobs') ?? false;
    const logprobs = (text: string) => (withLogprobs ? { logprobs: logprobsOf(text) } : {});
    for (const delta of transcriptDeltas(transcript)) {
      this.emit({
        type: 'conversation.item.input_audio_transcription.delta',
        item_id: itemId,
        content_index: 0,
        delta,
        ...logprobs(delta),
      });
    }
    this.emit({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: itemId,
      content_index: 0,
      transcript,
      ...logprobs(transcript),
      usage: { type: 'duration', seconds: Math.round((ms / 1000) * 100) / 100 },
    });
    const stored = this.conversation.get(itemId);
    if (stored !== null && stored.item.type === 'message') {
      stored.item = { ...stored.item, content: [{ type: 'input_audio', transcript }] } as ConversationItem;
    }
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** After a response, with `idle_timeout_ms` set, silence for that long prompts the model. */
  private armIdleTimer(): void {
    this.clearIdleTimer();
    const idle = this.turnDetection()?.idleTimeoutMs ?? null;
    if (idle === null || this.closed) return;
    this.idleTimer = setTimeout(() => this.guard(null, () => this.onIdle()), idle);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    this.idleTimer = null;
    if (this.active !== null || this.vad?.inSpeech) return;
    const ms = Math.round(this.bufferedMs());
    this.emit({
      type: 'input_audio_buffer.timeout_triggered',
      audio_start_ms: 0,
      audio_end_ms: ms,
      item_id: newItemId(),
    });
    this.clearInput();
    this.createResponse({}, null);
  }

  // ------------------------------------------------------------------------------------------
  // Conversation

  private createItem(event: ClientEventMap['conversation.item.create'], eventId: string | null): void {
    const given = event.item;
    if (
      given.type === 'mcp_list_tools' ||
      given.type === 'mcp_call' ||
      given.type === 'mcp_approval_request'
    ) {
      this.error(
        {
          code: 'invalid_value',
          message: `Items of type '${given.type}' are created by the server.`,
          param: 'item.type',
        },
        eventId,
      );
      return;
    }
    const item = {
      ...given,
      id: given.id ?? newItemId(),
      object: 'realtime.item',
      status: 'completed',
    } as ConversationItem;
    const inserted = this.conversation.insert(item, event.previous_item_id);
    if ('code' in inserted) {
      this.error(inserted, eventId);
      return;
    }
    this.emit({ type: 'conversation.item.added', previous_item_id: inserted.previous, item });
    this.emit({ type: 'conversation.item.done', previous_item_id: inserted.previous, item });
  }

  // ------------------------------------------------------------------------------------------
  // Responses

  private createResponse(params: ResponseCreateParams, eventId: string | null): void {
    const realtime = this.realtime;
    if (realtime === null) {
      this.error(
        { code: 'invalid_value', message: 'Transcription sessions do not create responses.', param: 'type' },
        eventId,
      );
      return;
    }
    const inConversation = params.conversation !== 'none';
    if (inConversation && this.active !== null) {
      this.error(
        {
          code: 'conversation_already_has_active_response',
          message: `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
          param: null,
        },
        eventId,
      );
      return;
    }
    const tunnel = tunnelRefusal(params.tools, 'response.tools');
    if (tunnel !== null) {
      this.error(tunnel, eventId);
      return;
    }
    const whole = this.responseContext(params, eventId);
    if (whole === null) return;
    const context = truncateContext(whole, realtime.truncation, (item) => this.itemTokens(item));
    const toolChoice = params.tool_choice ?? realtime.tool_choice;
    const tools =
      toolChoice === 'none'
        ? []
        : ((params.tools ?? realtime.tools ?? []).filter(
            (tool) => tool.type === 'function',
          ) as FunctionTool[]);
    const modalities = (params.output_modalities ?? realtime.output_modalities ?? ['audio']) as Modality[];
    const format = (params.audio?.output?.format as AudioFormat | undefined) ?? this.outputFormat;
    const voice = params.audio?.output?.voice ?? realtime.audio?.output?.voice ?? 'alloy';
    const inputText = context.reduce((n, item) => n + textTokens(itemText(item)), 0);
    const inputAudio = context.reduce((n, item) => n + this.itemAudioTokens(item), 0);
    const run = new ResponseRun(
      {
        brain: this.options.brain,
        instructions: params.instructions ?? realtime.instructions ?? '',
        context,
        tools,
        modalities,
        audioFormat: format,
        voice: typeof voice === 'string' ? voice : voice.id,
        maxOutputTokens: params.max_output_tokens ?? realtime.max_output_tokens ?? 'inf',
        // Unset means allowed, as in OpenAI's other APIs; the GA spec copy gives no default.
        parallelToolCalls: realtime.parallel_tool_calls !== false,
        inConversation,
        metadata: (params.metadata as Record<string, string> | null | undefined) ?? null,
        inputTextTokens: inputText,
        inputAudioTokens: inputAudio,
      },
      this.sinkFor(eventId),
    );
    if (modalities.includes('audio')) this.audioProduced = true;
    if (inConversation) this.active = run;
    else this.outOfBand.add(run);
    this.clearIdleTimer();
    run.start().catch((error: unknown) => this.fault(error, eventId));
    void run.done.then(() =>
      this.guard(null, () => {
        if (this.active === run) this.active = null;
        this.outOfBand.delete(run);
        this.emit({
          type: 'rate_limits.updated',
          rate_limits: [
            { name: 'requests', limit: 10_000, remaining: 9_999, reset_seconds: 0.006 },
            { name: 'tokens', limit: 1_000_000, remaining: 999_000, reset_seconds: 0.06 },
          ],
        });
        if (inConversation) this.armIdleTimer();
      }),
    );
  }

  private itemAudioTokens(item: ConversationItem): number {
    return audioTokens(this.audioMsByItem.get(item.id as string) ?? 0);
  }

  /** An item's input tokens, by the same estimate usage reports. */
  private itemTokens(item: ConversationItem): number {
    return textTokens(itemText(item)) + this.itemAudioTokens(item);
  }

  /** The items a response reads: its own `input` (with item references resolved), or the conversation. */
  private responseContext(params: ResponseCreateParams, eventId: string | null): ConversationItem[] | null {
    if (params.input === undefined || params.input === null) return [...this.conversation.all()];
    const items: ConversationItem[] = [];
    for (const [index, entry] of params.input.entries()) {
      if (entry.type === 'item_reference') {
        const stored = this.conversation.get(entry.id as string);
        if (stored === null) {
          this.error(
            {
              code: 'item_not_found',
              message: `Item with id '${entry.id}' not found.`,
              param: `response.input[${index}].id`,
            },
            eventId,
          );
          return null;
        }
        items.push(stored.item);
      } else items.push(entry as ConversationItem);
    }
    return items;
  }

  private sinkFor(eventId: string | null): ResponseSink {
    return {
      send: (event) => this.sendEvent(event),
      failed: (error, details, responseId) => {
        if (error instanceof BrainError) this.options.onBrainError?.(error, responseId);
        else this.options.onFault?.(error);
        this.error({ ...details, param: null }, eventId);
      },
      addToConversation: (item, audioMs) => {
        const previous = this.conversation.lastId();
        this.conversation.insert(item, null);
        if (audioMs !== null) this.conversation.get(item.id as string)?.audioMs.set(0, audioMs);
        return previous;
      },
      updateInConversation: (item, audioMs) => {
        const stored = this.conversation.get(item.id as string);
        if (stored === null) return;
        stored.item = item;
        if (audioMs !== null) stored.audioMs.set(0, audioMs);
      },
      pace: () =>
        new Promise<void>((resolve) => {
          if (this.options.deltaDelayMs > 0) setTimeout(resolve, this.options.deltaDelayMs);
          else setImmediate(resolve);
        }),
    };
  }

  private cancelResponse(responseId: string | null, eventId: string | null): void {
    const candidates = [...(this.active ? [this.active] : []), ...this.outOfBand];
    const target = responseId === null ? this.active : candidates.find((run) => run.id === responseId);
    if (target === null || target === undefined) {
      this.error(
        {
          code: 'response_cancel_not_active',
          message: 'Cancellation failed: no active response found.',
          param: responseId === null ? null : 'response_id',
        },
        eventId,
      );
      return;
    }
    target.cancel('client_cancelled');
  }
}
