#!/usr/bin/env node
/**
 * `realtime-engine`: the reference engine on its own, for testing realtime clients without a
 * model or network.
 */
import { parseArgs } from 'node:util';
import { startEngine } from './server.js';

const USAGE = `Usage: realtime-engine [options]

A realtime server speaking the OpenAI Realtime API (GA) over WebSocket at /v1/realtime,
with no model and no network: the echo brain repeats what it hears, and "call <tool> {json}"
makes it call a declared function tool.

Options:
      --port N            Port (default 8081, or PORT).
      --host HOST         Address (default 127.0.0.1).
      --brain echo|chat   echo (default), or chat: an OpenAI-compatible Chat Completions API.
      --chat-url URL      chat: the API's base URL, such as http://127.0.0.1:11434/v1.
      --chat-model NAME   chat: the model to ask.
      --delta-delay-ms N  Milliseconds between streamed deltas (default 0).
      --dialect ga|beta   The protocol spoken to clients (default ga; beta as before 2026-05-12).
  -h, --help              Show this help.

Environment: CHAT_API_KEY (chat brain key), REALTIME_ENGINE_API_KEY (require clients to present it).
`;

async function main(): Promise<number | null> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      brain: { type: 'string' },
      'chat-url': { type: 'string' },
      'chat-model': { type: 'string' },
      'delta-delay-ms': { type: 'string' },
      dialect: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const brainName = values.brain ?? 'echo';
  if (brainName !== 'echo' && brainName !== 'chat') {
    process.stderr.write(`realtime-engine: --brain must be echo or chat, got '${brainName}'\n`);
    return 2;
  }
  if (brainName === 'chat' && (values['chat-url'] === undefined || values['chat-model'] === undefined)) {
    process.stderr.write('realtime-engine: --brain chat needs --chat-url and --chat-model\n');
    return 2;
  }
  const dialect = values.dialect ?? 'ga';
  if (dialect !== 'ga' && dialect !== 'beta') {
    process.stderr.write(`realtime-engine: --dialect must be ga or beta, got '${dialect}'\n`);
    return 2;
  }
  const apiKey = process.env.CHAT_API_KEY;
  const engineKey = process.env.REALTIME_ENGINE_API_KEY;
  const engine = await startEngine({
    host: values.host ?? '127.0.0.1',
    port: Number(values.port ?? process.env.PORT ?? 8081),
    deltaDelayMs: Number(values['delta-delay-ms'] ?? 0),
    dialect,
    ...(engineKey ? { apiKey: engineKey } : {}),
    brain:
      brainName === 'chat'
        ? {
            type: 'chat',
            baseUrl: values['chat-url']!,
            model: values['chat-model']!,
            ...(apiKey ? { apiKey } : {}),
          }
        : 'echo',
  });
  process.stdout.write(
    `realtime-engine listening on ${engine.url} (brain: ${brainName}, dialect: ${dialect})\n`,
  );
  const stop = () => void engine.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`realtime-engine: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
