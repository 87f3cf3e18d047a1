/**
 * The `realtime-gateway` command as a child process, for tests that run the gateway as users do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay } from './harness.js';
import { freePort } from './ports.js';

export { freePort };

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface Running {
  readonly child: ChildProcess;
  /** The configuration file the gateway reads (the link's target, when it is given a link). */
  readonly file: string;
  readonly exited: Promise<number | null>;
  /** stdout and stderr as they came. */
  output(): string;
  /** stdout alone (JSON log lines), and stderr alone (banners, warnings, errors). */
  stdout(): string;
  stderr(): string;
}

/**
 * The CLI's config file for a test: unless the config says otherwise, the data directory is the
 * test's own and the development TLS listener takes a free port, so that no test writes into the
 * working tree or competes for port 8443.
 */
function writeConfig(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-cli-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(cliConfig(file, config)));
  return file;
}

/**
 * A test's configuration as the CLI gets it from `file`: its data directory beside the file and
 * the development TLS listener on a free port, unless the test sets them (a file rewritten for a
 * reload goes through this too, so those fields do not change).
 */
export function cliConfig(file: string, config: Record<string, unknown>): Record<string, unknown> {
  const server = (config.server ?? {}) as Record<string, unknown>;
  const devTls = (server.devTls ?? {}) as Record<string, unknown>;
  return {
    ...config,
    dataDir: config.dataDir ?? join(dirname(file), 'data'),
    server: { ...server, devTls: { port: 0, ...devTls } },
  };
}

function spawnCli(file: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, '--config', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEST_UPSTREAM_KEY: 'sk-upstream', ...env },
  });
}

/**
 * Starts the CLI with a config file and waits until it says it listens (`workers` times). With
 * `link`, `--config` names a symbolic link, in a directory of its own, to the file.
 */
export async function startCli(
  config: Record<string, unknown>,
  args: string[] = [],
  listening = 1,
  { link = false, env = {} }: { readonly link?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<Running> {
  const file = writeConfig(config);
  let given = file;
  if (link) {
    given = join(mkdtempSync(join(tmpdir(), 'rg-cli-link-')), 'gateway.json');
    symlinkSync(file, given);
  }
  const child = spawnCli(given, args, env);
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Up to 30 s: a slow machine compiles the sources on the fly in every worker.
  for (let k = 0; k < 600; k++) {
    if ((output.match(/listening on/g) ?? []).length >= listening)
      return { child, file, exited, output: () => output, stdout: () => stdout, stderr: () => stderr };
    if (child.exitCode !== null) break;
    await delay(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the gateway did not start:\n${output}`);
}

/** Runs the CLI to its end (one that refuses to start, say); SIGKILLed after 30 s. */
export async function runCli(
  config: Record<string, unknown>,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(writeConfig(config), args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  // 'close', not 'exit': the output is all read by then.
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * Resolves once `output()` (what a child wrote on both its streams) includes `text`, looked for
 * whenever either stream has more: a CLI's banner (stderr) and its log (stdout) may be read in
 * either order. Rejects, with the output, when the child exits first.
 *
 * @example
 * await untilOutput(child, () => output, 'listening on');
 */
export function untilOutput(child: ChildProcess, output: () => string, text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const look = (): void => {
      if (output().includes(text)) resolve();
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', () => reject(new Error(`the process exited:\n${output()}`)));
  });
}
