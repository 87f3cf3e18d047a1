/**
 * MCP tools run by the gateway, end to end: the openai SDK as the client, the gateway, the
 * reference engine as the model (its echo brain calls tools on a `call <tool> {…}` directive),
 * and real MCP servers started here (stdio child process and Streamable HTTP on loopback).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newItemId } from '@realtime-gateway/protocol';
import { type CheckedEngine, startCheckedEngine } from '../../engine/test/support/engine-client.js';
import { openSdkSession, type SdkSession } from '../examples/sdk-session.js';
import { selfSignedCertificate, type TestCertificate } from '../examples/tls-certificate.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { delay, testConfig } from './support/harness.js';
import { startMcpHttpServer, stdioServerSpec, type TestMcpHttpServer } from './support/mcp-http-server.js';

let engine: CheckedEngine;
let gateway: Gateway;
let http: TestMcpHttpServer;
let certificate: TestCertificate;

before(async () => {
  certificate = await selfSignedCertificate();
  http = await startMcpHttpServer('web');
  engine = await startCheckedEngine({ deltaDelayMs: 2 });
  const crm = stdioServerSpec('crm');
  if (crm.kind !== 'stdio') throw new Error('expected stdio');
  gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
      server: { tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } },
      mcp: {
        servers: [
          { name: 'crm', transport: 'stdio', command: crm.command, args: [...crm.args], callTimeoutMs: 1000 },
        ],
        callEvents: 'mcp',
        allowedServerUrls: [`${http.url.replace('/mcp', '')}/*`],
      },
    }),
  });
  await gateway.listen();
});

after(async () => {
  await gateway.close();
  await engine.close();
  // Conformance: every event the engine sent passes the strict parser and the shared spec schema.
  assert.ok(engine.checked() > 50);
  assert.deepEqual(engine.nonConforming, []);
  await http.close();
});

async function open(): Promise<SdkSession> {
  const session = await openSdkSession(`${gateway.address!.url}/v1`, certificate.cert);
  // The gateway gives the engine its tools once the MCP server has listed them.
  session.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await session.next('session.updated');
  // The gateway gives the engine the tools once the MCP server has listed them (a stdio server
  // takes a moment to start, or to come back after a crash): ask until the tool is there and
  // answers (a call while the server restarts returns an error output, not the echo).
  for (let attempt = 0; attempt < 40; attempt++) {
    session.say('call crm__echo {"text":"ready"}');
    if ((await answer(session)).includes('crm echo: ready')) return session;
    await delay(250);
  }
  throw new Error('the gateway never offered the MCP tools');
}

/** The text of the model's answer after the gateway's follow-up. */
async function answer(session: SdkSession, timeoutMs = 5000): Promise<string> {
  return (await session.next('response.output_text.done', timeoutMs)).text as string;
}

describe('operator MCP tools through the gateway to the engine', () => {
  test('the tool result reaches the model and its answer reaches the client', async () => {
    const session = await open();
    session.say('call crm__echo {"text":"hello mcp"}');
    const added = await session.next('response.output_item.added');
    assert.deepEqual(
      [(added.item as { type: string }).type, (added.item as { name: string }).name],
      ['mcp_call', 'echo'],
    );
    const done = await session.next('response.output_item.done');
    assert.equal((done.item as { output: string }).output, 'crm echo: hello mcp');
    assert.equal(await answer(session), 'The crm__echo tool returned: crm echo: hello mcp');
    session.rt.close();
  });

  test('two parallel calls: both outputs, in call order, one answer', async () => {
    const session = await open();
    const from = session.events.length;
    session.say('call crm__sleep {"ms":300} call crm__add {"a":1,"b":2}');
    assert.equal(
      await answer(session),
      'The crm__sleep tool returned: slept 300 ms The crm__add tool returned: {"sum":3}',
    );
    assert.equal(
      session.events.slice(from).filter((e) => e.type === 'response.mcp_call.completed').length,
      2,
    );
    session.rt.close();
  });

  test('a timeout gives the model an error output; the session goes on', async () => {
    const session = await open();
    session.say('call crm__sleep {"ms":3000}');
    await session.next('response.mcp_call.failed', 4000);
    assert.match(await answer(session), /"type":"protocol_error".*timed out after 1000 ms/);
    session.say('still there?');
    assert.equal(await answer(session), 'You said: still there?');
    session.rt.close();
  });

  test('a crashed server gives the model an error output', async () => {
    const session = await open();
    session.say('call crm__crash {}');
    const text = await answer(session);
    assert.ok(text.startsWith('The crm__crash tool returned:'), text);
    session.rt.close();
  });

  test('response.cancel cancels the pending call; no answer follows', async () => {
    const session = await open();
    const from = session.events.length;
    session.say('call crm__sleep {"ms":800}');
    await session.next('response.mcp_call.in_progress');
    session.rt.send({ type: 'response.cancel' });
    const done = (await session.next('response.done')).response as { status: string };
    assert.equal(done.status, 'cancelled');
    await delay(1200);
    assert.equal(session.events.slice(from).filter((e) => e.type === 'response.created').length, 1);
    session.rt.close();
  });

  test('a client session.update during a call keeps the gateway tools; the answer still comes', async () => {
    const session = await open();
    session.say('call crm__sleep {"ms":300}');
    await session.next('response.mcp_call.in_progress');
    session.rt.send({
      type: 'session.update',
      session: { type: 'realtime', tools: [], instructions: 'Short answers.' },
    });
    assert.equal(await answer(session), 'The crm__sleep tool returned: slept 300 ms');
    session.say('call crm__echo {"text":"after update"}');
    assert.equal(await answer(session), 'The crm__echo tool returned: crm echo: after update');
    session.rt.close();
  });
});

describe('client-declared MCP tools, emulated for the engine', () => {
  async function declare(
    session: SdkSession,
    requireApproval: 'always' | 'never',
    url = http.url,
  ): Promise<void> {
    session.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [{ type: 'mcp', server_label: 'web', server_url: url, require_approval: requireApproval }],
      },
    });
  }

  test('a server outside the allowlist is refused', async () => {
    const session = await open();
    await declare(session, 'never', 'http://10.0.0.1/mcp');
    const error = (await session.next('error')).error as { code: string };
    assert.equal(error.code, 'mcp_server_not_allowed');
    session.rt.close();
  });

  for (const approve of [true, false]) {
    test(`approval ${approve ? 'accepted' : 'rejected'}`, async () => {
      const session = await open();
      await declare(session, 'always');
      await session.next('mcp_list_tools.completed');
      await delay(100);
      session.say('call web__echo {"text":"please"}');
      let request = await session.next('conversation.item.added');
      while ((request.item as { type: string }).type !== 'mcp_approval_request')
        request = await session.next('conversation.item.added');
      const requestItem = request.item as { id: string };
      session.rt.send({
        type: 'conversation.item.create',
        item: {
          type: 'mcp_approval_response',
          id: newItemId(),
          approval_request_id: requestItem.id,
          approve,
          ...(approve ? {} : { reason: 'no thanks' }),
        },
      });
      const text = await answer(session);
      if (approve) assert.equal(text, 'The web__echo tool returned: web echo: please');
      else assert.match(text, /rejected the call: no thanks/);
      session.rt.close();
    });
  }
});
