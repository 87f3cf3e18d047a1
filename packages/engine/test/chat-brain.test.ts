/**
 * The chat brain against a real Chat Completions backend on loopback, started here, that
 * answers each request the way the test asks: a streamed answer, an error status, a stream
 * that is not chunks, a stream that breaks off. Every failure must reach the client the way
 * OpenAI reports one (`response.done` failed with `status_details.error`, and an `error`
 * event) and the operator as a report naming the response.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { BrainError } from '../src/index.js';
import {
  type CheckedEngine,
  EngineClient,
  type Event,
  startCheckedEngine,
  userText,
} from './support/engine-client.js';

type Answer = (res: ServerResponse, request: Event) => void;

const sse = (res: ServerResponse, events: readonly unknown[]) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events)
    res.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`);
};
const text = (content: string) => ({ choices: [{ index: 0, delta: { content } }] });
const finish = { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };

const good: Answer = (res) => {
  sse(res, [text('Hello'), text(' there'), finish, '[DONE]']);
  res.end();
};

let backend: Server;
let backendUrl: string;
let answer: Answer = good;
const requests: Event[] = [];
const brainErrors: { error: BrainError; sessionId: string; responseId: string }[] = [];
let engine: CheckedEngine;

before(async () => {
  backend = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = JSON.parse(body) as Event;
      requests.push(request);
      answer(res, request);
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
  engine = await startCheckedEngine({
    brain: { type: 'chat', baseUrl: backendUrl, model: 'local', apiKey: 'sk-test' },
    onBrainError: (error, sessionId, responseId) => brainErrors.push({ error, sessionId, responseId }),
  });
});
after(async () => {
  await engine.close();
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
  assert.deepEqual(engine.nonConforming, [], 'every event passes the strict parser and the spec schema');
});
beforeEach(() => {
  answer = good;
  requests.length = 0;
  brainErrors.length = 0;
});

async function textSession(on: CheckedEngine = engine): Promise<{ client: EngineClient; sessionId: string }> {
  const client = await EngineClient.open(`${on.url}?model=gpt-realtime`);
  const created = await client.waitFor('session.created');
  client.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: '',
      output_modalities: ['text'],
      audio: { input: { turn_detection: null } },
    },
  });
  await client.waitFor('session.updated');
  return { client, sessionId: (created.session as Event).id as string };
}

/** Asks for a response to `what`; returns the events up to its `response.done`. */
async function ask(client: EngineClient, what: string): Promise<{ events: Event[]; response: Event }> {
  client.send(userText(what));
  client.send({ type: 'response.create', event_id: 'evt_ask' });
  const events = await client.until('response.done');
  return { events, response: events.at(-1)!.response as Event };
}

/** Checks that a response failed as OpenAI reports it, and that the operator was told; returns the error. */
function assertFailed(
  events: readonly Event[],
  response: Event,
  sessionId: string,
  type: string,
  code: string,
): { type: string; code: string; message: string } {
  assert.equal(response.status, 'failed');
  const details = response.status_details as {
    type: string;
    error: { type: string; code: string; message: string };
  };
  assert.equal(details.type, 'failed');
  assert.equal(details.error.type, type);
  assert.equal(details.error.code, code);
  assert.ok(details.error.message.length > 0);
  const errors = events.filter((e) => e.type === 'error');
  assert.equal(errors.length, 1, 'one error event');
  assert.deepEqual(errors[0]!.error, { ...details.error, param: null, event_id: 'evt_ask' });
  assert.ok(
    events.indexOf(errors[0]!) < events.length - 1,
    'the error event comes before response.done, which ends the response',
  );
  assert.equal(brainErrors.length, 1, 'the operator hears of it once');
  assert.equal(brainErrors[0]!.sessionId, sessionId);
  assert.equal(brainErrors[0]!.responseId, response.id);
  assert.equal(brainErrors[0]!.error.code, code);
  return details.error;
}

