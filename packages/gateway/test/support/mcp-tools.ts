/**
 * The tools of the MCP servers the tests start: real servers built with the official MCP SDK,
 * with tools that answer, compute, wait, fail and crash on request.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Builds a server with the test tools; `name` shows in tool outputs so tests can tell servers apart. */
export function createTestMcpServer(name: string): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text: `${name} echo: ${text}` }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  );
  server.registerTool(
    'sleep',
    { description: 'Waits, then answers', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return { content: [{ type: 'text', text: `slept ${ms} ms` }] };
    },
  );
  server.registerTool('fail', { description: 'Always fails' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'the tool failed on purpose' }],
  }));
  server.registerTool('crash', { description: 'Ends the server process' }, async () => {
    setImmediate(() => process.exit(3));
    return { content: [{ type: 'text', text: 'crashing' }] };
  });
  server.registerTool('add_tool', { description: 'Adds a tool named "late" to the list' }, async () => {
    server.registerTool('late', { description: 'Added at run time' }, async () => ({
      content: [{ type: 'text', text: 'late tool' }],
    }));
    return { content: [{ type: 'text', text: 'added' }] };
  });
  return server;
}
