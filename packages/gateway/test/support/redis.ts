/**
 * A real Redis server for tests: the `redis-server` binary, listening on a free port of
 * 127.0.0.1 only, with no persistence at all, so a `stop()` and `start()` lose every key (as a
 * Redis restarted without persistence does, which the outage tests rely on). `close()` stops it
 * and removes its directory; a server still running when the test process exits is killed.
 *
 * Without the binary, {@link redisOrSkip} skips the test with what to install; under `CI=true`
 * it fails instead, so CI cannot pass without having run these tests.
 *
 * @example
 * const redis = await redisOrSkip(t);
 * if (redis === null) return;
 * const store = new RedisStore({ url: redis.url, timeoutMs: 500 });
 * await redis.close();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './ports.js';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` (`rediss://` with TLS), without the password. */
  readonly url: string;
  readonly port: number;
  /** The password the server asks for, or null. */
  readonly password: string | null;
  /** The server's process id while it runs (for a benchmark reading its CPU time), else null. */
  readonly pid: number | null;
  /** Stops the server (SIGTERM) and waits for it to exit; every key is lost. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Options for {@link startTestRedis}. */
export interface TestRedisOptions {
  /** Makes the server ask for this password (`--requirepass`). */
  readonly password?: string;
  /**
   * Serves TLS only, with this certificate and key (PEM); clients must present a certificate
   * the CA issued when `ca` is given (`--tls-auth-clients yes`).
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
}

const MISSING =
  'redis-server not found (/usr/bin/redis-server or on PATH); install it ' +
  '(Debian/Ubuntu: apt-get install redis-server) to run the Redis store tests.';

/** Where the `redis-server` binary is, or null when it is not installed. */
export function redisServerBin(): string | null {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'redis-server'));
  for (const bin of ['/usr/bin/redis-server', ...onPath]) {
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {}
  }
  return null;
}

/** A started server, or null after marking the test skipped (outside CI) when none is installed. */
export async function redisOrSkip(t: TestContext, options: TestRedisOptions = {}): Promise<TestRedis | null> {
  if (redisServerBin() === null) {
    if (process.env.CI === 'true') throw new Error(MISSING);
    t.skip(MISSING);
    return null;
  }
  return startTestRedis(options);
}

/**
 * Whether something on `port` answers a PING as Redis does (a NOAUTH refusal counts). Over TLS
 * a port that takes connections is enough: the handshake is what the tests themselves check.
 */
function answersPing(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => (tls ? done(true) : socket.write('PING\r\n')));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString('latin1'))));
  });
}

/** Children still running, killed if the test process exits without closing them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a fresh server; see the module's comment. */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const bin = redisServerBin();
  if (bin === null) throw new Error(MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'rg-redis-'));
  const port = await freePort();
  const password = options.password ?? null;
  const tls = options.tls;
  const file = (name: string, content: string): string => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return join(dir, name);
  };
  const args = [
    ...(tls === undefined
      ? ['--port', String(port)]
      : [
          ...['--port', '0', '--tls-port', String(port)],
          ...['--tls-cert-file', file('cert.pem', tls.cert), '--tls-key-file', file('key.pem', tls.key)],
          ...(tls.ca === undefined
            ? ['--tls-auth-clients', 'no']
            : ['--tls-ca-cert-file', file('ca.pem', tls.ca), '--tls-auth-clients', 'yes']),
        ]),
    ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--dir', dir, '--daemonize', 'no', '--logfile', ''],
    ...(password === null ? [] : ['--requirepass', password]),
  ];
  let child: ChildProcess | null = null;
  let log = '';

  const stop = async () => {
    const current = child;
    if (current === null) return;
    child = null;
    if (current.exitCode === null && current.signalCode === null) {
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGTERM');
      await exited;
    }
    running.delete(current);
  };

  const start = async () => {
    if (child !== null) return;
    log = '';
    const started = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (data: Buffer) => {
      log = (log + data.toString()).slice(-4000);
    });
    started.stderr?.on('data', (data: Buffer) => {
      log = (log + data.toString()).slice(-4000);
    });
    child = started;
    running.add(started);
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port, tls !== undefined))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`redis-server did not start on port ${port}:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await start();
  return {
    url: `${tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
    port,
    password,
    get pid() {
      return child?.pid ?? null;
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
