/**
 * Client-declared MCP servers over real sockets on 127.0.0.1: the guarded fetch and lookup
 * that re-check every resolved address and every redirect, and the gateway refusing (or, when
 * the operator lists the address, reaching) real MCP servers the tests start. Every refusal is
 * checked by the target server having seen no request at all.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createGuardedFetch,
  DestinationRefusedError,
  guardedLookup,
  MAX_REDIRECTS,
} from '../src/mcp/guarded-fetch.js';
import { parseUrlPattern, type UrlPattern } from '../src/mcp/url-policy.js';
import type { SessionLog } from '../src/session/observer.js';
import { connect, type Rig, startRig, type TestClient } from './support/harness.js';
import { startMcpHttpServer, type TestMcpHttpServer } from './support/mcp-http-server.js';

function patterns(...sources: string[]): UrlPattern[] {
  return sources.map((source) => {
    const parsed = parseUrlPattern(source);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pattern;
  });
}

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A plain HTTP server on 127.0.0.1 that records requests and answers `/to?location=…` with a redirect. */
interface RecordingServer {
  readonly port: number;
  readonly requests: Seen[];
  close(): Promise<void>;
}

async function startRecordingServer(): Promise<RecordingServer> {
  const requests: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const location = url.searchParams.get('location');
      if (url.pathname.startsWith('/to') && location !== null) {
        res.writeHead(Number(url.searchParams.get('status') ?? 307), { location }).end();
      } else if (url.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${url.pathname}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<DestinationRefusedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DestinationRefusedError) return error;
    throw error;
  }
  assert.fail('expected the destination to be refused');
}

function lookupOnce(
  listed: readonly string[],
  hostname: string,
  all: boolean,
): Promise<{ error: Error | null; addresses: readonly LookupAddress[] }> {
  return new Promise((resolve) => {
    guardedLookup(listed)(hostname, { all }, (error, address, family) => {
      if (error !== null) resolve({ error, addresses: [] });
      else if (typeof address === 'string')
        resolve({ error: null, addresses: [{ address, family: family ?? 0 }] });
      else resolve({ error: null, addresses: address });
    });
  });
}

describe('the guarded lookup', () => {
  it('refuses a host name that resolves to a loopback address not listed', async () => {
    for (const all of [true, false]) {
      const { error } = await lookupOnce([], 'localhost', all);
      assert.ok(error instanceof DestinationRefusedError);
      assert.match(error.message, /localhost: .* is a loopback address not listed in mcp\.allowedServerUrls/);
    }
  });

  it('answers with every address when all of them are listed, in the shape asked for', async () => {
    const listed = ['127.0.0.1', '::1'];
    const all = await lookupOnce(listed, 'localhost', true);
    assert.equal(all.error, null);
    assert.ok(all.addresses.length > 0);
    assert.ok(all.addresses.every((entry) => listed.includes(entry.address)));
    const one = await lookupOnce(listed, 'localhost', false);
    assert.equal(one.error, null);
    assert.equal(one.addresses.length, 1);
  });

  it('checks an IP literal itself', async () => {
    assert.ok((await lookupOnce([], '127.0.0.1', false)).error instanceof DestinationRefusedError);
    assert.ok((await lookupOnce([], '[::1]', true)).error instanceof DestinationRefusedError);
    assert.deepEqual((await lookupOnce(['127.0.0.1'], '127.0.0.1', false)).addresses, [
      { address: '127.0.0.1', family: 4 },
    ]);
  });
});

