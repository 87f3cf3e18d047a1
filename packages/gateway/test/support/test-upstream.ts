/**
 * A minimal realtime server on 127.0.0.1 for integration tests: a real `ws` server that greets
 * with `session.created`, answers a few client events the way a realtime model would, and can be
 * told to misbehave — refuse the upgrade with a chosen status, delay it, close with a chosen code,
 * die in the middle of a response, or stop reading. It also answers plain HTTP requests (the REST
 * endpoints) and records everything it received, so tests can assert on what the gateway sent.
 *
 * Behaviour is read from `upstream.behaviour` at the moment it matters, so a test may change it
 * between connections (for example refuse the first upgrade and accept the second).
 *
 * @example
 * const upstream = await startTestUpstream();
 * const client = new WebSocket(`${upstream.url}/v1/realtime?model=gpt-realtime`);
 * const conn = await upstream.nextConnection();
 * conn.send({ type: 'error', event_id: 'event_1', error: { type: 'server_error', message: 'x' } });
 * await upstream.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { newEventId, newId, newItemId, newResponseId, newSessionId } from '@realtime-gateway/protocol';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** An HTTP answer instead of a completed upgrade. */
export interface Refusal {
  readonly status: number;
  /** Sent as JSON; an OpenAI-style error body by default. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An HTTP request the upstream received (upgrade or REST). */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** What the REST handler answers. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** How the test upstream behaves; every field can be changed while it runs. */
export interface TestUpstreamBehaviour {
  /** Refuse upgrades: always with this answer, or as the function decides (null accepts). */
  refuse?: Refusal | ((request: RecordedRequest) => Refusal | null) | undefined;
  /** Wait this long before completing an upgrade (connect-timeout tests). */
  upgradeDelayMs?: number;
  /** Greet every connection with `session.created` (default true). */
  sessionCreated?: boolean;
  /**
   * `answer` (default) replies like a minimal realtime model; `echo` sends every frame back
   * unchanged (text as text, binary as binary); `silent` only records.
   */
  mode?: 'answer' | 'echo' | 'silent';
  /** Text deltas in each answered response (default 3). */
  deltas?: number;
  /** Terminate the TCP connection, without a close frame, after sending this many events of a response. */
  dieAfterResponseEvents?: number | undefined;
  /** Start every connection with reading paused, as a peer that cannot keep up. */
  pauseReading?: boolean;
  /** Answer WebSocket pings (default true); false plays a peer that hung without closing. */
  answerPings?: boolean;
  /** Answers plain HTTP requests; the default echoes them (see {@link defaultHttpAnswer}). */
  http?: (request: RecordedRequest) => HttpAnswer;
}

/** One frame received from the gateway. */
export interface ReceivedFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
  /** The frame as text (UTF-8), for text frames. */
  readonly text: string;
}

type Waiter<T> = (value: T) => void;

/** The upstream's side of one relayed session. */
export class UpstreamConnection {
  /** Frames received, in order. */
  readonly frames: ReceivedFrame[] = [];
  /** Text frames received, parsed (frames that are not JSON are skipped). */
  readonly events: Record<string, unknown>[] = [];
  /** Pings received from the gateway (keepalive). */
  pings = 0;
  /** Resolves with the close code and reason once the socket is closed, whoever closed it. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly sessionId = newSessionId();
  private readonly frameWaiters: Waiter<ReceivedFrame>[] = [];
  private frameCursor = 0;

  constructor(
    readonly socket: WebSocket,
    readonly request: RecordedRequest,
    private readonly upstream: TestUpstream,
  ) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('ping', (data) => {
      this.pings++;
      if (upstream.behaviour.answerPings !== false) socket.pong(data);
    });
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
  }

  /** The query parameters of the upgrade request. */
  get query(): URLSearchParams {
    return new URL(this.request.url, 'http://127.0.0.1').searchParams;
  }

  /** Sends an event (serialized), text or bytes. */
  send(event: object | string | Buffer): void {
    if (Buffer.isBuffer(event)) this.socket.send(event, { binary: true });
    else this.socket.send(typeof event === 'string' ? event : JSON.stringify(event));
  }

  /** Closes with a code and reason. */
  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  /** Drops the TCP connection without a close frame, as a crashed server would. */
  terminate(): void {
    this.socket.terminate();
  }

