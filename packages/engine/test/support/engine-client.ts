/**
 * Test helpers: an engine on loopback that checks every event it sends against the protocol
 * package's strict parser and the shared spec schema, and a WebSocket client whose events can
 * be awaited in order.
 */
import { parseServerEvent, type ServerEvent } from '@realtime-gateway/protocol';
import { WebSocket } from 'ws';
import { validateEventAgainstSpec } from '../../../protocol/test/support/spec.js';
import { type EngineOptions, type RunningEngine, startEngine } from '../../src/index.js';

export type Event = Record<string, unknown> & { type: string };

/** An engine whose every sent event is checked; `nonConforming` lists the ones that failed. */
export interface CheckedEngine extends RunningEngine {
  readonly nonConforming: string[];
  /** How many events were checked. */
  readonly checked: () => number;
}

export async function startCheckedEngine(options: EngineOptions = {}): Promise<CheckedEngine> {
  const nonConforming: string[] = [];
  let checked = 0;
  const engine = await startEngine({
    ...options,
    onEvent: (event: ServerEvent) => {
      checked++;
      const result = parseServerEvent(event, { strict: true });
      if (!result.ok) nonConforming.push(`${event.type}: ${result.error.message}`);
      for (const problem of validateEventAgainstSpec('server', asSpecCopyHasIt(event)))
        nonConforming.push(`${event.type} (spec): ${problem}`);
    },
  });
  return Object.assign(engine, { nonConforming, checked: () => checked });
}

/**
 * The event as the GA spec copy can judge it. The copy's session response names voices only,
 * while openai-node and openai-python realtime types (2026) give session.created/updated the
 * request's shape, where a custom voice is `{ id }`, and a server echoes the voice it was given.
 * That one known gap is bridged by judging the custom voice by its id; the strict parser still
 * checks the event as sent.
 */
function asSpecCopyHasIt(event: ServerEvent): ServerEvent {
  if (event.type !== 'session.created' && event.type !== 'session.updated') return event;
  if (event.session.type !== 'realtime') return event;
  const output = event.session.audio?.output;
  const voice = output?.voice;
  if (typeof voice !== 'object' || voice === null) return event;
  const audio = { ...event.session.audio, output: { ...output, voice: voice.id } };
  return { ...event, session: { ...event.session, audio } };
}

export class EngineClient {
  readonly events: Event[] = [];
  private cursor = 0;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.events.push(JSON.parse(data.toString()) as Event);
      this.wake?.();
    });
  }

  static async open(url: string): Promise<EngineClient> {
    const socket = new WebSocket(url);
    const client = new EngineClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(event: object): void {
    this.socket.send(JSON.stringify(event));
  }

  /** The next event not yet taken. */
  async next(timeoutMs = 5000): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.events.length) {
      if (Date.now() > deadline)
        throw new Error(`timed out; events so far: ${this.events.map((e) => e.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    return this.events[this.cursor++]!;
  }

  /** Takes events until one of `type`; returns it. */
  async waitFor(type: string, timeoutMs = 5000): Promise<Event> {
    for (;;) {
      const event = await this.next(timeoutMs);
      if (event.type === type) return event;
    }
  }

  /** Takes events until one of `type`; returns all taken, that one last. */
  async until(type: string, timeoutMs = 5000): Promise<Event[]> {
    const taken: Event[] = [];
    for (;;) {
      const event = await this.next(timeoutMs);
      taken.push(event);
      if (event.type === type) return taken;
    }
  }

  close(): void {
    this.socket.close();
  }
}

export const userText = (text: string, extra: object = {}) => ({
  type: 'conversation.item.create',
  ...extra,
  item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
});
