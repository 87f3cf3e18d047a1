import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NO_MCP } from '../src/mcp/config.js';
import {
  backoffMs,
  McpConnection,
  type McpServerSpec,
  type McpTool,
  type McpTransportSpec,
} from '../src/mcp/connection.js';
import { createMcpMiddleware } from '../src/mcp/middleware.js';
import { McpPool } from '../src/mcp/pool.js';
import { RecentSet } from '../src/mcp/recent-set.js';
import { functionNameFor, MAX_FUNCTION_NAME, ToolNames } from '../src/mcp/tool-names.js';
import { testConfig } from './support/harness.js';
import { startMcpHttpServer, stdioServerSpec, type TestMcpHttpServer } from './support/mcp-http-server.js';

function spec(transport: McpTransportSpec, overrides: Partial<McpServerSpec> = {}): McpServerSpec {
  return {
    label: 'test',
    transport,
    allowedTools: null,
    callTimeoutMs: 5000,
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

const names = (tools: readonly McpTool[]) => tools.map((t) => t.name).sort();

describe('tool names', () => {
  test('namespaces a tool by its server', () => {
    assert.equal(functionNameFor({ server: 'crm', tool: 'lookup' }), 'crm__lookup');
  });
  test('sanitizes characters functions cannot have, keeping distinct tools distinct', () => {
    const dotted = functionNameFor({ server: 'crm', tool: 'find.customer' });
    const underscored = functionNameFor({ server: 'crm', tool: 'find_customer' });
    assert.match(dotted, /^[a-zA-Z0-9_-]+$/);
    assert.notEqual(dotted, underscored);
  });
  test('shortens long names to the function name limit, distinctly', () => {
    const a = functionNameFor({ server: 's'.repeat(40), tool: `${'t'.repeat(40)}a` });
    const b = functionNameFor({ server: 's'.repeat(40), tool: `${'t'.repeat(40)}b` });
    assert.ok(a.length <= MAX_FUNCTION_NAME && b.length <= MAX_FUNCTION_NAME);
    assert.notEqual(a, b);
  });
  test('the table resolves names back, and forgets a server', () => {
    const table = new ToolNames();
    const fn = table.add({ server: 'crm', tool: 'lookup' });
    table.add({ server: 'kb', tool: 'search' });
    assert.deepEqual(table.resolve(fn), { server: 'crm', tool: 'lookup' });
    assert.equal(table.resolve('lookup'), null);
    table.removeServer('crm');
    assert.equal(table.resolve(fn), null);
    assert.ok(table.has('kb__search'));
  });
  test('backoff doubles and is capped', () => {
    assert.deepEqual([1, 2, 3].map(backoffMs), [250, 500, 1000]);
    assert.equal(backoffMs(50), 30_000);
  });
});

describe('an MCP server over stdio', () => {
  let crm: McpConnection;
  before(() => {
    crm = new McpConnection(spec(stdioServerSpec('crm'), { callTimeoutMs: 400 }));
  });
  after(() => crm.close());

  test('connects on first use and lists its tools', async () => {
    assert.equal(crm.state, 'idle');
    const listed = await crm.listTools();
    assert.ok(listed.ok);
    assert.deepEqual(names(listed.tools), ['add', 'add_tool', 'crash', 'echo', 'fail', 'sleep']);
    assert.equal(crm.state, 'ready');
    const echo = listed.tools.find((t) => t.name === 'echo')!;
    assert.equal(echo.description, 'Echoes its text back');
    assert.equal((echo.inputSchema as { type: string }).type, 'object');
  });

  test('calls tools: text output, structured output, a tool error', async () => {
    assert.deepEqual(await crm.callTool('echo', { text: 'hi' }), { ok: true, output: 'crm echo: hi' });
    assert.deepEqual(await crm.callTool('add', { a: 2, b: 3 }), { ok: true, output: '{"sum":5}' });
    const failed = await crm.callTool('fail', {});
    assert.deepEqual(failed, {
      ok: false,
      error: { type: 'tool_execution_error', message: 'the tool failed on purpose' },
    });
  });

  test('a call that outlives the timeout is a protocol error; the connection stays usable', async () => {
    const slow = await crm.callTool('sleep', { ms: 2000 });
    assert.ok(!slow.ok);
    assert.equal(slow.error.type, 'protocol_error');
    assert.match(slow.error.message, /timed out after 400 ms/);
    assert.deepEqual(await crm.callTool('echo', { text: 'still here' }), {
      ok: true,
      output: 'crm echo: still here',
    });
  });

  test('an aborted call is cancelled', async () => {
    const controller = new AbortController();
    const pending = crm.callTool('sleep', { ms: 2000 }, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const outcome = await pending;
    assert.deepEqual(outcome, {
      ok: false,
      error: { type: 'protocol_error', message: 'The call was cancelled.' },
    });
  });

  test('a changed tool list is picked up and announced', async () => {
    const changed = new Promise<readonly McpTool[]>((resolve) => {
      const off = crm.onToolsChanged((tools) => {
        off();
        resolve(tools);
      });
    });
    assert.ok((await crm.callTool('add_tool', {})).ok);
    assert.ok(names(await changed).includes('late'));
    const listed = await crm.listTools();
    assert.ok(listed.ok && names(listed.tools).includes('late'));
  });

  test('a crashed server is reconnected after a backoff', async () => {
    await crm.callTool('crash', {});
    for (let k = 0; k < 100 && crm.state !== 'broken'; k++) await sleep(20);
    assert.equal(crm.state, 'broken');
    const during = await crm.callTool('echo', { text: 'x' });
    assert.ok(!during.ok);
    assert.match(during.error.message, /unavailable/);
    await sleep(backoffMs(1) + 50);
    assert.deepEqual(await crm.callTool('echo', { text: 'back' }), { ok: true, output: 'crm echo: back' });
    assert.equal(crm.state, 'ready');
  });
});

describe('allowed tools', () => {
  test('only allowed tools are listed and callable', async () => {
    const server = new McpConnection(spec(stdioServerSpec('kb'), { allowedTools: ['echo'] }));
    try {
      const listed = await server.listTools();
      assert.ok(listed.ok);
      assert.deepEqual(names(listed.tools), ['echo']);
      const refused = await server.callTool('add', { a: 1, b: 1 });
      assert.ok(!refused.ok);
      assert.match(refused.error.message, /not allowed/);
    } finally {
      await server.close();
    }
  });
});

describe('MCP servers over HTTP', () => {
  let http: TestMcpHttpServer;
  before(async () => {
    http = await startMcpHttpServer('web');
  });
  after(() => http.close());

  test('Streamable HTTP with configured headers', async () => {
    const server = new McpConnection(
      spec({ kind: 'http', url: http.url, headers: { Authorization: 'Bearer mcp-token' } }),
    );
    try {
      assert.deepEqual(await server.callTool('echo', { text: 'over http' }), {
        ok: true,
        output: 'web echo: over http',
      });
      assert.ok(http.requests.length > 0);
      assert.ok(http.requests.every((h) => h.authorization === 'Bearer mcp-token'));
    } finally {
      await server.close();
    }
  });

  test('SSE', async () => {
    const server = new McpConnection(spec({ kind: 'sse', url: http.sseUrl, headers: {} }));
    try {
      assert.deepEqual(await server.callTool('add', { a: 1, b: 2 }), { ok: true, output: '{"sum":3}' });
    } finally {
      await server.close();
    }
  });

  test('an HTTP refusal is an http_error with its status', async () => {
    const server = new McpConnection(
      spec({ kind: 'http', url: http.url.replace('/mcp', '/unauthorized'), headers: {} }),
    );
    try {
      const outcome = await server.callTool('echo', { text: 'x' });
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.type, 'http_error');
      assert.equal(outcome.error.code, 401);
      assert.equal(server.state, 'broken');
    } finally {
      await server.close();
    }
  });

  test('nothing listening is a failure, not a hang or a throw', async () => {
    const server = new McpConnection(spec({ kind: 'http', url: 'http://127.0.0.1:1/mcp', headers: {} }));
    try {
      const outcome = await server.listTools();
      assert.ok(!outcome.ok);
      assert.equal(server.state, 'broken');
    } finally {
      await server.close();
    }
  });
});

describe('the pool', () => {
  test('sessions using the same client-declared server share one connection until the last releases it', async () => {
    const http = await startMcpHttpServer('shared');
    const pool = new McpPool();
    try {
      const declared = spec({ kind: 'http', url: http.url, headers: { Authorization: 'Bearer a' } });
      const first = pool.acquire(declared);
      const second = pool.acquire(declared);
      const other = pool.acquire({
        ...declared,
        transport: { kind: 'http', url: http.url, headers: { Authorization: 'Bearer b' } },
      });
      assert.equal(first.connection, second.connection);
      assert.notEqual(first.connection, other.connection);
      assert.equal(pool.sharedCount, 2);
      assert.ok((await first.connection.callTool('echo', { text: 'x' })).ok);
      first.release();
      first.release();
      assert.equal(first.connection.state, 'ready');
      second.release();
      assert.equal(first.connection.state, 'closed');
      other.release();
      assert.equal(pool.sharedCount, 0);
    } finally {
      await pool.close();
      await http.close();
    }
  });

  test('operator servers are looked up by name and closed with the pool', async () => {
    const pool = new McpPool();
    const crm = pool.addOperatorServer(spec(stdioServerSpec('crm'), { label: 'crm' }));
    assert.equal(pool.operatorServer('crm'), crm);
    assert.equal(pool.operatorServer('nope'), null);
    assert.ok((await crm.callTool('echo', { text: 'x' })).ok);
    await pool.close();
    assert.equal(crm.state, 'closed');
    await pool.close();
  });
});

describe('which sessions get an operator server', () => {
  test('by model pattern and by gateway key', async () => {
    const pool = new McpPool();
    const upstream = {
      ...testConfig({ upstreams: [{ name: 'openai', baseUrl: 'https://api.openai.com/v1', kind: 'openai' }] })
        .upstreams[0]!,
    };
    const factory = createMcpMiddleware({
      config: {
        ...NO_MCP,
        servers: [
          { spec: spec(stdioServerSpec('crm'), { label: 'crm' }), models: ['gpt-*'], keys: ['team-a'] },
        ],
      },
      upstreams: [upstream],
      pool,
    });
    const info = {
      sessionId: 's',
      model: 'gpt-realtime',
      upstreamModel: 'gpt-realtime',
      upstreamName: 'openai',
      intent: 'conversation' as const,
    };
    assert.notEqual(factory({ ...info, keyId: 'team-a' }), null);
    assert.equal(factory({ ...info, keyId: 'team-b' }), null, 'another key');
    assert.equal(factory({ ...info, keyId: null }), null, 'no key');
    assert.equal(
      factory({ ...info, keyId: 'team-a', model: 'other', upstreamModel: 'other' }),
      null,
      'another model',
    );
    assert.equal(
      factory({ ...info, keyId: 'team-a', intent: 'transcription' }),
      null,
      'transcription sessions have no tools',
    );
    await pool.close();
  });
});

describe('RecentSet', () => {
  test('keeps the most recent entries up to its capacity', () => {
    const set = new RecentSet<number>(3);
    for (const n of [1, 2, 3, 4]) set.add(n);
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => set.has(n)),
      [false, true, true, true],
    );
    set.add(2);
    set.add(5);
    assert.deepEqual(
      [2, 3, 4, 5].map((n) => set.has(n)),
      [true, false, true, true],
      'a re-added entry counts as recent',
    );
    assert.equal(set.size, 3);
    assert.ok(set.delete(5));
    assert.equal(set.size, 2);
  });
});
