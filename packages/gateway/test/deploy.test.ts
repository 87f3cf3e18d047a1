/**
 * deploy/: what can be checked without a container engine. The entrypoint script runs here with
 * bash against the built CLIs (the image's layout, rooted at the repository); the compose file,
 * the gateway configuration it mounts and the Dockerfile are checked against one another; the
 * systemd unit goes through `systemd-analyze verify` where that exists.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEngine } from '@realtime-gateway/engine';
import pg_ from 'pg';
import { WebSocket } from 'ws';
import { parse, stringify } from 'yaml';
import { ALLOCATOR_ENV } from '../src/cluster/allocator-env.js';
import { loadConfig } from '../src/config/load.js';
import { freePort, untilOutput } from './support/cli.js';
import { postgresOrSkip } from './support/postgres.js';
import { redisOrSkip } from './support/redis.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const ENTRYPOINT = join(DEPLOY, 'docker-entrypoint.sh');
/** The key whose hash deploy/gateway.yaml carries, as its comment says. */
const EXAMPLE_KEY = 'rg-compose-example-change-me';

type Yaml = Record<string, unknown>;
const read = (file: string) => readFileSync(join(DEPLOY, file), 'utf8');

/** The entrypoint as the image runs it, with the repository as the image's /app. */
function entrypoint(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, REALTIME_APP_DIR: ROOT.replace(/\/$/, ''), ...env };
  delete base.OPENAI_API_KEY;
  return spawnSync('bash', [ENTRYPOINT, ...args], { encoding: 'utf8', env: base });
}

test('the entrypoint runs the gateway (also for a bare option), the engine, or any command', () => {
  for (const args of [['--help'], ['realtime-gateway', '--help']]) {
    const run = entrypoint(args);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: realtime-gateway /);
  }
  const engine = entrypoint(['realtime-engine', '--help']);
  assert.equal(engine.status, 0, engine.stderr);
  assert.match(engine.stdout, /^Usage: realtime-engine /);
  const hash = entrypoint(['realtime-gateway', '--hash-key', EXAMPLE_KEY]);
  assert.equal(
    hash.stdout.trim(),
    (parse(read('gateway.yaml')) as Yaml & { auth: { keys: { hash: string }[] } }).auth.keys[0]!.hash,
  );
  assert.equal(entrypoint(['echo', 'as', 'is']).stdout, 'as is\n');
});

