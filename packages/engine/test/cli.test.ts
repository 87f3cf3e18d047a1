import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineClient, userText } from './support/engine-client.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const node = (args: string[]) =>
  [process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args]] as const;

/** The WebSocket URL the engine says it listens on; rejects, with what it printed, if it exits first. */
function listeningUrl(
  child: ChildProcessByStdio<null, Readable, Readable>,
  stderr = () => '',
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`exited: ${output}${stderr()}`)));
  });
}

test('realtime-engine serves sessions and stops on SIGTERM', async () => {
  const [command, args] = node(['--port', '0']);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await listeningUrl(child);
    const client = await EngineClient.open(`${url}?model=gpt-realtime`);
    assert.equal((await client.next()).type, 'session.created');
    client.close();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('realtime-engine refuses bad options with usage errors', () => {
  for (const bad of [
    ['--brain', 'oracle'],
    ['--brain', 'chat'],
  ]) {
    const [command, args] = node(bad);
    const run = spawnSync(command, args, { encoding: 'utf8' });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /realtime-engine: --brain/);
  }
  const [command, args] = node(['--help']);
  assert.match(spawnSync(command, args, { encoding: 'utf8' }).stdout, /Usage: realtime-engine/);
});

test('realtime-engine --brain chat logs a failed backend answer on standard error', async () => {
  const backend = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'no GPU left' } }));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const chatUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
  const [command, args] = node([
    '--port',
    '0',
    '--brain',
    'chat',
    '--chat-url',
    chatUrl,
    '--chat-model',
    'm',
  ]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    const url = await listeningUrl(child, () => stderr);
    const client = await EngineClient.open(`${url}?model=gpt-realtime`);
    client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    client.send(userText('hi'));
    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done');
    const response = done.response as { id: string; status: string };
    assert.equal(response.status, 'failed');
    client.close();
    // The line is written before response.done is sent, so it is in the pipe already; wait for it to be read.
    while (!/failed: .*\n/.test(stderr)) await new Promise((resolve) => child.stderr.once('data', resolve));
    assert.match(
      stderr,
      new RegExp(
        `realtime-engine: response ${response.id} in session sess_\\S+ failed: chat_backend_error: .*503.*no GPU left`,
      ),
    );
  } finally {
    child.kill('SIGKILL');
    backend.close();
  }
});
