import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineClient } from './support/engine-client.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const node = (args: string[]) =>
  [process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args]] as const;

test('realtime-engine serves sessions and stops on SIGTERM', async () => {
  const [command, args] = node(['--port', '0']);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (ws:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`exited: ${output}`)));
    });
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
