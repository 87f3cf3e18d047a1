/**
 * MCP servers over Streamable HTTP and SSE on loopback, started in-process by the tests. Each
 * records the headers of the requests it gets, so tests can check what credentials arrived.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpTransportSpec } from '../../src/mcp/connection.js';
import { createTestMcpServer } from './mcp-tools.js';

export interface TestMcpHttpServer {
  /** `http://127.0.0.1:<port>/mcp` (Streamable HTTP) */
  readonly url: string;
  /** `http://127.0.0.1:<port>/sse` (SSE) */
  readonly sseUrl: string;
  /** Headers of every request received, in order. */
  readonly requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Starts an MCP server speaking Streamable HTTP at `/mcp` and SSE at `/sse` on 127.0.0.1. */
export async function startMcpHttpServer(name = 'http'): Promise<TestMcpHttpServer> {
  const streamable = new Map<string, StreamableHTTPServerTransport>();
  const sse = new Map<string, SSEServerTransport>();
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    void (async () => {
      if (url.pathname === '/mcp') {
        const id = req.headers['mcp-session-id'];
        let transport = typeof id === 'string' ? streamable.get(id) : undefined;
        if (transport === undefined) {
          transport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (sessionId) => {
              streamable.set(sessionId, transport!);
            },
          });
          await createTestMcpServer(name).connect(transport);
        }
        await transport.handleRequest(req, res);
      } else if (url.pathname === '/sse' && req.method === 'GET') {
        const transport = new SSEServerTransport('/messages', res);
        sse.set(transport.sessionId, transport);
        res.on('close', () => sse.delete(transport.sessionId));
        await createTestMcpServer(name).connect(transport);
      } else if (url.pathname === '/messages' && req.method === 'POST') {
        const transport = sse.get(url.searchParams.get('sessionId') ?? '');
        if (transport === undefined) res.writeHead(404).end();
        else await transport.handlePostMessage(req, res);
      } else if (url.pathname === '/unauthorized') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      } else res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sseUrl: `http://127.0.0.1:${port}/sse`,
    requests,
    async close() {
      await Promise.all([...streamable.values()].map((t) => t.close()));
      await Promise.all([...sse.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const STDIO_SERVER = fileURLToPath(new URL('./mcp-stdio-server.ts', import.meta.url));

/** How to start the stdio test server as a child process. */
export function stdioServerSpec(name = 'stdio'): McpTransportSpec {
  return {
    kind: 'stdio',
    command: process.execPath,
    args: ['--import', 'tsx', STDIO_SERVER, name],
    env: { PATH: process.env.PATH ?? '' },
  };
}
