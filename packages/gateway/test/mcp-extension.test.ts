/**
 * The MCP middleware inside real relayed sessions: a real MCP server (stdio child process or
 * Streamable HTTP on loopback), the gateway, and a scripted upstream that plays the model's
 * function calls event by event, so every ordering and fault can be produced exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newItemId, newResponseId } from '@realtime-gateway/protocol';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { connect, delay, type Rig, startRig, type TestClient } from './support/harness.js';
import { startMcpHttpServer, stdioServerSpec, type TestMcpHttpServer } from './support/mcp-http-server.js';
import type { UpstreamConnection } from './support/test-upstream.js';

type Event = Record<string, unknown>;

interface ScriptedCall {
  readonly name: string;
  readonly args: string;
  readonly itemId?: string;
  readonly callId?: string;
}

/** Plays a response in which the model calls functions, as an upstream streams it. */
function playCalls(
  conn: UpstreamConnection,
  calls: readonly ScriptedCall[],
  status = 'completed',
): { responseId: string; items: Event[] } {
  const responseId = newResponseId();
  const response = { object: 'realtime.response', id: responseId, status: 'in_progress', output: [] };
  conn.send({ type: 'response.created', event_id: 'event_rc', response });
  const items: Event[] = [];
  calls.forEach((call, outputIndex) => {
    const item = {
      id: call.itemId ?? newItemId(),
      object: 'realtime.item',
      type: 'function_call',
      status: 'completed',
      call_id: call.callId ?? `call_${outputIndex}${Date.now()}`,
      name: call.name,
      arguments: call.args,
    };
    items.push(item);
    const started = { ...item, status: 'in_progress', arguments: '' };
    conn.send({
      type: 'response.output_item.added',
      event_id: 'event_a',
      response_id: responseId,
      output_index: outputIndex,
      item: started,
    });
    conn.send({
      type: 'conversation.item.added',
      event_id: 'event_b',
      previous_item_id: null,
      item: started,
    });
    const position = {
      response_id: responseId,
      item_id: item.id,
      output_index: outputIndex,
      call_id: item.call_id,
    };
    conn.send({
      type: 'response.function_call_arguments.delta',
      event_id: 'event_c',
      ...position,
      delta: call.args,
    });
    conn.send({
      type: 'response.function_call_arguments.done',
      event_id: 'event_d',
      ...position,
      name: call.name,
      arguments: call.args,
    });
    conn.send({
      type: 'response.output_item.done',
      event_id: 'event_e',
      response_id: responseId,
      output_index: outputIndex,
      item,
    });
    conn.send({ type: 'conversation.item.done', event_id: 'event_f', previous_item_id: null, item });
  });
  conn.send({ type: 'response.done', event_id: 'event_g', response: { ...response, status, output: items } });
  return { responseId, items };
}

/** The upstream's events of a type, from the gateway's injections. */
function received(conn: UpstreamConnection, type: string): Event[] {
  return conn.events.filter((event) => event.type === type);
}

async function upstreamEventually(
  conn: UpstreamConnection,
  predicate: () => boolean,
  what: string,
): Promise<void> {
  for (let k = 0; k < 250; k++) {
    if (predicate()) return;
    await delay(20);
  }
  assert.fail(
    `timed out waiting for ${what}; upstream got ${JSON.stringify(conn.events.map((e) => [e.type, e.event_id]))}`,
  );
}