  /** Stops reading from the socket, so the gateway's writes back up. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** The next frame not yet taken by this method, waiting for it if needed. */
  nextFrame(): Promise<ReceivedFrame> {
    const frame = this.frames[this.frameCursor];
    if (frame !== undefined) {
      this.frameCursor++;
      return Promise.resolve(frame);
    }
    return new Promise((resolve) => this.frameWaiters.push(resolve));
  }

  /** The first received event of the given type (already received or still to come). */
  async waitForEvent(type: string): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.events.find((event) => event.type === type);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.socket.once('message', () => setImmediate(resolve)));
    }
  }

  private receive(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const frame: ReceivedFrame = { data: bytes, isBinary, text: isBinary ? '' : bytes.toString('utf8') };
    this.frames.push(frame);
    const waiter = this.frameWaiters.shift();
    if (waiter !== undefined) {
      this.frameCursor++;
      waiter(frame);
    }
    const behaviour = this.upstream.behaviour;
    const mode = behaviour.mode ?? 'answer';
    if (mode === 'echo') {
      this.socket.send(bytes, { binary: isBinary });
      return;
    }
    if (isBinary) return;
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(frame.text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
      event = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    this.events.push(event);
    if (mode === 'answer') this.answer(event);
  }

  private answer(event: Record<string, unknown>): void {
    const eventId = typeof event.event_id === 'string' ? event.event_id : null;
    switch (event.type) {
      case 'session.update':
        this.send({
          type: 'session.updated',
          event_id: newEventId(),
          session: { ...this.sessionObject(), ...(event.session as object) },
        });
        return;
      case 'conversation.item.create': {
        const item = { id: newItemId(), ...(event.item as object) };
        this.send({ type: 'conversation.item.added', event_id: newEventId(), previous_item_id: null, item });
        return;
      }
      case 'input_audio_buffer.append':
        // One audio delta per audio chunk, so audio flows both ways at the same rate.
        this.send({
          type: 'response.output_audio.delta',
          event_id: newEventId(),
          response_id: 'resp_audio',
          item_id: 'item_audio',
          output_index: 0,
          content_index: 0,
          delta: event.audio,
        });
        return;
      case 'response.create':
        this.respond();
        return;
      case 'input_audio_buffer.commit':
      case 'input_audio_buffer.clear':
      case 'response.cancel':
      case 'conversation.item.delete':
      case 'conversation.item.truncate':
      case 'conversation.item.retrieve':
      case 'output_audio_buffer.clear':
        return;
      default:
        this.send({
          type: 'error',
          event_id: newEventId(),
          error: {
            type: 'invalid_request_error',
            code: 'invalid_value',
            message: `Invalid value: '${String(event.type)}'.`,
            param: 'type',
            event_id: eventId,
          },
        });
    }
  }

  private sessionObject(): Record<string, unknown> {
    return {
      type: 'realtime',
      object: 'realtime.session',
      id: this.sessionId,
      model: this.query.get('model') ?? 'gpt-realtime',
      output_modalities: ['audio'],
    };
  }

  /** Sends session.created; called once the connection opens. */
  greet(): void {
    this.send({ type: 'session.created', event_id: newEventId(), session: this.sessionObject() });
  }

  private respond(): void {
    const behaviour = this.upstream.behaviour;
    const responseId = newResponseId();
    const itemId = newItemId();
    const position = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
    const words = Array.from({ length: behaviour.deltas ?? 3 }, (_, i) => `word${i} `);
    const events: object[] = [
      {
        type: 'response.created',
        event_id: newEventId(),
        response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] },
      },
      ...words.map((delta) => ({
        type: 'response.output_text.delta',
        event_id: newEventId(),
        ...position,
        delta,
      })),
      { type: 'response.output_text.done', event_id: newEventId(), ...position, text: words.join('') },
      {
        type: 'response.done',
        event_id: newEventId(),
        response: {
          id: responseId,
          object: 'realtime.response',
          status: 'completed',
          output: [
            {
              id: itemId,
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: words.join('') }],
            },
          ],
          usage: {
            total_tokens: 30,
            input_tokens: 10,
            output_tokens: 20,
            input_token_details: { cached_tokens: 4, text_tokens: 6, image_tokens: 0, audio_tokens: 4 },
            output_token_details: { text_tokens: 5, audio_tokens: 15 },
          },
        },
      },
    ];
    const dieAfter = behaviour.dieAfterResponseEvents;
    for (let i = 0; i < events.length; i++) {
      if (dieAfter !== undefined && i === dieAfter) {
        this.terminate();
        return;
      }
      this.send(events[i]!);
    }
  }
}

