/**
 * MCP tools inside a WebRTC call, as inside a WebSocket session: a werift caller talks to the
 * gateway over the data channel, the reference engine calls an operator MCP server's tool (a
 * real stdio server), the gateway runs it, and the model's answer comes back on the channel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { delay, testConfig } from './support/harness.js';
import { stdioServerSpec } from './support/mcp-http-server.js';
import { TestCaller } from './support/webrtc-client.js';

let engine: EmbeddedEngine;
let gateway: Gateway;
let base: string;
const caller = new TestCaller();

before(async () => {
  engine = (await startEmbeddedEngine())!;
  const crm = stdioServerSpec('crm');
  if (crm.kind !== 'stdio') throw new Error('expected stdio');
  gateway = createGateway({
    config: testConfig({
      upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
      webrtc: { iceAddresses: ['127.0.0.1'] },
      mcp: { servers: [{ name: 'crm', transport: 'stdio', command: crm.command, args: [...crm.args] }] },
      log: { level: 'silent' },
    }),
  });
  base = (await gateway.listen()).url;
});

after(async () => {
  await caller.close().catch(() => {});
  await gateway.close();
  await engine.close();
});

function say(text: string): void {
  caller.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  caller.send({ type: 'response.create' });
}

describe('MCP tools in a call', () => {
  test("the operator's tool runs inside the call and the model's answer comes back on the data channel", async () => {
    const answer = await fetch(`${base}/v1/realtime/calls?model=gpt-realtime`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: await caller.offer(),
    });
    assert.equal(answer.status, 201);
    await caller.accept(await answer.text());
    await caller.opened();
    await caller.waitFor('session.created');
    caller.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    await caller.waitFor('session.updated');
    // A stdio server takes a moment to start and list its tools: ask until the tool is there.
    let text = '';
    for (let attempt = 0; attempt < 40; attempt++) {
      const from = caller.events.length;
      say('call crm__echo {"text":"from a call"}');
      text = (await caller.waitFor('response.output_text.done', 10_000, from)).text as string;
      if (!text.startsWith('There is no tool')) {
        const added = caller.events.slice(from).find((event) => event.type === 'response.output_item.added');
        assert.equal((added?.item as { type?: string } | undefined)?.type, 'mcp_call');
        break;
      }
      await delay(250);
    }
    assert.equal(text, 'The crm__echo tool returned: crm echo: from a call');
  });
});