describe('chat brain failures', () => {
  test('a good streamed answer completes, with the key and the conversation sent', async () => {
    const { client } = await textSession();
    const { events, response } = await ask(client, 'hi');
    assert.equal(response.status, 'completed');
    assert.equal(events.find((e) => e.type === 'response.output_text.done')?.text, 'Hello there');
    assert.equal(events.filter((e) => e.type === 'error').length, 0);
    assert.deepEqual(requests[0]!.messages, [{ role: 'user', content: 'hi' }]);
    assert.equal(requests[0]!.stream, true);
    assert.deepEqual(brainErrors, []);
    client.close();
  });

  test('an answer that ends with a finish_reason but no [DONE] completes', async () => {
    answer = (res) => {
      sse(res, [text('Fine'), finish]);
      res.end();
    };
    const { client } = await textSession();
    const { response } = await ask(client, 'hi');
    assert.equal(response.status, 'completed');
    client.close();
  });

  test('a 500 fails the response with the backend status and message; the session goes on', async () => {
    answer = (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model crashed', type: 'server_error' } }));
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    const error = assertFailed(events, response, sessionId, 'server_error', 'chat_backend_error');
    assert.match(error.message, /500/);
    assert.match(error.message, /model crashed/);
    answer = good;
    brainErrors.length = 0;
    assert.equal((await ask(client, 'again')).response.status, 'completed');
    client.close();
  });

  test('a 401 is reported as the engine credentials refused, not as the client', async () => {
    answer = (res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } }));
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    const error = assertFailed(events, response, sessionId, 'server_error', 'chat_backend_auth_failed');
    assert.match(error.message, /401/);
    assert.match(error.message, /Incorrect API key provided/);
    client.close();
  });

  test('a stream whose event is not JSON fails as an invalid stream', async () => {
    answer = (res) => {
      sse(res, [text('Hel'), '{"choices": [{"delta": {"content": "lo"']);
      res.end('data: [DONE]\n\n');
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    const error = assertFailed(events, response, sessionId, 'server_error', 'chat_backend_invalid_stream');
    assert.match(error.message, /not JSON/);
    client.close();
  });

  test('a backend that error-chunks mid-stream fails with its message', async () => {
    answer = (res) => {
      sse(res, [text('Hel'), { error: { message: 'context length exceeded' } }]);
      res.end();
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    const error = assertFailed(events, response, sessionId, 'server_error', 'chat_backend_error');
    assert.match(error.message, /context length exceeded/);
    client.close();
  });

  test('a stream that breaks off mid-answer fails; what was said stays as an incomplete message', async () => {
    answer = (res) => {
      sse(res, [text('Hel')]);
      // The chunked body never ends: the connection drops after the first event is out.
      setImmediate(() => res.socket?.destroy());
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    const error = assertFailed(
      events,
      response,
      sessionId,
      'server_error',
      'chat_backend_stream_interrupted',
    );
    assert.match(error.message, /broke off/);
    const output = response.output as { status: string; content: { text: string }[] }[];
    assert.equal(output.length, 1);
    assert.equal(output[0]!.status, 'incomplete');
    assert.equal(output[0]!.content[0]!.text, 'Hel');
    assert.equal(events.find((e) => e.type === 'response.output_text.done')?.text, 'Hel');
    client.close();
  });

  test('a stream that ends with neither finish_reason nor [DONE] fails as interrupted', async () => {
    answer = (res) => {
      sse(res, [text('Hel')]);
      res.end();
    };
    const { client, sessionId } = await textSession();
    const { events, response } = await ask(client, 'hi');
    assertFailed(events, response, sessionId, 'server_error', 'chat_backend_stream_interrupted');
    client.close();
  });

  test('a backend nobody listens on fails as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const errors: BrainError[] = [];
    const lonely = await startCheckedEngine({
      brain: { type: 'chat', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'local' },
      onBrainError: (error) => errors.push(error),
    });
    try {
      const { client } = await textSession(lonely);
      const { events, response } = await ask(client, 'hi');
      assert.equal(response.status, 'failed');
      const details = response.status_details as { error: { code: string; message: string } };
      assert.equal(details.error.code, 'chat_backend_unreachable');
      assert.match(details.error.message, /ECONNREFUSED/);
      assert.equal(events.filter((e) => e.type === 'error').length, 1);
      assert.equal(errors.length, 1);
      client.close();
      assert.deepEqual(lonely.nonConforming, []);
    } finally {
      await lonely.close();
    }
  });
});

describe('chat brain and audio', () => {
  /** Appends 200 ms of 24 kHz PCM16 and commits it: a spoken user turn. */
  function speak(client: EngineClient): void {
    client.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(9600).toString('base64') });
    client.send({ type: 'input_audio_buffer.commit' });
  }

  test('an audio-only turn is refused with a clear error and never reaches the backend', async () => {
    const { client, sessionId } = await textSession();
    // With transcription on, the engine's placeholder transcript must not pass for the user's words.
    client.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-transcribe' } } } },
    });
    await client.waitFor('session.updated');
    speak(client);
    await client.waitFor('conversation.item.input_audio_transcription.completed');
    client.send({ type: 'response.create', event_id: 'evt_ask' });
    const events = await client.until('response.done');
    const response = events.at(-1)!.response as Event;
    const error = assertFailed(
      events,
      response,
      sessionId,
      'invalid_request_error',
      'audio_input_not_supported',
    );
    assert.match(error.message, /no speech recognition/);
    assert.match(error.message, /input_text/);
    assert.equal(requests.length, 0, 'the backend was not asked');
    assert.deepEqual(response.output, []);
    client.close();
  });

  test('after a refused audio turn, a text turn reaches the backend without an empty user message', async () => {
    const { client } = await textSession();
    speak(client);
    await client.waitFor('input_audio_buffer.committed');
    client.send({ type: 'response.create' });
    assert.equal(((await client.waitFor('response.done')).response as Event).status, 'failed');
    const { response } = await ask(client, 'typed instead');
    assert.equal(response.status, 'completed');
    assert.deepEqual(requests[0]!.messages, [{ role: 'user', content: 'typed instead' }]);
    client.close();
  });
});

describe('parallel_tool_calls', () => {
  const weather = { type: 'function', name: 'weather', parameters: { type: 'object' } };

  async function sentToBackend(session: object): Promise<Event> {
    const { client } = await textSession();
    client.send({ type: 'session.update', session: { type: 'realtime', tools: [weather], ...session } });
    await client.waitFor('session.updated');
    await ask(client, 'What is the weather?');
    client.close();
    return requests.at(-1)!;
  }

  test('false is passed on to the backend, which then proposes one call', async () => {
    assert.equal((await sentToBackend({ parallel_tool_calls: false })).parallel_tool_calls, false);
  });

  test("true or unset leaves the backend's default", async () => {
    assert.equal('parallel_tool_calls' in (await sentToBackend({ parallel_tool_calls: true })), false);
    assert.equal('parallel_tool_calls' in (await sentToBackend({})), false);
  });
});