test('the entrypoint reads <NAME>_API_KEY_FILE into <NAME>_API_KEY, and refuses both or an unreadable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-entry-'));
  try {
    const secret = join(dir, 'key');
    writeFileSync(secret, 'sk-from-file\n');
    const show = [
      'node',
      '-e',
      'console.log(JSON.stringify([process.env.UP_API_KEY, process.env.UP_API_KEY_FILE]))',
    ];
    const fromFile = entrypoint(show, { UP_API_KEY_FILE: secret });
    assert.equal(fromFile.status, 0, fromFile.stderr);
    assert.deepEqual(
      JSON.parse(fromFile.stdout),
      ['sk-from-file', null],
      'the key is set, the _FILE variable gone',
    );
    const both = entrypoint(show, { UP_API_KEY_FILE: secret, UP_API_KEY: 'sk-env' });
    assert.equal(both.status, 2);
    assert.match(both.stderr, /both UP_API_KEY and UP_API_KEY_FILE are set/);
    const missing = entrypoint(show, { UP_API_KEY_FILE: join(dir, 'nothing') });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /UP_API_KEY_FILE names .*nothing, which cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the entrypoint becomes the gateway: the compose configuration serves the example key on its Redis and PostgreSQL, and SIGTERM to the script's process stops it", async (t) => {
  // The compose file's services, stood in for by real servers on loopback.
  const redis = await redisOrSkip(t);
  if (redis === null) return;
  t.after(() => redis.close());
  const pg = await postgresOrSkip(t);
  if (pg === null) return;
  t.after(() => pg.close());
  const engine = await startEngine({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'rg-entry-'));
  const port = await freePort();
  // deploy/gateway.yaml, with each service's address replaced by this test's server and loopback.
  const config = parse(read('gateway.yaml')) as Yaml & {
    server: Yaml;
    upstreams: Yaml[];
    store: { redis: Yaml };
    ledger: { postgres: Yaml };
  };
  config.server.host = '127.0.0.1';
  config.server.port = port;
  config.upstreams[0]!.baseUrl = `http://127.0.0.1:${engine.port}/v1`;
  config.store.redis.url = redis.url;
  config.ledger.postgres.url = pg.url;
  writeFileSync(join(dir, 'gateway.yaml'), stringify(config));
  const child = spawn('bash', [ENTRYPOINT, 'realtime-gateway', '--config', join(dir, 'gateway.yaml')], {
    env: {
      ...process.env,
      REALTIME_APP_DIR: ROOT.replace(/\/$/, ''),
      POSTGRES_PASSWORD: pg.password,
      GATEWAY_NODE_TOKEN: randomBytes(32).toString('base64url'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await untilOutput(child, () => output, 'listening on');
    if (process.platform === 'linux') {
      const command = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(
        command.slice(1, 2),
        [join(ROOT, 'packages/gateway/dist/cli.js')],
        'bash was replaced by node',
      );
    }
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Record<string, unknown>;
    assert.equal(ready.store, 'available', JSON.stringify(ready));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`, {
      headers: { authorization: `Bearer ${EXAMPLE_KEY}` },
    });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    assert.equal(first.type, 'session.created');
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /shutting down/);
    // The ledger was flushed at shutdown: the session is in PostgreSQL.
    const withPassword = new URL(pg.url);
    withPassword.password = pg.password;
    const client = new pg_.Client({ connectionString: withPassword.href });
    await client.connect();
    try {
      const rows = await client.query('SELECT key_id FROM session_records');
      assert.deepEqual(
        rows.rows.map((row: { key_id: string }) => row.key_id),
        ['compose-example'],
      );
    } finally {
      await client.end();
    }
  } finally {
    child.kill('SIGKILL');
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compose: every service is healthy-checked, and the gateway, its config file and the Dockerfile agree', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, Yaml>; volumes: Yaml };
  assert.deepEqual(Object.keys(compose.services).sort(), ['engine', 'gateway', 'postgres', 'redis']);
  for (const [name, service] of Object.entries(compose.services)) {
    const check = service.healthcheck as { test: string[] } | undefined;
    assert.ok(check && check.test.length > 1, `${name} has a health check`);
    for (const word of check.test) assert.equal(typeof word, 'string', `${name}'s health check is words`);
    for (const volume of (service.volumes as string[] | undefined) ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.'))
        assert.ok(existsSync(join(DEPLOY, source)), `${name} mounts ${source}, which exists`);
      else assert.ok(source in compose.volumes, `${name}'s volume ${source} is declared`);
    }
  }
  const gateway = compose.services.gateway!;
  const dependsOn = gateway.depends_on as Record<string, { condition: string }>;
  assert.deepEqual(Object.keys(dependsOn).sort(), ['engine', 'postgres', 'redis']);
  for (const dependency of Object.values(dependsOn)) assert.equal(dependency.condition, 'service_healthy');

  // The configuration the gateway is started with is the file mounted, and it loads.
  const command = gateway.command as string[];
  const configPath = command[command.indexOf('--config') + 1];
  const mount = (gateway.volumes as string[]).find((v) => v.split(':')[1] === configPath);
  assert.ok(mount, `the gateway's --config ${configPath} is mounted`);
  const file = join(DEPLOY, mount.split(':')[0]!);
  // The secrets the configuration names come from the gateway's environment, which compose fills.
  const environment = gateway.environment as Record<string, string>;
  assert.deepEqual(Object.keys(environment).sort(), ['GATEWAY_NODE_TOKEN', 'POSTGRES_PASSWORD']);
  for (const value of Object.values(environment))
    assert.match(value, /^\$\{[A-Z_]+:\?/, 'required, not defaulted');
  const loaded = loadConfig({
    file,
    env: { GATEWAY_NODE_TOKEN: 'x'.repeat(32), POSTGRES_PASSWORD: 'compose-password' },
  });
  assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.errors));
  const config = loaded.config;
  assert.equal(config.server.host, '0.0.0.0', 'reachable from outside its container');
  assert.equal(config.auth.mode, 'keys', 'a public address needs keys');
  assert.deepEqual(gateway.ports, [`${config.server.port}:${config.server.port}`]);
  assert.match(
    (gateway.healthcheck as { test: string[] }).test.join(' '),
    new RegExp(`127\\.0\\.0\\.1:${config.server.port}/readyz`),
  );
  assert.ok(
    (gateway.stop_grace_period as string) === `${Math.ceil(config.shutdown.drainMs / 1000) + 10}s`,
    'Docker waits out the drain before it kills',
  );

  // The upstream is the engine service, on the port the engine is told to listen on.
  const engine = compose.services.engine!;
  const engineCommand = engine.command as string[];
  const upstream = new URL(config.upstreams[0]!.baseUrl);
  assert.equal(upstream.hostname, 'engine');
  assert.equal(upstream.port, engineCommand[engineCommand.indexOf('--port') + 1]);
  assert.equal(engineCommand[engineCommand.indexOf('--host') + 1], '0.0.0.0');
  assert.deepEqual(engine.expose, [upstream.port]);
  assert.match(
    (engine.healthcheck as { test: string[] }).test.join(' '),
    new RegExp(`:${upstream.port}/healthz`),
  );

  // The store and the ledger are the redis and postgres services, on their ports.
  const store = new URL(config.store.redis!.url);
  assert.equal(store.hostname, 'redis');
  assert.deepEqual(compose.services.redis!.expose, [store.port]);
  const ledgerStore = config.ledger.store;
  assert.equal(ledgerStore.kind, 'postgres');
  if (ledgerStore.kind !== 'postgres') return;
  const ledger = new URL(ledgerStore.url);
  assert.equal(ledger.hostname, 'postgres');
  assert.deepEqual(compose.services.postgres!.expose, [ledger.port]);
  const postgresEnv = compose.services.postgres!.environment as Record<string, string>;
  assert.equal(decodeURIComponent(ledger.username), postgresEnv.POSTGRES_USER);
  assert.equal(ledger.pathname, `/${postgresEnv.POSTGRES_DB}`);
  assert.equal(ledgerStore.passwordEnv, 'POSTGRES_PASSWORD');
  assert.equal(postgresEnv.POSTGRES_PASSWORD, environment.POSTGRES_PASSWORD, 'one password for both');

  // Both run the image the Dockerfile builds, with the repository as the build context.
  const dockerfile = read('Dockerfile');
  for (const service of [gateway, engine]) {
    assert.deepEqual(service.build, { context: '..', dockerfile: 'deploy/Dockerfile' });
    assert.equal(service.image, gateway.image);
  }
  assert.match(dockerfile, new RegExp(`^EXPOSE ${config.server.port}$`, 'm'));
  assert.match(dockerfile, new RegExp(`^CMD \\["realtime-gateway", "--config", "${configPath}"\\]$`, 'm'));
  assert.match(
    compose.services.postgres!.environment ? JSON.stringify(compose.services.postgres!.environment) : '',
    /POSTGRES_PASSWORD/,
  );
});

test('Dockerfile: node:20-slim stages, a non-root user, and every file it copies is in the build context', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(stages, ['node:20-slim', 'node:20-slim']);
  const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(users, ['node']);
  assert.ok(
    dockerfile.lastIndexOf('USER node') > dockerfile.lastIndexOf('FROM '),
    'the final stage runs as node',
  );
  assert.match(dockerfile, /^ENTRYPOINT \["tini", "--", "docker-entrypoint.sh"\]$/m);
  assert.match(dockerfile, /^COPY deploy\/docker-entrypoint.sh \/usr\/local\/bin\/docker-entrypoint.sh$/m);
  assert.ok(
    readFileSync(ENTRYPOINT).readUInt32BE(0) === 0x23212f75,
    'the entrypoint starts with a #!/u… line',
  );
  assert.equal(
    spawnSync('git', ['ls-files', '-s', 'deploy/docker-entrypoint.sh'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).stdout.split(' ')[0],
    '100755',
    'committed executable',
  );
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((pattern) => pattern.replace(/^\*\*\//, ''));
  // Each context COPY (not --from): its sources exist and no .dockerignore pattern drops them.
  for (const match of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
    const sources = match[1]!.trim().split(/\s+/).slice(0, -1);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `COPY ${source} exists`);
      for (const pattern of ignored)
        assert.ok(
          !source.split('/').includes(pattern) && source !== pattern,
          `${source} is not ignored by ${pattern}`,
        );
    }
  }
  // The runtime stage has every package's built files and the launchers npm links.
  for (const path of [
    'packages/protocol/dist',
    'packages/engine/dist',
    'packages/engine/bin',
    'packages/gateway/dist',
    'packages/gateway/bin',
    'packages/console/root.js',
    'packages/console/dist',
  ])
    assert.match(dockerfile, new RegExp(`^COPY --from=build /app/${path} ${path}$`, 'm'));
});

test('the image, the systemd unit and npm start run the gateway with the allocator settings', () => {
  const settings = Object.entries(ALLOCATOR_ENV);
  const dockerEnv = /^ENV ((?:.*\\\n)*.*)$/m.exec(read('Dockerfile'))![1]!.split(/\s*\\\n\s*/);
  const unitEnv = [...read('realtime-gateway.service').matchAll(/^Environment=(.*)$/gm)].flatMap((m) =>
    m[1]!.split(' '),
  );
  const start = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts.start;
  for (const [name, value] of settings) {
    assert.ok(dockerEnv.includes(`${name}=${value}`), `Dockerfile ENV ${name}`);
    assert.ok(unitEnv.includes(`${name}=${value}`), `unit Environment ${name}`);
    assert.ok(start.startsWith(`${settings.map(([n, v]) => `${n}=${v}`).join(' ')} exec node `), 'npm start');
  }
});

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('the systemd unit passes systemd-analyze verify', {
  skip: !systemdAnalyze && 'systemd-analyze is not installed (apt-get install systemd)',
}, () => {
  const unit = read('realtime-gateway.service');
  const execStart = /^ExecStart=(\S+) (\S+)/m.exec(unit)!;
  assert.equal(execStart[2], '/opt/realtime-gateway/packages/gateway/dist/cli.js');
  // verify checks that the executable exists: point the unit at this machine's node and checkout.
  const dir = mkdtempSync(join(tmpdir(), 'rg-unit-'));
  try {
    const here = join(dir, 'realtime-gateway.service');
    writeFileSync(
      here,
      unit
        .replaceAll('/usr/bin/node', process.execPath)
        .replaceAll('/opt/realtime-gateway', ROOT.replace(/\/$/, '')),
    );
    const verify = spawnSync('systemd-analyze', ['verify', here], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    // An unknown key or a bad value is only a warning for verify; the unit has none.
    assert.equal(verify.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
