/**
 * Tool sync on its own, with a real MCP server over stdio: the gateway's `session.update`s are
 * answered by `session.updated`s the client never sees, and an upstream refusal of one of the
 * gateway's other events does not make the client's next `session.updated` disappear.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ClientEvent, ServerEvent, ServerEventMap } from '@realtime-gateway/protocol';
import { NO_MCP } from '../src/mcp/config.js';
import { McpConnection } from '../src/mcp/connection.js';
import { McpPool } from '../src/mcp/pool.js';
import { RecentSet, TRACKED_IDS } from '../src/mcp/recent-set.js';
import { ToolSync } from '../src/mcp/tool-sync.js';
import type { MiddlewareContext } from '../src/session/middleware.js';
import { NO_LOG } from '../src/vocabulary/session.js';
import { NO_TRACE } from '../src/vocabulary/trace.js';
import { eventually } from './support/harness.js';
import { stdioServerSpec } from './support/mcp-http-server.js';

const connection = new McpConnection({
  label: 'crm',
  transport: stdioServerSpec('crm'),
  allowedTools: null,
  callTimeoutMs: 5000,
  connectTimeoutMs: 10_000,
});
after(() => connection.close());

function sessionEvent<T extends 'session.created' | 'session.updated'>(type: T): ServerEventMap[T] {
  return {
    type,
    event_id: `event_${type}`,
    session: { type: 'realtime', object: 'realtime.session', id: 'sess_1', tools: [] },
  } as unknown as ServerEventMap[T];
}

/** A tool sync whose upstream has created its session and been told the gateway's tools. */
async function synced(): Promise<{ sync: ToolSync; upstream: ClientEvent[]; ownEvents: RecentSet<string> }> {
  const upstream: ClientEvent[] = [];
  const client: ServerEvent[] = [];
  const abort = new AbortController();
  const ctx: MiddlewareContext = {
    info: {
      sessionId: 'sess_gw',
      model: 'm',
      upstreamModel: 'm',
      upstreamName: 'u',
      keyId: null,
      intent: 'conversation',
    },
    log: NO_LOG,
    trace: NO_TRACE,
    signal: abort.signal,
    sendUpstream: (event) => upstream.push(event),
    sendClient: (event) => client.push(event),
    clearOutputAudio: () => {},
  };
  const ownEvents = new RecentSet<string>(TRACKED_IDS);
  const source = {
    label: 'crm',
    origin: 'operator' as const,
    connection,
    declaration: null,
    tools: [],
    release() {},
  };
  const sync = new ToolSync({
    ctx,
    config: NO_MCP,
    pool: new McpPool(),
    operatorSources: [source],
    emulate: false,
    ownEvents,
  });
  sync.onSessionCreated(sessionEvent('session.created'));
  sync.open();
  await eventually(
    () => upstream.some((event) => event.type === 'session.update'),
    20_000,
    "the gateway's tools",
  );
  return { sync, upstream, ownEvents };
}

describe('tool sync', () => {
  test("the answer to the gateway's own session.update is hidden; the client's next one is not", async () => {
    const { sync, upstream } = await synced();
    const update = upstream.find((event) => event.type === 'session.update')!;
    assert.ok(
      JSON.stringify(update).includes('crm__'),
      'the upstream is told the MCP server tools as functions',
    );
    assert.equal(sync.onSessionUpdated(sessionEvent('session.updated')).action, 'drop');
    assert.notEqual(sync.onSessionUpdated(sessionEvent('session.updated')).action, 'drop');
    sync.close();
  });

  test("a refused event of the gateway's that is not an update leaves the pending update's answer hidden", async () => {
    const { sync, ownEvents } = await synced();
    // An injected function_call_output, say, that the upstream refused.
    ownEvents.add('event_output');
    sync.ownEventRefused('event_output');
    assert.equal(sync.onSessionUpdated(sessionEvent('session.updated')).action, 'drop');
    assert.notEqual(sync.onSessionUpdated(sessionEvent('session.updated')).action, 'drop');
    sync.close();
  });

  test('a refused update will not be answered: the next session.updated is the client’s', async () => {
    const { sync, upstream } = await synced();
    const update = upstream.find((event) => event.type === 'session.update')!;
    sync.ownEventRefused(update.event_id!);
    assert.notEqual(sync.onSessionUpdated(sessionEvent('session.updated')).action, 'drop');
    sync.close();
  });
});
