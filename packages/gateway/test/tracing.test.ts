/**
 * OpenTelemetry traces: a session is a trace (the upstream connect, each response with its usage
 * in GenAI attributes, each MCP tool call), exported over OTLP/HTTP to a collector the test runs;
 * the client's `traceparent` is honoured; text goes in only when configured, audio and keys never.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type CheckedEngine, startCheckedEngine } from '../../engine/test/support/engine-client.js';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { resolveTelemetry } from '../src/config/telemetry.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { NO_TRACING, startTracing } from '../src/observability/tracing.js';
import {
  connect,
  eventually,
  expectRefused,
  keyEntry,
  type TestClient,
  testConfig,
} from './support/harness.js';
import { stdioServerSpec } from './support/mcp-http-server.js';
import { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from './support/otlp-collector.js';

const MODEL = 'gpt-realtime';
const KEY = 'rg-trace-key-secret';

let engine: CheckedEngine;
let collector: OtlpCollector;

before(async () => {
  engine = await startCheckedEngine({ deltaDelayMs: 1 });
  collector = await startOtlpCollector();
});

after(async () => {
  await engine.close();
  await collector.close();
});

/** A gateway in front of the engine, exporting to the collector, with one MCP server. */
async function tracedGateway(input: GatewayConfigInput = {}): Promise<Gateway> {
  const crm = stdioServerSpec('crm');
  if (crm.kind !== 'stdio') throw new Error('expected stdio');
  const gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
      auth: { keys: [keyEntry('app', KEY)] },
      mcp: { servers: [{ name: 'crm', transport: 'stdio', command: crm.command, args: [...crm.args] }] },
      telemetry: { otlp: { endpoint: collector.url }, serviceName: 'gateway-under-test' },
      ...input,
    }),
  });
  await gateway.listen();
  return gateway;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A text turn and its whole answer (a tool call's response and the follow-up after it). */
async function say(client: TestClient, text: string): Promise<Record<string, unknown>[]> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  client.send({ type: 'response.create', response: { output_modalities: ['text'] } });
  const done: Record<string, unknown>[] = [];
  for (;;) {
    const event = await client.next();
    if (event.type !== 'response.done') continue;
    done.push(event);
    const output = (event.response as { output?: { type: string }[] }).output ?? [];
    if (!output.some((item) => item.type === 'mcp_call' || item.type === 'function_call')) return done;
  }
}

