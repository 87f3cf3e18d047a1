/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries, initialised into a fresh
 * temporary directory, listening on a free port of 127.0.0.1 only, with password
 * (SCRAM) authentication. PostgreSQL refuses to run as root, so when the tests run as root (as
 * CI does) its commands run as the `postgres` user the package creates, in a directory that
 * user owns. `stop()` and `start()` take the server down and up again on the same port and data
 * (for ledger-outage tests); `close()` stops it and removes everything.
 *
 * Without the binaries, {@link postgresOrSkip} skips the test with what to install; under
 * `CI=true` it fails instead, so CI cannot pass without having run these tests.
 *
 * @example
 * const pg = await postgresOrSkip(t);
 * if (pg === null) return;
 * const ledger = new PostgresLedger({ url: pg.url, password: pg.password });
 * await pg.close();
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const ROOT = '/usr/lib/postgresql';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, without the password. */
  readonly url: string;
  readonly password: string;
  readonly port: number;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Starts it again, same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** The newest installed version's `bin` directory, or null when PostgreSQL is not installed. */
export function postgresBin(): string | null {
  if (!existsSync(ROOT)) return null;
  const versions = readdirSync(ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(ROOT, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(ROOT, versions[0]!, 'bin');
}

const MISSING =
  'PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin; install them ' +
  '(Debian/Ubuntu: apt-get install postgresql) to run the PostgreSQL ledger tests.';

/** A started server, or null after marking the test skipped (outside CI) when none is installed. */
export async function postgresOrSkip(t: TestContext): Promise<TestPostgres | null> {
  if (postgresBin() === null) {
    if (process.env.CI === 'true') throw new Error(MISSING);
    t.skip(MISSING);
    return null;
  }
  return startTestPostgres();
}

/** Starts a fresh server; see the module's comment. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (bin === null) throw new Error(MISSING);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'rg-postgres-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chownSync(pwfile, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  const pgExec = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);
  await pgExec('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '-A',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await pgExec('pg_ctl', [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  };
  const stop = async () => {
    await pgExec('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    password,
    port,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async close() {
      if (running) await stop().catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
