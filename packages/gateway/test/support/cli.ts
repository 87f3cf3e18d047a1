/**
 * The `realtime-gateway` command as a child process, for tests that run the gateway as users do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay } from './harness.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Running {
  readonly child: ChildProcess;
  /** The configuration file the gateway reads (the link's target, when it is given a link). */
  readonly file: string;
  readonly exited: Promise<number | null>;
  output(): string;
}

/**
 * Starts the CLI with a config file and waits until it says it listens (`workers` times). With
 * `link`, `--config` names a symbolic link, in a directory of its own, to the file.
 */
export async function startCli(
  config: object,
  args: string[] = [],
  listening = 1,
  { link = false }: { readonly link?: boolean } = {},
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-cli-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  let given = file;
  if (link) {
    given = join(mkdtempSync(join(tmpdir(), 'rg-cli-link-')), 'gateway.json');
    symlinkSync(file, given);
  }
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', CLI, '--config', given, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TEST_UPSTREAM_KEY: 'sk-upstream' },
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Up to 30 s: a slow machine compiles the sources on the fly in every worker.
  for (let k = 0; k < 600; k++) {
    if ((output.match(/listening on/g) ?? []).length >= listening)
      return { child, file, exited, output: () => output };
    if (child.exitCode !== null) break;
    await delay(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the gateway did not start:\n${output}`);
}
