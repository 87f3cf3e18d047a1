/**
 * The official `openai` SDK's realtime WebSocket client pointed at a gateway, with its events
 * recorded and awaitable in order.
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type SdkEvent = { type: string } & Record<string, unknown>;

export interface SdkSession {
  readonly rt: OpenAIRealtimeWS;
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
export async function openSdkSession(
  baseUrl: string,
  ca: string | undefined,
  model = 'gpt-realtime',
  apiKey = 'sk-client-key',
): Promise<SdkSession> {
  const client = new OpenAI({ apiKey, baseURL: baseUrl });
  const rt = new OpenAIRealtimeWS({ model, ...(ca === undefined ? {} : { options: { ca } }) }, client);
  const events: SdkEvent[] = [];
  let cursor = 0;
  rt.on('event', (event) => events.push(event as unknown as SdkEvent));
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
  const say = (text: string): void => {
    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    rt.send({ type: 'response.create' });
  };
  const appendAudio = (pcm: Buffer): void => {
    for (let k = 0; k < pcm.length; k += 960) {
      rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 960).toString('base64') });
    }
  };
  return { rt, events, next, say, appendAudio };
}