describe('the guarded fetch', () => {
  let allowed: RecordingServer;
  let target: RecordingServer;

  before(async () => {
    allowed = await startRecordingServer();
    target = await startRecordingServer();
  });
  after(async () => {
    await allowed.close();
    await target.close();
  });

  const at = (server: RecordingServer, path: string, host = '127.0.0.1') =>
    `http://${host}:${server.port}${path}`;

  it('refuses at connect time a host name the allowlist matches but that resolves to loopback', async () => {
    const guarded = createGuardedFetch(patterns(`http://localhost:${target.port}/*`));
    try {
      const before = target.requests.length;
      const error = await refusal(guarded.fetch(at(target, '/mcp', 'localhost')));
      assert.match(error.message, /loopback address/);
      assert.equal(target.requests.length, before, 'the listening server saw no request');
    } finally {
      await guarded.close();
    }
  });

  it('reaches that host name once its addresses are listed exactly for its port', async () => {
    const guarded = createGuardedFetch(
      patterns(
        `http://localhost:${target.port}/*`,
        `http://127.0.0.1:${target.port}/only-listing`,
        `http://[::1]:${target.port}/only-listing`,
      ),
    );
    try {
      const before = target.requests.length;
      const response = await guarded.fetch(at(target, '/mcp', 'localhost'));
      assert.equal(await response.text(), 'GET /mcp');
      assert.equal(target.requests.length, before + 1);
    } finally {
      await guarded.close();
    }
  });

  it('does not take a listing of the address on another port as a listing for this one', async () => {
    const guarded = createGuardedFetch(
      patterns(
        `http://localhost:${target.port}/*`,
        `http://127.0.0.1:${allowed.port}/*`,
        `http://[::1]:${allowed.port}/*`,
      ),
    );
    try {
      const before = target.requests.length;
      await refusal(guarded.fetch(at(target, '/mcp', 'localhost')));
      assert.equal(target.requests.length, before);
    } finally {
      await guarded.close();
    }
  });

  it('refuses URLs outside the allowlist without connecting', async () => {
    const guarded = createGuardedFetch(patterns(`http://127.0.0.1:${allowed.port}/mcp/*`));
    try {
      const before = [allowed.requests.length, target.requests.length];
      await refusal(guarded.fetch(at(allowed, '/other')));
      await refusal(guarded.fetch(at(target, '/mcp/')));
      await refusal(guarded.fetch(`http://user:pw@127.0.0.1:${allowed.port}/mcp/`));
      assert.deepEqual([allowed.requests.length, target.requests.length], before);
    } finally {
      await guarded.close();
    }
  });

  describe('redirects', () => {
    let guarded: ReturnType<typeof createGuardedFetch>;
    before(() => {
      // The first server's address is listed for its port; the target is allowed only by host
      // name (its address, loopback, is not listed for its port) or not at all.
      guarded = createGuardedFetch(
        patterns(`http://127.0.0.1:${allowed.port}/*`, `http://localhost:${target.port}/*`),
      );
    });
    after(async () => {
      await guarded.close();
    });

    const redirectTo = (location: string, status = 307) =>
      at(allowed, `/to?status=${status}&location=${encodeURIComponent(location)}`);

    it('are not followed to an address the policy refuses; the target sees nothing', async () => {
      const before = target.requests.length;
      const error = await refusal(guarded.fetch(redirectTo(at(target, '/mcp', 'localhost'))));
      assert.match(error.message, /loopback address/);
      assert.equal(target.requests.length, before);
    });

    it('are not followed outside the allowlist, to a metadata address or with credentials', async () => {
      const before = target.requests.length;
      for (const location of [
        at(target, '/mcp'),
        'http://169.254.169.254/latest/meta-data/',
        `http://u:p@localhost:${target.port}/mcp`,
        `http://[::ffff:127.0.0.1]:${target.port}/mcp`,
      ]) {
        await refusal(guarded.fetch(redirectTo(location)));
      }
      assert.equal(target.requests.length, before);
    });

    it('are followed within the allowlist, carrying out 303 as a GET', async () => {
      const response = await guarded.fetch(redirectTo('/landed', 303), { method: 'POST', body: '{"a":1}' });
      assert.equal(await response.text(), 'GET /landed');
      const response307 = await guarded.fetch(redirectTo('/kept'), { method: 'POST', body: '{"b":2}' });
      assert.equal(await response307.text(), 'POST /kept');
      assert.equal(allowed.requests.at(-1)?.body, '{"b":2}');
    });

    it('are handed back, not followed, when the caller asks for manual redirects', async () => {
      const before = target.requests.length;
      const response = await guarded.fetch(redirectTo(at(target, '/mcp', 'localhost')), {
        redirect: 'manual',
      });
      assert.equal(response.status, 307);
      assert.equal(response.headers.get('location'), at(target, '/mcp', 'localhost'));
      assert.equal(target.requests.length, before);
    });

    it("fail the request when the caller asks for 'error'", async () => {
      await assert.rejects(guarded.fetch(redirectTo('/landed'), { redirect: 'error' }), /redirect/);
    });

    it(`stop after ${MAX_REDIRECTS} hops`, async () => {
      const before = allowed.requests.length;
      await assert.rejects(guarded.fetch(at(allowed, '/loop')), /more than 5 redirects/);
      assert.equal(allowed.requests.length, before + MAX_REDIRECTS + 1);
    });

    it('drop credentials when they go to another origin', async () => {
      const listed = createGuardedFetch(
        patterns(`http://127.0.0.1:${allowed.port}/*`, `http://127.0.0.1:${target.port}/*`),
      );
      try {
        const response = await listed.fetch(redirectTo(at(target, '/elsewhere')), {
          headers: { authorization: 'Bearer client-token', 'x-tenant': 'acme' },
        });
        assert.equal(await response.text(), 'GET /elsewhere');
        const arrived = target.requests.at(-1)!.headers;
        assert.equal(arrived.authorization, undefined);
        assert.equal(arrived['x-tenant'], 'acme');
        assert.equal(allowed.requests.at(-1)!.headers.authorization, 'Bearer client-token');
      } finally {
        await listed.close();
      }
    });
  });
});

/** A log that keeps what it is told, so tests can check the warnings. */
class RecordingLog implements SessionLog {
  readonly warnings: { fields: Record<string, unknown>; message: string }[] = [];
  debug(): void {}
  info(): void {}
  warn(fields: object, message: string): void {
    this.warnings.push({ fields: fields as Record<string, unknown>, message });
  }
  error(): void {}
}