/** Opens a session whose MCP tools the upstream has been told of. */
async function open(gateway: Gateway, headers: Record<string, string> = {}): Promise<TestClient> {
  const client = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`, {
    headers: { authorization: `Bearer ${KEY}`, ...headers },
  });
  await client.waitFor('session.created');
  for (let attempt = 0; attempt < 40; attempt++) {
    const [first] = await say(client, 'call crm__echo {"text":"ready"}');
    const output = (first!.response as { output?: { type: string }[] }).output ?? [];
    if (output.some((item) => item.type === 'mcp_call')) return client;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the gateway never offered the MCP tools');
}

const byTrace = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);
const named = (spans: readonly ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('a session is a trace', () => {
  test("its connect, each response with its usage, each tool call, under the client's traceparent", async () => {
    const gateway = await tracedGateway();
    const traceId = hex(16);
    const parentId = hex(8);
    const client = await open(gateway, { traceparent: `00-${traceId}-${parentId}-01` });
    const seen = await say(client, 'call crm__echo {"text":"words of the user"}');
    client.socket.close();
    await client.closed;
    await eventually(() => gateway.registry.size === 0, 5000, 'the session to end');
    await gateway.close();

    const spans = byTrace(traceId);
    const [session] = named(spans, 'realtime.session');
    assert.ok(session, JSON.stringify(spans.map((s) => s.name)));
    assert.equal(session.parentSpanId, parentId, "the client's span is the session's parent");
    assert.equal(session.kind, 2, 'a server span');
    assert.equal(session.resource['service.name'], 'gateway-under-test');
    assert.equal(session.attributes['gen_ai.request.model'], MODEL);
    assert.equal(session.attributes['realtime_gateway.key.id'], 'app');
    assert.equal(session.attributes['realtime_gateway.upstream.name'], 'engine');
    assert.equal(session.attributes['realtime_gateway.transport'], 'websocket');
    assert.equal(session.attributes['realtime_gateway.session.end_cause'], 'client_closed');
    assert.match(String(session.attributes['realtime_gateway.session.id']), /^sess_/);
    assert.ok(Number(session.attributes['realtime_gateway.upstream.frames']) > 0);
    assert.equal(typeof session.attributes['realtime_gateway.upstream.session_id'], 'string');
    for (const span of spans.filter((s) => s !== session))
      assert.equal(span.parentSpanId, session.spanId, `${span.name} is a child of the session`);

    const [connecting] = named(spans, 'upstream.connect');
    assert.ok(connecting);
    assert.equal(connecting.kind, 3, 'a client span');
    assert.deepEqual(
      connecting.events.map((e) => [e.name, e.attributes.outcome]),
      [['attempt', 'connected']],
    );

    // Every response the client saw is a span with the usage the client saw.
    const responses = named(spans, `chat ${MODEL}`);
    const clientIds = new Set(
      client.frames
        .map((f) => JSON.parse(f.data.toString()) as { type: string; response?: { id: string } })
        .filter((e) => e.type === 'response.done')
        .map((e) => e.response!.id),
    );
    assert.deepEqual(new Set(responses.map((r) => r.attributes['gen_ai.response.id'])), clientIds);
    for (const event of seen) {
      const response = event.response as { id: string; status: string; usage: Record<string, number> };
      const span = responses.find((r) => r.attributes['gen_ai.response.id'] === response.id)!;
      assert.equal(span.attributes['gen_ai.operation.name'], 'chat');
      assert.equal(span.attributes['gen_ai.usage.input_tokens'], response.usage.input_tokens);
      assert.equal(span.attributes['gen_ai.usage.output_tokens'], response.usage.output_tokens);
      assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], [response.status]);
    }

    const tools = named(spans, 'execute_tool echo');
    assert.equal(tools.length, 2, 'the ready probe and the call');
    assert.equal(tools[0]!.kind, 3);
    assert.equal(tools[0]!.attributes['gen_ai.tool.name'], 'echo');
    assert.equal(tools[0]!.attributes['realtime_gateway.mcp.server'], 'crm');
    assert.equal(tools[0]!.status.code, 0);

    // What the user said and the gateway key are nowhere in what was exported.
    const exported = collector.bodies.join('\n');
    assert.ok(!exported.includes('words of the user'));
    assert.ok(!exported.includes(KEY));
    assert.ok(!exported.includes('gen_ai.output.messages'));
  });

  test('with recordText, answers and input transcripts go in; audio never does', async () => {
    const gateway = await tracedGateway({
      telemetry: { otlp: { endpoint: collector.url }, recordText: true },
    });
    const traceId = hex(16);
    const client = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`, {
      headers: { authorization: `Bearer ${KEY}`, traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    await client.waitFor('session.created');
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        audio: { input: { transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null } },
      },
    });
    await client.waitFor('session.updated');
    const audio = Buffer.alloc(9600, 7).toString('base64');
    client.send({ type: 'input_audio_buffer.append', audio });
    client.send({ type: 'input_audio_buffer.commit' });
    await client.waitFor('conversation.item.input_audio_transcription.completed');
    const [done] = await say(client, 'hello there');
    const answer = (done!.response as { output: { content: { text: string }[] }[] }).output[0]!.content[0]!
      .text;
    client.socket.close();
    await eventually(() => gateway.registry.size === 0, 5000, 'the session to end');
    await gateway.close();

    const spans = byTrace(traceId);
    const [response] = named(spans, `chat ${MODEL}`);
    const messages = JSON.parse(String(response!.attributes['gen_ai.output.messages'])) as {
      role: string;
      parts: { content: string }[];
    }[];
    assert.deepEqual(messages, [{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]);
    const [session] = named(spans, 'realtime.session');
    const transcribed = session!.events.find((e) => e.name === 'input_audio_transcription.completed');
    assert.equal(transcribed?.attributes['realtime_gateway.transcript'], 'audio of 0.2 seconds');
    assert.equal(transcribed?.attributes['realtime_gateway.usage.audio_seconds'], 0.2);
    assert.ok(!collector.bodies.join('\n').includes(audio.slice(0, 64)));
  });

  test('a refused session is a trace of the refusal', async () => {
    const gateway = await tracedGateway();
    const traceId = hex(16);
    const refused = await expectRefused(`${gateway.address!.realtimeUrl}?model=${MODEL}`, {
      headers: { authorization: 'Bearer rg-wrong', traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    assert.equal(refused.status, 401);
    await gateway.close();
    const [session] = named(byTrace(traceId), 'realtime.session');
    assert.ok(session);
    assert.equal(session.status.code, 2, 'an error status');
    assert.equal(session.attributes['http.response.status_code'], 401);
    assert.equal(session.attributes['error.type'], JSON.parse(refused.body).error.code);
  });

  test("sampleRatio 0 records no session of its own, but a client's sampled traceparent is followed", async () => {
    const gateway = await tracedGateway({ telemetry: { otlp: { endpoint: collector.url }, sampleRatio: 0 } });
    const before = collector.spans.length;
    const unsampled = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    await unsampled.waitFor('session.created');
    unsampled.socket.close();
    const traceId = hex(16);
    const sampled = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`, {
      headers: { authorization: `Bearer ${KEY}`, traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    await sampled.waitFor('session.created');
    sampled.socket.close();
    await eventually(() => gateway.registry.size === 0, 5000, 'the sessions to end');
    await gateway.close();
    const exported = collector.spans.slice(before);
    assert.ok(exported.length > 0);
    assert.ok(
      exported.every((s) => s.traceId === traceId),
      'only the sampled client trace',
    );
  });
});

describe('telemetry configuration', () => {
  test('off by default: nothing is exported and no SDK is started', async () => {
    const config = testConfig({});
    assert.equal(config.telemetry.otlp, null);
    assert.equal(
      await startTracing(config.telemetry, { instanceId: 'x', version: '0' }, () => {}),
      NO_TRACING,
    );
  });

  test('an endpoint is a base URL or the traces URL; headers come from the environment', () => {
    const errors: { field: string; message: string }[] = [];
    const base = resolveTelemetry(
      { otlp: { endpoint: 'https://collector.example:4318/', headersEnv: 'OTLP_HEADERS' } },
      { OTLP_HEADERS: 'Authorization=Bearer%20abc, x-team=voice' },
      errors,
    );
    assert.equal(errors.length, 0, JSON.stringify(errors));
    assert.equal(base.otlp?.url, 'https://collector.example:4318/v1/traces');
    assert.deepEqual(base.otlp?.headers, { authorization: 'Bearer abc', 'x-team': 'voice' });
    assert.equal(
      resolveTelemetry({ otlp: { endpoint: 'http://c:4318/otlp/v1/traces' } }, {}, errors).otlp?.url,
      'http://c:4318/otlp/v1/traces',
    );
    resolveTelemetry({ otlp: { endpoint: 'ftp://c', headersEnv: 'MISSING' } }, {}, errors);
    assert.deepEqual(
      errors.map((e) => e.field),
      ['telemetry.otlp.endpoint', 'telemetry.otlp.headersEnv'],
    );
    resolveTelemetry(
      { otlp: { endpoint: 'http://c', headersEnv: 'BAD' } },
      { BAD: 'no-equals-sign' },
      errors,
    );
    assert.match(errors.at(-1)!.message, /name=value/);
  });

  test('a collector that refuses exports is logged, not silent', async () => {
    const lines: { msg: string; spans?: number }[] = [];
    const log = {
      debug() {},
      info() {},
      warn(fields: object, msg: string) {
        lines.push({ msg, ...(fields as { spans?: number }) });
      },
      error() {},
    };
    collector.failWith(400);
    try {
      const gateway = createGateway({
        config: testConfig({
          upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
          telemetry: { otlp: { endpoint: collector.url } },
        }),
        log,
      });
      await gateway.listen();
      const client = await connect(`${gateway.address!.realtimeUrl}?model=${MODEL}`);
      await client.waitFor('session.created');
      client.socket.close();
      await eventually(() => gateway.registry.size === 0, 5000, 'the session to end');
      await gateway.close();
    } finally {
      collector.failWith(null);
    }
    const failure = lines.find((l) => l.msg === 'traces could not be exported');
    assert.ok(failure, JSON.stringify(lines));
    assert.ok((failure.spans ?? 0) >= 2);
  });
});
