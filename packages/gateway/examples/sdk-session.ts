/**
 * The official `openai` SDK's realtime WebSocket client pointed at a gateway, with its events
 * recorded and awaitable in order.
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS as BetaRealtimeWS } from 'openai/beta/realtime/ws';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type SdkEvent = { type: string } & Record<string, unknown>;

/** The SDK's realtime WebSocket clients, GA and beta, as far as a session needs them. */
interface RealtimeSocket {
  on(event: 'event', listener: (event: unknown) => void): unknown;
  on(event: 'error', listener: (error: { message: string }) => void): unknown;
  send(event: never): void;
  close(): void;
}

export interface SdkSession<Rt extends RealtimeSocket = OpenAIRealtimeWS> {
  readonly rt: Rt;
  readonly events: SdkEvent[];
  /** The next event of `type` after the last one taken. */
  next(type: string, timeoutMs?: number): Promise<SdkEvent>;
  /** Adds a user text message and asks for a response. */
  say(text: string): void;
  /** Streams 24 kHz PCM16 audio in 20 ms appends, as a microphone would. */
  appendAudio(pcm: Buffer): void;
}

/**
 * Opens a session through a gateway serving TLS at `baseUrl` (`https://…`), trusting `ca`.
 *
 * @example
 * const { rt, next } = await openSdkSession(`${gateway.address.url}/v1`, cert);
 * rt.send({ type: 'response.create' });
 * await next('response.done');
 */
export function openSdkSession(
  baseUrl: string,
  ca: string | undefined,
  model = 'gpt-realtime',
  apiKey = 'sk-client-key',
): Promise<SdkSession> {
  const client = new OpenAI({ apiKey, baseURL: baseUrl });
  return recorded(new OpenAIRealtimeWS({ model, ...(ca === undefined ? {} : { options: { ca } }) }, client));
}

/**
 * The same with the SDK's beta client (`openai/beta/realtime/ws`), which sends
 * `OpenAI-Beta: realtime=v1` and speaks the beta protocol.
 *
 * @example
 * const { rt, next } = await openBetaSdkSession(`${gateway.address.url}/v1`, cert);
 * rt.send({ type: 'session.update', session: { modalities: ['text'] } });
 */
export function openBetaSdkSession(
  baseUrl: string,
  ca: string | undefined,
  model = 'gpt-realtime',
  apiKey = 'sk-client-key',
): Promise<SdkSession<BetaRealtimeWS>> {
  const client = new OpenAI({ apiKey, baseURL: baseUrl });
  return recorded(new BetaRealtimeWS({ model, ...(ca === undefined ? {} : { options: { ca } }) }, client));
}

/** Records a client's events, once its session is created. */
async function recorded<Rt extends RealtimeSocket>(rt: Rt): Promise<SdkSession<Rt>> {
  const events: SdkEvent[] = [];
  let cursor = 0;
  rt.on('event', (event) => events.push(event as SdkEvent));
  rt.on('error', (error) => events.push({ type: 'sdk_error', message: String(error.message) }));
  const next = async (type: string, timeoutMs = 5000): Promise<SdkEvent> => {
    for (let waited = 0; waited < timeoutMs; waited += 10) {
      while (cursor < events.length) {
        const event = events[cursor++]!;
        if (event.type === type) return event;
      }
      await delay(10);
    }
    const seen = events.map((e) => (e.type === 'sdk_error' ? `sdk_error (${e.message})` : e.type));
    throw new Error(`no ${type}; got ${seen.join(', ')}`);
  };
  await next('session.created');
  // Events both dialects write the same way.
  const send = (event: object): void => rt.send(event as never);
  const say = (text: string): void => {
    send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    send({ type: 'response.create' });
  };
  const appendAudio = (pcm: Buffer): void => {
    for (let k = 0; k < pcm.length; k += 960) {
      send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 960).toString('base64') });
    }
  };
  return { rt, events, next, say, appendAudio };
}
