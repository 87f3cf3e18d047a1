/**
 * One translation session on the engine (`/v1/realtime/translations`): appended audio is cut
 * into 200 ms frames, as OpenAI's translation engine consumes it; every frame in gives one
 * 200 ms frame of translated audio out (silence while there is nothing to say), with
 * `elapsed_ms` advancing by 200; a phrase (speech, found by energy, then silence) gives its
 * source transcript (when transcription is on) and its translation (see `./translate.ts`),
 * whose synthesized speech is queued for the frames that follow. `session.close` flushes the
 * partial frame and the open phrase, plays out what is queued, then `session.closed`.
 *
 * States: `open` (everything is accepted) → `closed` (after `session.closed`, or when the
 * connection went; nothing more is sent).
 */
import {
  errorEvent,
  parseTranslationClientEvent,
  TRANSLATION_AUDIO,
  type TranslationClientEvent,
  type TranslationServerEvent,
  type TranslationSession,
  toErrorEvent,
  translationServer,
  type WireError,
} from '@realtime-gateway/protocol';
import { bytesFor, decodeBase64, encodeBase64, toSamples } from '../audio/codec.js';
import { synthesize } from '../audio/synth.js';
import { EnergyVad } from '../audio/vad.js';
import { transcriptDeltas, transcriptOf } from '../session/transcription.js';
import {
  defaultTranslationSession,
  mergeTranslationSession,
  targetLanguage,
  transcribesSource,
  translateText,
} from './translate.js';

const PCM = { type: 'audio/pcm', rate: TRANSLATION_AUDIO.sampleRate } as const;
/** Bytes in one 200 ms frame of 24 kHz PCM16 mono. */
export const FRAME_BYTES = bytesFor(PCM, TRANSLATION_AUDIO.frameMs);

/**
 * How a phrase is found: speech at OpenAI's default VAD threshold, ended by a frame of
 * silence. No padding: a phrase is as long as its speech.
 */
const PHRASES = { threshold: 0.5, prefixPaddingMs: 0, silenceDurationMs: TRANSLATION_AUDIO.frameMs };

export interface TranslationSessionOptions {
  readonly model: string;
  /** Sends a serialized event to the client. */
  readonly send: (frame: string, event: TranslationServerEvent) => void;
  /** Called once `session.closed` was sent: the connection should close now. */
  readonly closed: () => void;
  /** Told about a fault inside the engine; the event that hit it got a `server_error`. */
  readonly onFault?: (error: unknown) => void;
}

/**
 * @example
 * const session = new TranslationEngineSession({ model: 'gpt-realtime-translate', send, closed: () => ws.close() });
 * ws.on('message', (data) => session.receive(data));
 */
export class TranslationEngineSession {
  private session: TranslationSession;
  private state: 'open' | 'closed' = 'open';
  /** Appended audio not yet a whole frame. */
  private pending: Uint8Array = new Uint8Array(0);
  /** Translated speech waiting for its frames. */
  private speech: Uint8Array[] = [];
  private speechBytes = 0;
  private readonly vad = new EnergyVad(PHRASES, TRANSLATION_AUDIO.sampleRate);
  private phraseStartMs: number | null = null;
  /** Milliseconds of input consumed, which every delta is aligned to. */
  private elapsedMs = 0;

  constructor(private readonly options: TranslationSessionOptions) {
    this.session = defaultTranslationSession(options.model, Date.now());
    this.emit(translationServer.sessionCreated({ session: this.session }));
  }

  /** The session's id (`sess_…`). */
  get id(): string {
    return this.session.id;
  }

  /** Handles one client frame. Never throws. */
  receive(data: string | Uint8Array): void {
    if (this.state === 'closed') return;
    const parsed = parseTranslationClientEvent(data, { rejectNulls: true });
    if (!parsed.ok) {
      this.emit(toErrorEvent(parsed.error));
      return;
    }
    if (!parsed.known) {
      const message = `Invalid value: '${parsed.event.type}'. Unknown event type.`;
      this.error({ code: 'invalid_value', message, param: 'type' }, parsed.event.event_id ?? null);
      return;
    }
    const event = parsed.event;
    try {
      this.handle(event);
    } catch (error) {
      this.options.onFault?.(error);
      this.error(
        {
          type: 'server_error',
          code: 'server_error',
          message: 'The server had an error while processing your request.',
        },
        event.event_id ?? null,
      );
    }
  }