describe('client-declared MCP servers through the gateway', () => {
  let mcp: TestMcpHttpServer;
  let redirector: RecordingServer;

  before(async () => {
    mcp = await startMcpHttpServer('web');
    redirector = await startRecordingServer();
  });
  after(async () => {
    await mcp.close();
    await redirector.close();
  });

  const port = () => new URL(mcp.url).port;

  async function withRig(allowedServerUrls: string[], run: (rig: Rig, log: RecordingLog) => Promise<void>) {
    const log = new RecordingLog();
    const rig = await startRig({ mcp: { allowedServerUrls } }, { log }, { mode: 'silent' });
    try {
      await run(rig, log);
    } finally {
      await rig.close();
    }
  }

  async function declare(rig: Rig, serverUrl: string): Promise<TestClient> {
    const client = await connect(`${rig.url}?model=gpt-realtime`);
    await client.waitFor('session.created');
    client.send({
      type: 'session.update',
      event_id: 'event_declare',
      session: {
        type: 'realtime',
        tools: [{ type: 'mcp', server_label: 'web', server_url: serverUrl, require_approval: 'never' }],
      },
    });
    return client;
  }

  /** The first of the events that settle a declaration. */
  async function outcome(client: TestClient): Promise<Record<string, unknown>> {
    for (;;) {
      const event = await client.next();
      if (['error', 'mcp_list_tools.completed', 'mcp_list_tools.failed'].includes(String(event.type)))
        return event;
    }
  }

  it('refuses a server that only the old whole-string wildcard matched, with no request to it', async () => {
    await withRig(['http://*.example.com/*', 'http://*.example.com:*/*'], async (rig) => {
      const before = mcp.requests.length;
      for (const path of ['/.example.com/', '/?.example.com/', '/#.example.com/', '/#@mcp.example.com/']) {
        const client = await declare(rig, `http://127.0.0.1:${port()}${path}`);
        const event = await outcome(client);
        assert.equal(event.type, 'error', path);
        assert.equal((event.error as { code: string }).code, 'mcp_server_not_allowed');
        client.socket.close();
      }
      assert.equal(mcp.requests.length, before);
    });
  });

  it('does not connect to a host name pattern whose address is loopback and not listed', async () => {
    await withRig([`http://localhost:${port()}/*`], async (rig, log) => {
      const before = mcp.requests.length;
      const client = await declare(rig, `http://localhost:${port()}/mcp`);
      const event = await outcome(client);
      assert.equal(event.type, 'mcp_list_tools.failed');
      assert.equal(mcp.requests.length, before, 'the MCP server saw no request');
      const warning = log.warnings.find((w) => w.message === 'client MCP server unavailable');
      assert.match(String(warning?.fields.error), /refuses to connect to localhost: .*loopback address/);
      client.socket.close();
    });
  });

  it('reaches the server when the operator lists its exact address', async () => {
    await withRig([`http://127.0.0.1:${port()}/*`], async (rig) => {
      const before = mcp.requests.length;
      const client = await declare(rig, mcp.url);
      const event = await outcome(client);
      assert.equal(event.type, 'mcp_list_tools.completed');
      assert.ok(mcp.requests.length > before);
      client.socket.close();
    });
  });

  it('guards SSE servers the same way: refused under a loopback host name, reached when listed', async () => {
    const sse = new URL(mcp.sseUrl);
    await withRig([`http://localhost:${port()}/*`], async (rig, log) => {
      const before = mcp.requests.length;
      const client = await declare(rig, `http://localhost:${port()}${sse.pathname}`);
      assert.equal((await outcome(client)).type, 'mcp_list_tools.failed');
      assert.equal(mcp.requests.length, before);
      const warning = log.warnings.find((w) => w.message === 'client MCP server unavailable');
      assert.match(String(warning?.fields.error), /loopback address/);
      client.socket.close();
    });
    await withRig([`http://127.0.0.1:${port()}/*`], async (rig) => {
      const client = await declare(rig, mcp.sseUrl);
      assert.equal((await outcome(client)).type, 'mcp_list_tools.completed');
      client.socket.close();
    });
  });

  it('reaches the server under a host name pattern when its addresses are listed', async () => {
    await withRig(
      [`http://localhost:${port()}/*`, `http://127.0.0.1:${port()}/*`, `http://[::1]:${port()}/*`],
      async (rig) => {
        const client = await declare(rig, `http://localhost:${port()}/mcp`);
        assert.equal((await outcome(client)).type, 'mcp_list_tools.completed');
        client.socket.close();
      },
    );
  });

  it('fails the listing when an allowed server redirects to a refused address, which sees nothing', async () => {
    const location = `http://localhost:${port()}/mcp`;
    await withRig(
      [`http://127.0.0.1:${redirector.port}/*`, `http://localhost:${port()}/*`],
      async (rig, log) => {
        const before = mcp.requests.length;
        const client = await declare(
          rig,
          `http://127.0.0.1:${redirector.port}/to/mcp?location=${encodeURIComponent(location)}`,
        );
        assert.equal((await outcome(client)).type, 'mcp_list_tools.failed');
        assert.ok(redirector.requests.length > 0, 'the allowed server was asked');
        assert.equal(mcp.requests.length, before, 'the redirect target saw no request');
        assert.ok(log.warnings.some((w) => w.message === 'client MCP server unavailable'));
        client.socket.close();
      },
    );
  });
});