/** The default REST answer: `POST /v1/realtime/calls` gets an SDP answer and a `Location`; anything else is echoed as JSON. */
export function defaultHttpAnswer(request: RecordedRequest): HttpAnswer {
  const path = request.url.split('?')[0]!;
  if (request.method === 'POST' && path === '/v1/realtime/calls') {
    const callId = newId('rtc');
    return {
      status: 201,
      headers: { 'content-type': 'application/sdp', location: `/v1/realtime/calls/${callId}` },
      body: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=answer\r\n',
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      method: request.method,
      url: request.url,
      content_type: request.headers['content-type'] ?? null,
      body: request.body.toString('utf8'),
    }),
  };
}

/** A running test upstream. */
export interface TestUpstream {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly httpUrl: string;
  readonly port: number;
  behaviour: TestUpstreamBehaviour;
  /** Accepted connections, in order. */
  readonly connections: UpstreamConnection[];
  /** Every HTTP request received, upgrades (accepted or refused) and REST alike. */
  readonly requests: RecordedRequest[];
  /** The next accepted connection not yet taken by this method. */
  nextConnection(): Promise<UpstreamConnection>;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

function refusalFor(behaviour: TestUpstreamBehaviour, request: RecordedRequest): Refusal | null {
  const refuse = behaviour.refuse;
  if (refuse === undefined) return null;
  return typeof refuse === 'function' ? refuse(request) : refuse;
}

function writeRefusal(socket: Socket, refusal: Refusal): void {
  const body = JSON.stringify(
    refusal.body ?? {
      error: {
        type: 'invalid_request_error',
        code: 'refused',
        message: 'Refused by the test upstream.',
        param: null,
      },
    },
  );
  const headers = { 'content-type': 'application/json', ...refusal.headers };
  const lines = [`HTTP/1.1 ${refusal.status} Refused`, `content-length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\nconnection: close\r\n\r\n${body}`);
}

function record(request: IncomingMessage, body: Buffer): RecordedRequest {
  return { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body };
}

/**
 * Starts a test upstream on 127.0.0.1 and a free port.
 *
 * @example
 * const upstream = await startTestUpstream({ refuse: { status: 503 } });
 */
export async function startTestUpstream(behaviour: TestUpstreamBehaviour = {}): Promise<TestUpstream> {
  const connections: UpstreamConnection[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Waiter<UpstreamConnection>[] = [];
  let taken = 0;
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({
    noServer: true,
    // Pongs are sent by UpstreamConnection, so that a test can make the upstream stop answering.
    autoPong: false,
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks));
      requests.push(recorded);
      const answer = (upstream.behaviour.http ?? defaultHttpAnswer)(recorded);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const recorded = record(req, Buffer.alloc(0));
    requests.push(recorded);
    const refusal = refusalFor(upstream.behaviour, recorded);
    if (refusal !== null) {
      writeRefusal(socket, refusal);
      return;
    }
    const complete = (): void => {
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new UpstreamConnection(ws, recorded, upstream);
        connections.push(conn);
        if (upstream.behaviour.pauseReading) conn.pauseReading();
        if (upstream.behaviour.sessionCreated !== false) conn.greet();
        const waiter = waiters.shift();
        if (waiter !== undefined) {
          taken++;
          waiter(conn);
        }
      });
    };
    const delay = upstream.behaviour.upgradeDelayMs ?? 0;
    if (delay > 0) setTimeout(complete, delay).unref();
    else complete();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  const upstream: TestUpstream = {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    behaviour,
    connections,
    requests,
    nextConnection() {
      const conn = connections[taken];
      if (conn !== undefined) {
        taken++;
        return Promise.resolve(conn);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
        wss.close();
        server.close(() => resolve());
      });
      return closing;
    },
  };
  return upstream;
}

/** Whether a socket is still open, for assertions after a close. */
export function isOpen(socket: WebSocket): boolean {
  return socket.readyState === WebSocket.OPEN;
}