describe('MCP tools run by the gateway', () => {
  let http: TestMcpHttpServer;
  let rig: Rig;
  let hiddenRig: Rig;

  const mcpConfig = (callEvents: 'mcp' | 'hidden'): GatewayConfigInput['mcp'] => ({
    servers: [
      { name: 'crm', transport: 'stdio', ...stdioCommand('crm'), callTimeoutMs: 1500 },
      { name: 'kb', transport: 'http', url: http.url, models: ['kb-*'] },
    ],
    callEvents,
    allowedServerUrls: [`${http.url.replace('/mcp', '')}/*`],
  });

  before(async () => {
    http = await startMcpHttpServer('web');
    const start = async (callEvents: 'mcp' | 'hidden') => {
      // The rig's upstream is generic, so client-declared MCP tools are emulated; the gateway
      // creates its MCP extension from the configuration.
      return startRig({ mcp: mcpConfig(callEvents) }, {}, { mode: 'silent' });
    };
    rig = await start('mcp');
    hiddenRig = await start('hidden');
  });
  after(async () => {
    await rig.close();
    await hiddenRig.close();
    await http.close();
  });

  /** Opens a session and waits until the gateway has given the upstream its tools. */
  async function open(
    on: Rig = rig,
    model = 'gpt-realtime',
  ): Promise<{ client: TestClient; conn: UpstreamConnection }> {
    const connP = on.upstream.nextConnection();
    const client = await connect(`${on.url}?model=${model}`);
    const conn = await connP;
    assert.equal((await client.next()).type, 'session.created');
    await upstreamEventually(conn, () => received(conn, 'session.update').length > 0, 'the tools update');
    // The upstream answers the gateway's update; the client must not see that answer.
    const update = received(conn, 'session.update')[0]!;
    conn.send({
      type: 'session.updated',
      event_id: 'event_su',
      session: {
        type: 'realtime',
        id: conn.sessionId,
        object: 'realtime.session',
        ...(update.session as object),
      },
    });
    return { client, conn };
  }

  test('the upstream gets the operator tools as namespaced function tools; the client sees only its own', async () => {
    const { client, conn } = await open();
    const tools = (received(conn, 'session.update')[0]!.session as { tools: { name: string }[] }).tools.map(
      (t) => t.name,
    );
    assert.ok(tools.includes('crm__echo') && tools.includes('crm__sleep'), tools.join());
    assert.ok(!tools.some((name) => name.startsWith('kb__')), 'kb is only for kb-* models');
    client.send({
      type: 'session.update',
      event_id: 'event_client_update',
      session: {
        type: 'realtime',
        tools: [{ type: 'function', name: 'get_time', parameters: { type: 'object' } }],
      },
    });
    await upstreamEventually(conn, () => received(conn, 'session.update').length === 2, 'the client update');
    const forwarded = received(conn, 'session.update')[1]!;
    assert.equal(forwarded.event_id, 'event_client_update');
    const forwardedNames = (forwarded.session as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.equal(forwardedNames[0], 'get_time');
    assert.ok(forwardedNames.includes('crm__echo'));
    conn.send({
      type: 'session.updated',
      event_id: 'event_su2',
      session: { type: 'realtime', id: 's', object: 'realtime.session', ...(forwarded.session as object) },
    });
    const updated = await client.waitFor('session.updated');
    assert.deepEqual(
      (updated.session as { tools: { name: string }[] }).tools.map((t) => t.name),
      ['get_time'],
    );
    client.socket.close();
  });

  test('a call: the client sees mcp_call events, the upstream gets the output and one response.create', async () => {
    const { client, conn } = await open();
    const { responseId, items } = playCalls(conn, [{ name: 'crm__echo', args: '{"text":"hi"}' }]);
    const seen = await client.until('response.done');
    const types = seen.map((e) => e.type);
    assert.deepEqual(types, [
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.mcp_call_arguments.delta',
      'response.mcp_call_arguments.done',
      'response.mcp_call.in_progress',
      'response.mcp_call.completed',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const added = seen[1]!.item as Event;
    assert.deepEqual([added.type, added.server_label, added.name], ['mcp_call', 'crm', 'echo']);
    const doneItem = seen[7]!.item as Event;
    assert.equal(doneItem.output, 'crm echo: hi');
    assert.equal(doneItem.arguments, '{"text":"hi"}');
    const done = seen[9]!.response as { id: string; output: Event[] };
    assert.equal(done.id, responseId);
    assert.equal(done.output[0]!.type, 'mcp_call');
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    const outputs = received(conn, 'conversation.item.create').map((e) => e.item as Event);
    assert.deepEqual(
      outputs.map((i) => [i.type, i.call_id, i.output]),
      [['function_call_output', items[0]!.call_id, 'crm echo: hi']],
    );
    // The upstream echoes the injected item; that is the gateway's business, not the client's.
    conn.send({
      type: 'conversation.item.added',
      event_id: 'event_x',
      previous_item_id: null,
      item: { ...outputs[0], object: 'realtime.item' },
    });
    conn.send({
      type: 'conversation.item.done',
      event_id: 'event_y',
      previous_item_id: null,
      item: { ...outputs[0], object: 'realtime.item' },
    });
    conn.send({ type: 'rate_limits.updated', event_id: 'event_z', rate_limits: [] });
    assert.equal((await client.next()).type, 'rate_limits.updated');
    client.socket.close();
  });

  test("a response.create with its own tools keeps the gateway's", async () => {
    const { client, conn } = await open();
    client.send({
      type: 'response.create',
      event_id: 'event_own_tools',
      response: { tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }] },
    });
    await upstreamEventually(
      conn,
      () => received(conn, 'response.create').length === 1,
      'the response.create',
    );
    const create = received(conn, 'response.create')[0]!;
    assert.equal(create.event_id, 'event_own_tools');
    const names = (create.response as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.equal(names[0], 'lookup');
    assert.ok(names.includes('crm__echo'), names.join());
    client.socket.close();
  });

  test('hidden mode: the client sees none of the call, the model still gets the output', async () => {
    const { client, conn } = await open(hiddenRig);
    playCalls(conn, [{ name: 'crm__add', args: '{"a":2,"b":40}' }]);
    const seen = await client.until('response.done');
    assert.deepEqual(
      seen.map((e) => e.type),
      ['response.created', 'response.done'],
    );
    assert.deepEqual((seen[1]!.response as { output: unknown[] }).output, []);
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    assert.equal((received(conn, 'conversation.item.create')[0]!.item as Event).output, '{"sum":42}');
    client.socket.close();
  });

  test('parallel calls run concurrently; outputs go in call order, followed by one response.create', async () => {
    const { client, conn } = await open(hiddenRig);
    const started = Date.now();
    playCalls(conn, [
      { name: 'crm__sleep', args: '{"ms":400}' },
      { name: 'crm__sleep', args: '{"ms":400}' },
      { name: 'crm__echo', args: '{"text":"third"}' },
    ]);
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    assert.ok(Date.now() - started < 1100, 'the two sleeps ran at the same time');
    const outputs = received(conn, 'conversation.item.create').map((e) => (e.item as Event).output);
    assert.deepEqual(outputs, ['slept 400 ms', 'slept 400 ms', 'crm echo: third']);
    const order = conn.events
      .map((e) => e.type)
      .filter((t) => t === 'conversation.item.create' || t === 'response.create');
    assert.deepEqual(order.slice(-4), [
      'conversation.item.create',
      'conversation.item.create',
      'conversation.item.create',
      'response.create',
    ]);
    client.socket.close();
  });

  test('a call that times out gives the model an error output and the session goes on', async () => {
    const { client, conn } = await open();
    playCalls(conn, [{ name: 'crm__sleep', args: '{"ms":5000}' }]);
    const seen = await client.until('response.done');
    assert.ok(seen.some((e) => e.type === 'response.mcp_call.failed'));
    const item = seen.find((e) => e.type === 'response.output_item.done')!.item as {
      error: { type: string; message: string };
    };
    assert.equal(item.error.type, 'protocol_error');
    assert.match(item.error.message, /timed out/);
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    const output = JSON.parse(
      (received(conn, 'conversation.item.create')[0]!.item as { output: string }).output,
    );
    assert.equal(output.error.type, 'protocol_error');
    client.send({ type: 'input_audio_buffer.clear' });
    await upstreamEventually(
      conn,
      () => received(conn, 'input_audio_buffer.clear').length === 1,
      'the next client event',
    );
    client.socket.close();
  });

  test('metrics count calls by server, tool and outcome, with their latency', async () => {
    const { client, conn } = await open(hiddenRig);
    playCalls(conn, [
      { name: 'crm__echo', args: '{"text":"m"}' },
      { name: 'crm__fail', args: '{}' },
    ]);
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    const text = await (await fetch(`${hiddenRig.gateway.address!.url}/metrics`)).text();
    assert.match(
      text,
      /realtime_gateway_mcp_tool_calls_total\{server="crm",tool="echo",outcome="success"\} [1-9]/,
    );
    assert.match(
      text,
      /realtime_gateway_mcp_tool_calls_total\{server="crm",tool="fail",outcome="tool_error"\} [1-9]/,
    );
    assert.match(text, /realtime_gateway_mcp_tool_call_seconds_count\{server="crm",tool="echo"\} [1-9]/);
    client.socket.close();
  });

  test('a tool error is reported as tool_execution_error', async () => {
    const { client, conn } = await open();
    playCalls(conn, [{ name: 'crm__fail', args: '{}' }]);
    const seen = await client.until('response.done');
    const item = seen.find((e) => e.type === 'response.output_item.done')!.item as { error: Event };
    assert.deepEqual(item.error, { type: 'tool_execution_error', message: 'the tool failed on purpose' });
    client.socket.close();
  });

  test('response.cancel while a call runs cancels it: no output, no follow-up, the response ends cancelled', async () => {
    const { client, conn } = await open();
    playCalls(conn, [{ name: 'crm__sleep', args: '{"ms":3000}' }]);
    await client.waitFor('response.mcp_call.in_progress');
    client.send({ type: 'response.cancel', event_id: 'event_cancel' });
    const seen = await client.until('response.done');
    assert.ok(seen.some((e) => e.type === 'response.mcp_call.failed'));
    const done = seen.at(-1)!.response as { status: string };
    assert.equal(done.status, 'cancelled');
    await delay(200);
    assert.equal(received(conn, 'conversation.item.create').length, 0);
    assert.equal(received(conn, 'response.create').length, 0);
    assert.equal(received(conn, 'response.cancel').length, 0, 'the upstream had nothing left to cancel');
    client.socket.close();
  });

  test("a client's response.create during a call is held and becomes the follow-up", async () => {
    const { client, conn } = await open(hiddenRig);
    playCalls(conn, [{ name: 'crm__sleep', args: '{"ms":300}' }]);
    // The response is not over for the client until its calls are: a create now must wait.
    await client.waitFor('response.created');
    client.send({
      type: 'response.create',
      event_id: 'event_client_create',
      response: { instructions: 'Be brief.' },
    });
    client.send({ type: 'response.create', event_id: 'event_second_create' });
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    const create = received(conn, 'response.create')[0]!;
    assert.equal(create.event_id, 'event_client_create');
    const refused = (await client.waitFor('error')).error as Event;
    assert.deepEqual(
      [refused.code, refused.event_id],
      ['conversation_already_has_active_response', 'event_second_create'],
    );
    const lastTwo = conn.events.slice(-2).map((e) => e.type);
    assert.deepEqual(lastTwo, ['conversation.item.create', 'response.create']);
    client.socket.close();
  });

  test('a session.update from the client during a call keeps the gateway tools and the call completes', async () => {
    const { client, conn } = await open(hiddenRig);
    playCalls(conn, [{ name: 'crm__sleep', args: '{"ms":300}' }]);
    client.send({ type: 'session.update', session: { type: 'realtime', tools: [], instructions: 'x' } });
    await upstreamEventually(conn, () => received(conn, 'session.update').length === 2, 'the client update');
    const tools = (received(conn, 'session.update')[1]!.session as { tools: { name: string }[] }).tools.map(
      (t) => t.name,
    );
    assert.ok(tools.includes('crm__sleep'));
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    client.socket.close();
  });

  test('a crashed MCP server gives the model an error output; the server is reconnected for the next call', async () => {
    const { client, conn } = await open(hiddenRig);
    playCalls(conn, [{ name: 'crm__crash', args: '{}' }]);
    await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
    await delay(400);
    playCalls(conn, [{ name: 'crm__echo', args: '{"text":"again"}' }]);
    await upstreamEventually(
      conn,
      () => received(conn, 'response.create').length === 2,
      'the second follow-up',
    );
    const outputs = received(conn, 'conversation.item.create').map((e) => (e.item as Event).output);
    assert.equal(outputs[1], 'crm echo: again');
    client.socket.close();
  });

  test('servers apply by model: kb tools only on kb-* sessions', async () => {
    const { client, conn } = await open(rig, 'kb-model');
    await upstreamEventually(
      conn,
      () => received(conn, 'session.update').some((e) => JSON.stringify(e).includes('kb__echo')),
      'kb tools',
    );
    client.socket.close();
  });

  describe('client-declared MCP tools on an upstream that cannot run them', () => {
    const declare = (client: TestClient, tool: Event) =>
      client.send({
        type: 'session.update',
        event_id: 'event_declare',
        session: { type: 'realtime', tools: [tool] },
      });

    test('a server outside the allowlist is refused with an error; nothing is dialled', async () => {
      const { client } = await open();
      const before = http.requests.length;
      declare(client, {
        type: 'mcp',
        server_label: 'internal',
        server_url: 'http://169.254.169.254/mcp',
        require_approval: 'never',
      });
      const error = await client.waitFor('error');
      const details = error.error as Event;
      assert.equal(details.code, 'mcp_server_not_allowed');
      assert.equal(details.param, 'session.tools[0].server_url');
      assert.equal(details.event_id, 'event_declare');
      assert.equal(http.requests.length, before);
      client.socket.close();
    });

    test('an allowed server: mcp_list_tools events, its tools offered upstream, calls run without approval when never required', async () => {
      const { client, conn } = await open();
      declare(client, {
        type: 'mcp',
        server_label: 'web',
        server_url: http.url,
        allowed_tools: ['echo'],
        require_approval: 'never',
        headers: { 'X-Tenant': 'acme' },
        authorization: 'client-token',
      });
      const seen = await client.until('conversation.item.done');
      assert.deepEqual(
        seen.map((e) => e.type).filter((t) => t !== 'error'),
        [
          'conversation.item.added',
          'mcp_list_tools.in_progress',
          'mcp_list_tools.completed',
          'conversation.item.done',
        ],
      );
      const listed = seen.at(-1)!.item as { type: string; tools: { name: string }[] };
      assert.equal(listed.type, 'mcp_list_tools');
      assert.deepEqual(
        listed.tools.map((t) => t.name),
        ['echo'],
      );
      assert.ok(
        http.requests.some((h) => h.authorization === 'Bearer client-token' && h['x-tenant'] === 'acme'),
      );
      await upstreamEventually(
        conn,
        () => received(conn, 'session.update').some((e) => JSON.stringify(e).includes('web__echo')),
        'the web tools',
      );
      const lastUpdate = received(conn, 'session.update').at(-1)!;
      assert.ok(
        !JSON.stringify(lastUpdate).includes('"type":"mcp"'),
        'the upstream never sees the mcp declaration',
      );
      playCalls(conn, [{ name: 'web__echo', args: '{"text":"declared"}' }]);
      await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
      assert.equal(
        (received(conn, 'conversation.item.create')[0]!.item as Event).output,
        'web echo: declared',
      );
      client.socket.close();
    });

    for (const approve of [true, false]) {
      test(`a call that requires approval waits for the client, which ${approve ? 'approves' : 'rejects'} it`, async () => {
        const { client, conn } = await open();
        declare(client, {
          type: 'mcp',
          server_label: 'web',
          server_url: http.url,
          require_approval: 'always',
        });
        await client.waitFor('mcp_list_tools.completed');
        await upstreamEventually(
          conn,
          () => received(conn, 'session.update').some((e) => JSON.stringify(e).includes('web__echo')),
          'the web tools',
        );
        playCalls(conn, [{ name: 'web__echo', args: '{"text":"may I"}' }]);
        const request = (await client.waitFor('conversation.item.added')) as { item: Event };
        const requestItem =
          request.item.type === 'mcp_approval_request'
            ? request.item
            : ((await client.waitFor('conversation.item.added')).item as Event);
        assert.equal(requestItem.type, 'mcp_approval_request');
        assert.deepEqual(
          [requestItem.server_label, requestItem.name, requestItem.arguments],
          ['web', 'echo', '{"text":"may I"}'],
        );
        await delay(100);
        assert.equal(received(conn, 'response.create').length, 0, 'nothing runs before the answer');
        client.send({
          type: 'conversation.item.create',
          event_id: 'event_approval',
          item: {
            type: 'mcp_approval_response',
            id: newItemId(),
            approval_request_id: requestItem.id,
            approve,
            ...(approve ? {} : { reason: 'not now' }),
          },
        });
        await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
        assert.equal(
          received(conn, 'conversation.item.create').filter(
            (e) => (e.item as Event).type === 'mcp_approval_response',
          ).length,
          0,
          'the approval stays in the gateway',
        );
        const output = (received(conn, 'conversation.item.create')[0]!.item as Event).output as string;
        if (approve) assert.equal(output, 'web echo: may I');
        else assert.match(output, /rejected the call: not now/);
        const done = (await client.waitFor('response.output_item.done')).item as Event;
        assert.equal(done.approval_request_id, requestItem.id);
        client.socket.close();
      });
    }

    test("a client server cannot take an operator server's label", async () => {
      const { client, conn } = await open();
      declare(client, { type: 'mcp', server_label: 'crm', server_url: http.url, require_approval: 'never' });
      const error = (await client.waitFor('error')).error as Event;
      assert.equal(error.code, 'mcp_server_label_conflict');
      playCalls(conn, [{ name: 'crm__echo', args: '{"text":"still the operator\'s"}' }]);
      await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
      assert.equal(
        (received(conn, 'conversation.item.create')[0]!.item as Event).output,
        "crm echo: still the operator's",
      );
      client.socket.close();
    });

    test('a tool_choice naming an MCP tool becomes the function the upstream knows', async () => {
      const { client, conn } = await open();
      client.send({
        type: 'session.update',
        session: { type: 'realtime', tool_choice: { type: 'mcp', server_label: 'web', name: 'echo' } },
      });
      client.send({
        type: 'session.update',
        session: { type: 'realtime', tool_choice: { type: 'mcp', server_label: 'web' } },
      });
      await upstreamEventually(conn, () => received(conn, 'session.update').length === 3, 'both updates');
      const choices = received(conn, 'session.update')
        .slice(1)
        .map((e) => (e.session as { tool_choice: unknown }).tool_choice);
      assert.deepEqual(choices, [{ type: 'function', name: 'web__echo' }, 'required']);
      client.socket.close();
    });

    test('an MCP tool declared on a single response is left out, with an error saying so', async () => {
      const { client, conn } = await open();
      client.send({
        type: 'response.create',
        event_id: 'event_rt',
        response: { tools: [{ type: 'mcp', server_label: 'web', server_url: http.url }] },
      });
      const error = (await client.waitFor('error')).error as Event;
      assert.deepEqual(
        [error.code, error.param, error.event_id],
        ['mcp_tool_not_supported_here', 'response.tools[0]', 'event_rt'],
      );
      await upstreamEventually(
        conn,
        () => received(conn, 'response.create').length === 1,
        'the response.create',
      );
      assert.ok(!JSON.stringify(received(conn, 'response.create')[0]).includes('"type":"mcp"'));
      client.socket.close();
    });

    test('an approval request the client leaves unanswered expires, and the model hears so', async () => {
      const quick = await startRig(
        { mcp: { ...mcpConfig('hidden'), approvalTimeoutMs: 300 } },
        {},
        { mode: 'silent' },
      );
      try {
        const { client, conn } = await open(quick);
        declare(client, {
          type: 'mcp',
          server_label: 'web',
          server_url: http.url,
          require_approval: 'always',
        });
        await client.waitFor('mcp_list_tools.completed');
        await upstreamEventually(
          conn,
          () => received(conn, 'session.update').some((e) => JSON.stringify(e).includes('web__echo')),
          'the web tools',
        );
        playCalls(conn, [{ name: 'web__echo', args: '{"text":"unanswered"}' }]);
        await upstreamEventually(conn, () => received(conn, 'response.create').length === 1, 'the follow-up');
        const output = (received(conn, 'conversation.item.create')[0]!.item as Event).output as string;
        assert.match(output, /approval request expired/);
        client.socket.close();
      } finally {
        await quick.close();
      }
    });

    test('an approval for no pending request is an error', async () => {
      const { client } = await open();
      client.send({
        type: 'conversation.item.create',
        event_id: 'event_stray',
        item: {
          type: 'mcp_approval_response',
          id: newItemId(),
          approval_request_id: 'item_nothing',
          approve: true,
        },
      });
      const error = (await client.waitFor('error')).error as Event;
      assert.equal(error.param, 'item.approval_request_id');
      assert.equal(error.event_id, 'event_stray');
      client.socket.close();
    });
  });
});

function stdioCommand(name: string): { command: string; args: string[] } {
  const spec = stdioServerSpec(name);
  if (spec.kind !== 'stdio') throw new Error('expected a stdio spec');
  return { command: spec.command, args: [...spec.args] };
}