  /** The connection went: nothing more is sent. */
  close(): void {
    this.state = 'closed';
  }

  private handle(event: TranslationClientEvent): void {
    switch (event.type) {
      case 'session.update':
        this.session = mergeTranslationSession(this.session, event.session);
        this.emit(translationServer.sessionUpdated({ session: this.session }));
        return;
      case 'session.input_audio_buffer.append':
        this.append(event.audio, event.event_id ?? null);
        return;
      case 'session.close':
        this.finish();
        return;
    }
  }

  private append(audio: string, eventId: string | null): void {
    const bytes = decodeBase64(audio);
    if (bytes === null || bytes.length % 2 !== 0) {
      const message = 'Invalid audio: expected base64-encoded 24 kHz PCM16 mono audio in whole samples.';
      this.error({ code: 'invalid_value', message, param: 'audio' }, eventId);
      return;
    }
    const joined = new Uint8Array(this.pending.length + bytes.length);
    joined.set(this.pending, 0);
    joined.set(bytes, this.pending.length);
    let offset = 0;
    for (; offset + FRAME_BYTES <= joined.length; offset += FRAME_BYTES)
      this.frame(joined.subarray(offset, offset + FRAME_BYTES));
    this.pending = joined.slice(offset);
  }

  /** One 200 ms frame of input: phrases found in it are translated, and one frame goes out. */
  private frame(bytes: Uint8Array): void {
    const frameEndMs = this.elapsedMs + TRANSLATION_AUDIO.frameMs;
    for (const event of this.vad.push(toSamples(PCM, bytes))) {
      if (event.type === 'speech_started') this.phraseStartMs = event.audioStartMs;
      else this.endPhrase(event.audioEndMs, frameEndMs);
    }
    this.elapsedMs = frameEndMs;
    this.sendAudioFrame();
  }

  /** A phrase that ended at `endMs` of the input, told with the frame that ended at `elapsed_ms`. */
  private endPhrase(endMs: number, elapsed_ms: number): void {
    if (this.phraseStartMs === null) return;
    const heard = transcriptOf(endMs - this.phraseStartMs);
    this.phraseStartMs = null;
    if (transcribesSource(this.session))
      for (const delta of transcriptDeltas(heard))
        this.emit(translationServer.inputTranscriptDelta({ delta, elapsed_ms }));
    const translated = translateText(heard, targetLanguage(this.session));
    for (const delta of transcriptDeltas(translated))
      this.emit(translationServer.outputTranscriptDelta({ delta, elapsed_ms }));
    const speech = synthesize(translated, PCM);
    this.speech.push(speech);
    this.speechBytes += speech.length;
  }

  /** The next 200 ms of translated speech, silence where there is none. */
  private sendAudioFrame(): void {
    const out = new Uint8Array(FRAME_BYTES);
    let filled = 0;
    while (filled < FRAME_BYTES && this.speech.length > 0) {
      const head = this.speech[0]!;
      const take = Math.min(head.length, FRAME_BYTES - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.speech.shift();
      else this.speech[0] = head.subarray(take);
    }
    this.speechBytes -= filled;
    this.emit(translationServer.outputAudioDelta({ delta: encodeBase64(out), elapsed_ms: this.elapsedMs }));
  }

  /** `session.close`: the partial frame padded with silence, the open phrase ended, the queue played. */
  private finish(): void {
    if (this.pending.length > 0) {
      const last = new Uint8Array(FRAME_BYTES);
      last.set(this.pending, 0);
      this.pending = new Uint8Array(0);
      this.frame(last);
    }
    if (this.phraseStartMs !== null) {
      this.endPhrase(this.elapsedMs, this.elapsedMs);
      this.vad.reset();
    }
    while (this.speechBytes > 0) {
      this.elapsedMs += TRANSLATION_AUDIO.frameMs;
      this.sendAudioFrame();
    }
    this.emit(translationServer.sessionClosed());
    this.state = 'closed';
    this.options.closed();
  }

  private error(fields: WireError, eventId: string | null): void {
    this.emit(errorEvent({ ...fields, eventId }));
  }

  private emit(event: TranslationServerEvent): void {
    if (this.state === 'closed') return;
    this.options.send(JSON.stringify(event), event);
  }
}
