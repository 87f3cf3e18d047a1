/**
 * The repository as users install and run it: the commands a fresh clone links, `npm start` as
 * the process a supervisor signals, the licence, and the Node versions the dependencies support
 * against the one documented.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, untilOutput } from './support/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('SIGTERM to `npm start` stops the gateway itself: no process left behind, the port freed', {
  skip: process.platform !== 'linux' && 'reads the process tree from /proc',
}, async () => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  delete env.OPENAI_API_KEY;
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (chunk) => (output += chunk));
  npm.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let below: number[] = [];
  try {
    await untilOutput(npm, () => output, `listening on http://127.0.0.1:${port}`);
    below = descendants(npm.pid!);
    assert.ok(below.length > 0, 'the gateway runs below npm');
    assert.equal(await refused(port), false, 'the gateway listens');
    npm.kill('SIGTERM');
    // npm waits for the script's process to exit, and the gateway exits once it has stopped.
    await exited;
    assert.deepEqual(
      below.filter(alive),
      [],
      `every process npm started is gone once npm has exited:\n${output}`,
    );
    assert.equal(await refused(port), true, 'the port is free');
    assert.match(
      output,
      /SIGTERM.*shutting down|shutting down.*SIGTERM/,
      'the gateway itself got the SIGTERM',
    );
  } finally {
    npm.kill('SIGKILL');
    // Orphans no longer descend from npm: kill what was found below it.
    for (const pid of [...below, ...descendants(npm.pid!)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
const PACKAGES = ['.', 'packages/protocol', 'packages/engine', 'packages/gateway'];

test('the MIT licence is in the repository, and every package says MIT', () => {
  const licence = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(licence, /^MIT License\n\nCopyright \(c\) \d{4} Realtime Gateway contributors\n/);
  assert.match(licence, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  for (const dir of PACKAGES) assert.equal(readJson(join(dir, 'package.json')).license, 'MIT', dir);
});

/**
 * Whether `version` satisfies a package's `engines.node` range, for the range forms packages
 * use (`>=20`, `^18 || >=20`, `>= 14.6`, `>=10.x`, `>=18 <23`); any other form fails the test rather than
 * pass unchecked.
 */
function satisfies(version: string, range: string): boolean {
  const parse = (v: string) => {
    const parts = v.split('.').map(Number);
    assert.ok(parts.length <= 3 && parts.every(Number.isInteger), `unsupported version '${v}' in '${range}'`);
    return [parts[0]!, parts[1] ?? 0, parts[2] ?? 0] as const;
  };
  const compare = (a: readonly number[], b: readonly number[]) =>
    a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const have = parse(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1')
      .replace(/\.[xX*]/g, '')
      .split(/\s+/)
      .every((comparator) => {
        // `*` (or nothing) is any version.
        if (comparator === '*' || comparator === '') return true;
        const match = /^(>=|<=|>|<|\^|~|=)?v?([\d.]+)$/.exec(comparator);
        assert.ok(match, `unsupported comparator '${comparator}' in '${range}'`);
        const want = parse(match[2]!);
        const order = compare(have, want);
        switch (match[1]) {
          case '>=':
            return order >= 0;
          case '>':
            return order > 0;
          case '<=':
            return order <= 0;
          case '<':
            return order < 0;
          case '^':
            return order >= 0 && have[0] === want[0];
          case '~':
            return order >= 0 && have[0] === want[0] && have[1] === want[1];
          default:
            // `20` or `=20.1`: that release line (missing parts are wildcards).
            return match[2]!.split('.').every((part, k) => Number(part) === have[k]);
        }
      }),
  );
}

test('every installed package supports the documented Node floor (but werift, which says 22 and is tested on 20)', () => {
  const floor = /^>=(\d+\.\d+\.\d+)$/.exec(readJson('package.json').engines.node)?.[1];
  assert.ok(floor, 'the root package.json gives a >= floor');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(
    readme,
    new RegExp(`Node\\.js ${floor.replaceAll('.', '\\.')} or newer`),
    'the README states the floor',
  );
  assert.equal(satisfies('20.20.2', '^16 || ^18 || >=20'), true);
  assert.equal(satisfies('20.20.2', '>=22.0.0'), false);
  assert.equal(satisfies('20.18.1', '>= 14.6'), true);
  const lock = readJson('package-lock.json') as { packages: Record<string, { engines?: { node?: string } }> };
  const excluded: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = entry.engines?.node;
    if (range === undefined) continue;
    if (!satisfies(floor, range) || !satisfies(process.versions.node, range))
      excluded.push(`${path} ${range}`);
  }
  // werift (WebRTC calls) declares Node 22; the WebRTC tests run it on 20 (npm ci warns EBADENGINE).
  assert.deepEqual(excluded, ['node_modules/werift >=22']);
});

const run = promisify(execFile);

test('a fresh clone links realtime-gateway and realtime-engine: npx runs them without the registry', async () => {
  // The clone: the files git has (tracked, or new and not ignored), with their modes; no dist/, no node_modules/.
  const clone = mkdtempSync(join(tmpdir(), 'rg-clone-'));
  try {
    const { stdout: listed } = await run(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    for (const file of listed.split('\0')) {
      if (file === '' || !existsSync(join(ROOT, file))) continue;
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(clone, file));
      chmodSync(join(clone, file), statSync(join(ROOT, file)).mode);
    }
    assert.equal(existsSync(join(clone, 'packages/gateway/dist')), false);
    // npm's own settings from an enclosing `npm test` would point it back here; the cache stays shared.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
    delete env.OPENAI_API_KEY;
    await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: clone,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const [name, pkg] of [
      ['realtime-gateway', 'gateway'],
      ['realtime-engine', 'engine'],
    ] as const) {
      assert.equal(
        readlinkSync(join(clone, 'node_modules/.bin', name)),
        `../@realtime-gateway/${pkg}/bin/${name}.js`,
      );
      const help = await run('npx', ['--no-install', name, '--help'], { cwd: clone, env });
      assert.match(help.stdout, new RegExp(`^Usage: ${name} `));
    }
    // With the registry unreachable, even a plain npx finds the linked command.
    const dead = await freePort();
    const offline = await run('npx', ['realtime-gateway', '--help'], {
      cwd: clone,
      env: { ...env, npm_config_registry: `http://127.0.0.1:${dead}/`, npm_config_fetch_retries: '0' },
    });
    assert.match(offline.stdout, /^Usage: realtime-gateway /);
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});
