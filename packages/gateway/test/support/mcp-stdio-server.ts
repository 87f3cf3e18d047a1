/**
 * An MCP server over stdio, run as a child process by the tests:
 * `node --import tsx test/support/mcp-stdio-server.ts [name]`.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTestMcpServer } from './mcp-tools.js';

const server = createTestMcpServer(process.argv[2] ?? 'stdio');
await server.connect(new StdioServerTransport());
