import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashKey } from '../src/auth/credentials.js';
import { applyOverrides, envOverrides, loadConfig, setOverride, unrelatedEnv } from '../src/config/load.js';
import { redactConfig } from '../src/config/redact.js';
import { DEFAULT_LIMITS, resolveConfig } from '../src/config/resolve.js';
import { DEFAULT_CONTINUITY } from '../src/continuity/config.js';
import { connect } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

const noFiles = { env: {}, readFile: (): string => assert.fail('no file read expected') };
const dir = mkdtempSync(join(tmpdir(), 'rg-config-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('config resolution', () => {
  it('fills every default for an empty config', () => {
    const result = resolveConfig({}, noFiles);
    assert.ok(result.ok);
    assert.deepEqual(result.config.limits, DEFAULT_LIMITS);
    assert.equal(result.config.inputChecking, 'enforce');
    assert.equal(result.config.auth.mode, 'none');
    assert.deepEqual(result.config.server, {
      host: '127.0.0.1',
      port: 8080,
      tls: null,
      devTls: { enabled: true, port: 8443 },
      allowedOrigins: null,
      trustedProxies: [],
    });
    assert.deepEqual(result.config.admin, { keyHash: null, listen: null });
    assert.deepEqual(result.config.metrics, { enabled: true, listen: null, keyHash: null });
    assert.deepEqual(result.config.log, { level: 'info', format: 'json' });
    assert.deepEqual(result.config.mcp.servers, []);
    assert.equal(result.config.mcp.callEvents, 'mcp');
    assert.deepEqual(result.config.continuity, DEFAULT_CONTINUITY);
    assert.equal(result.config.continuity.enabled, true);
  });

  it("caps an openai upstream's sessions at OpenAI's 60 minutes unless told, others not at all", () => {
    const result = resolveConfig(
      {
        upstreams: [
          { name: 'openai', baseUrl: 'https://api.openai.com/v1', kind: 'openai' },
          { name: 'uncapped', baseUrl: 'https://api.openai.com/v1', kind: 'openai', maxSessionMs: 0 },
          { name: 'local', baseUrl: 'http://127.0.0.1:9/v1' },
          { name: 'capped', baseUrl: 'http://127.0.0.1:9/v1', maxSessionMs: 1_800_000 },
        ],
      },
      noFiles,
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.config.upstreams.map((u) => [u.name, u.maxSessionMs]),
      [
        ['openai', 3_600_000],
        ['uncapped', null],
        ['local', null],
        ['capped', 1_800_000],
      ],
    );
  });

  it('reads TLS files and MCP header secrets, naming what is missing', () => {
    const files: Record<string, string> = { '/c.pem': 'CERT', '/k.pem': 'KEY' };
    const environment = {
      env: { MCP_TOKEN: 'Bearer t' },
      readFile: (path: string) => {
        const text = files[path];
        if (text === undefined) throw new Error('no such file');
        return text;
      },
    };
    const ok = resolveConfig(
      {
        server: { tls: { certFile: '/c.pem', keyFile: '/k.pem' } },
        mcp: {
          servers: [
            {
              name: 'crm',
              transport: 'http',
              url: 'https://mcp.example/mcp',
              headersFromEnv: { Authorization: 'MCP_TOKEN' },
            },
          ],
        },
      },
      environment,
    );
    assert.ok(ok.ok);
    assert.equal(ok.config.server.tls?.key, 'KEY');
    const transport = ok.config.mcp.servers[0]!.spec.transport;
    assert.deepEqual(transport.kind === 'http' ? transport.headers : null, { Authorization: 'Bearer t' });
    const bad = resolveConfig(
      {
        server: { tls: { certFile: '/missing.pem', keyFile: '/k.pem' } },
        mcp: {
          servers: [
            { name: 'bad name', transport: 'stdio' },
            { name: 'x', transport: 'sse', headersFromEnv: { A: 'UNSET' } },
          ],
        },
      },
      environment,
    );
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors.map((e) => e.field).sort(), [
      'mcp.servers[0].command',
      'mcp.servers[0].name',
      'mcp.servers[1].headersFromEnv.A',
      'mcp.servers[1].url',
      'server.tls.certFile',
    ]);
  });

  it('names the bad field, however deep', () => {
    const result = resolveConfig(
      { upstreams: [{ name: 'a', baseUrl: 'http://x', weight: 'heavy' }] },
      noFiles,
    );
    assert.ok(!result.ok);
    assert.equal(result.errors[0]!.field, 'upstreams[0].weight');
    assert.match(result.errors[0]!.message, /expected a number, but got a string \('heavy'\)/);
  });

  it('rejects unknown fields as typos', () => {
    const result = resolveConfig({ limits: { maxFrameByte: 10 } }, noFiles);
    assert.ok(!result.ok);
    assert.equal(result.errors[0]!.field, 'limits.maxFrameByte');
  });

  it('reports cross-field problems with their field', () => {
    const result = resolveConfig(
      {
        upstreams: [
          { name: 'a', baseUrl: 'http://x', apiKeyEnv: 'NOPE_KEY' },
          { name: 'a', baseUrl: 'not a url' },
        ],
        auth: { keys: [{ id: 'k', hash: 'plain' }] },
        limits: { highWaterBytes: 10, maxBufferedBytes: 5 },
      },
      noFiles,
    );
    assert.ok(!result.ok);
    const fields = result.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, [
      'auth.keys[0].hash',
      'limits.highWaterBytes',
      'upstreams[0].apiKeyEnv',
      'upstreams[1].baseUrl',
      'upstreams[1].name',
    ]);
  });

  it('reads the upstream key from the named environment variable and a CA file', () => {
    const ca = write('ca.pem', '-----BEGIN CERTIFICATE-----\n');
    const result = loadConfig({
      env: { MY_KEY: 'sk-upstream' },
      overrides: [
        setOverride('upstreams[0].name=u') as never,
        setOverride('upstreams[0].baseUrl=https://api.openai.com/v1/') as never,
        setOverride('upstreams[0].apiKeyEnv=MY_KEY') as never,
        setOverride(`upstreams[0].caFile=${ca}`) as never,
      ],
    });
    assert.ok(result.ok, JSON.stringify(result));
    const upstream = result.config.upstreams[0]!;
    assert.equal(upstream.apiKey, 'sk-upstream');
    assert.equal(upstream.baseUrl, 'https://api.openai.com/v1');
    assert.match(upstream.ca ?? '', /BEGIN CERTIFICATE/);
  });
});

describe('config sources', () => {
  const yaml = write(
    'gateway.yaml',
    [
      'server: { port: 9000 }',
      'inputChecking: warn',
      'upstreams:',
      '  - name: local',
      '    baseUrl: http://127.0.0.1:1/v1',
      '    models: [gpt-realtime]',
      'aliases: { fast: gpt-realtime }',
      'limits:',
      '  maxFrameBytes: 1000',
    ].join('\n'),
  );

  it('reads YAML and JSON files', () => {
    const fromYaml = loadConfig({ file: yaml });
    assert.ok(fromYaml.ok);
    assert.equal(fromYaml.config.server.port, 9000);
    assert.equal(fromYaml.config.inputChecking, 'warn');
    assert.equal(fromYaml.config.aliases.fast, 'gpt-realtime');
    const json = write('gateway.json', JSON.stringify({ limits: { idleTimeoutMs: 5 } }));
    const fromJson = loadConfig({ file: json });
    assert.ok(fromJson.ok);
    assert.equal(fromJson.config.limits.idleTimeoutMs, 5);
  });

  it('lets the environment override the file and the CLI override both', () => {
    const env = { REALTIME_GATEWAY_LIMITS__MAX_FRAME_BYTES: '2000', REALTIME_GATEWAY_SERVER__PORT: '9001' };
    const fromEnv = loadConfig({ file: yaml, env });
    assert.ok(fromEnv.ok);
    assert.equal(fromEnv.config.limits.maxFrameBytes, 2000);
    assert.equal(fromEnv.config.server.port, 9001);
    const fromCli = loadConfig({
      file: yaml,
      env,
      overrides: [setOverride('limits.maxFrameBytes=3000') as never],
    });
    assert.ok(fromCli.ok);
    assert.equal(fromCli.config.limits.maxFrameBytes, 3000);
  });

  it('says which override set a bad value', () => {
    const result = loadConfig({ env: { REALTIME_GATEWAY_LIMITS__IDLE_TIMEOUT_MS: 'soon' } });
    assert.ok(!result.ok);
    assert.equal(result.errors[0]!.field, 'limits.idleTimeoutMs');
    assert.match(result.errors[0]!.message, /set by env REALTIME_GATEWAY_LIMITS__IDLE_TIMEOUT_MS/);
  });

  it('reports a file that is not YAML', () => {
    const bad = write('bad.yaml', 'limits: [1, 2\n');
    const result = loadConfig({ file: bad });
    assert.ok(!result.ok);
    assert.match(result.errors[0]!.message, /bad\.yaml/);
  });

  it('maps env names and --set paths to fields', () => {
    assert.deepEqual(envOverrides({ REALTIME_GATEWAY_UPSTREAMS__0__CONNECT_TIMEOUT_MS: '5', OTHER: 'x' }), [
      {
        path: ['upstreams', 0, 'connectTimeoutMs'],
        value: 5,
        source: 'env REALTIME_GATEWAY_UPSTREAMS__0__CONNECT_TIMEOUT_MS',
      },
    ]);
    assert.deepEqual(applyOverrides({}, [setOverride('a.b[0].c=true') as never]), {
      a: { b: [{ c: true }] },
    });
    assert.ok('message' in setOverride('novalue'));
  });

  it("leaves alone variables that name no section, as Kubernetes sets for a service named 'realtime-gateway'", () => {
    const env = {
      REALTIME_GATEWAY_PORT: 'tcp://10.96.0.7:8080',
      REALTIME_GATEWAY_PORT_8080_TCP_ADDR: '10.96.0.7',
      REALTIME_GATEWAY_SERVICE_HOST: '10.96.0.7',
      REALTIME_GATEWAY_SERVER__PORT: '9001',
    };
    assert.deepEqual(
      envOverrides(env).map((o) => o.source),
      ['env REALTIME_GATEWAY_SERVER__PORT'],
    );
    assert.deepEqual(unrelatedEnv(env), [
      'REALTIME_GATEWAY_PORT',
      'REALTIME_GATEWAY_PORT_8080_TCP_ADDR',
      'REALTIME_GATEWAY_SERVICE_HOST',
    ]);
    const loaded = loadConfig({ env });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.server.port, 9001);
  });
});

describe('printing the effective config', () => {
  it('redacts upstream keys and key hashes', () => {
    const hash = hashKey('rg-secret');
    const result = resolveConfig(
      {
        upstreams: [{ name: 'o', baseUrl: 'https://api.openai.com/v1', kind: 'openai', apiKeyEnv: 'K' }],
        auth: { keys: [{ id: 'team', hash: `sha256:${hash}` }] },
        admin: { keyHash: `sha256:${hashKey('admin')}` },
      },
      { env: { K: 'sk-live-123' }, readFile: () => '' },
    );
    assert.ok(result.ok);
    const printed = JSON.stringify(redactConfig(result.config));
    assert.ok(!printed.includes('sk-live-123'));
    assert.ok(!printed.includes(hash));
    assert.match(printed, /redacted, from K/);
    assert.match(printed, /"id":"team"/);
  });

  it('redacts the TLS key and MCP credentials', () => {
    const result = resolveConfig(
      {
        server: { tls: { certFile: '/c.pem', keyFile: '/k.pem' } },
        mcp: {
          servers: [
            {
              name: 'web',
              transport: 'http',
              url: 'https://mcp.example/mcp',
              headersFromEnv: { Authorization: 'MCP_AUTH' },
            },
            { name: 'local', transport: 'stdio', command: 'mcp-server', env: { DB_PASSWORD: 'pw-secret' } },
          ],
        },
      },
      {
        env: { MCP_AUTH: 'Bearer mcp-secret' },
        readFile: (path) => (path === '/k.pem' ? 'PRIVATE-KEY-PEM' : 'CERT'),
      },
    );
    assert.ok(result.ok);
    const printed = JSON.stringify(redactConfig(result.config));
    for (const secret of ['PRIVATE-KEY-PEM', 'mcp-secret', 'pw-secret'])
      assert.ok(!printed.includes(secret), secret);
    assert.match(printed, /"keyFile":"\/k.pem"/);
    assert.match(printed, /"Authorization":"\[redacted\]"/);
  });

  it('prints deny patterns as their sources and never a moderation key', () => {
    const result = resolveConfig(
      {
        guardrails: [
          {
            name: 'pii',
            on: 'both',
            deny: ['\\b\\d{16}\\b', 'secret\\s+word'],
            moderation: { url: 'https://mod.example/v1/moderations', apiKeyEnv: 'MOD_KEY' },
          },
        ],
      },
      { env: { MOD_KEY: 'sk-mod-secret' }, readFile: () => '' },
    );
    assert.ok(result.ok);
    const printed = JSON.stringify(redactConfig(result.config));
    assert.ok(!printed.includes('sk-mod-secret'));
    const guardrail = (JSON.parse(printed) as { guardrails: Record<string, unknown>[] }).guardrails[0]!;
    assert.deepEqual(guardrail.deny, ['\\b\\d{16}\\b', 'secret\\s+word']);
    assert.equal((guardrail.moderation as { apiKey: string }).apiKey, '[redacted, from MOD_KEY]');
  });
});

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 20_000,
  });
}

describe('command line', () => {
  it('--help prints usage', () => {
    const result = runCli(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /Usage: realtime-gateway/);
    assert.match(result.stdout, /--print-config/);
    assert.match(result.stdout, /WSS on port 8443 \(server\.devTls\.port\)/);
  });

  it('--hash-key prints the hash to configure', () => {
    const result = runCli(['--hash-key', 'rg-secret']);
    assert.equal(result.stdout.trim(), `sha256:${hashKey('rg-secret')}`);
  });

  it('--print-config prints the effective config with secrets redacted', () => {
    const file = write(
      'print.yaml',
      'upstreams:\n  - { name: o, baseUrl: "https://api.openai.com/v1", kind: openai, apiKeyEnv: UP_KEY }\n',
    );
    const result = runCli(['--config', file, '--set', 'limits.maxSessions=7', '--print-config'], {
      UP_KEY: 'sk-very-secret',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!result.stdout.includes('sk-very-secret'));
    const printed = JSON.parse(result.stdout) as {
      limits: { maxSessions: number };
      upstreams: { apiKey: string }[];
    };
    assert.equal(printed.limits.maxSessions, 7);
    assert.equal(printed.upstreams[0]!.apiKey, '[redacted, from UP_KEY]');
  });

  it('serves OpenAI by default when OPENAI_API_KEY is set', () => {
    const result = runCli(['--print-config'], { OPENAI_API_KEY: 'sk-openai' });
    const printed = JSON.parse(result.stdout) as { upstreams: { name: string; models: string[] }[] };
    assert.deepEqual(
      printed.upstreams.map((u) => [u.name, u.models]),
      [['openai', ['gpt-*']]],
    );
    assert.ok(!result.stdout.includes('sk-openai'));
  });

  it('exits 1 naming the bad field', () => {
    const file = write('bad-field.yaml', 'limits:\n  idleTimeoutMs: -5\n');
    const result = runCli(['--config', file]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /config error at limits\.idleTimeoutMs: .*>= 1/);
  });

  it('exits 2 on an unknown option', () => {
    const result = runCli(['--nope']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--help/);
  });

  it('starts, relays a session, and exits 0 on SIGTERM', async () => {
    const upstream = await startTestUpstream();
    const file = write(
      'run.json',
      // Its own data directory: the development CA is not made in the working tree.
      JSON.stringify({
        dataDir: join(dir, 'data'),
        upstreams: [{ name: 'u', baseUrl: `${upstream.httpUrl}/v1` }],
      }),
    );
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CLI, '-c', file, '--port', '0'],
      {
        env: { PATH: process.env.PATH ?? '', REALTIME_GATEWAY_LOG__LEVEL: 'silent' },
      },
    );
    try {
      let out = '';
      // The banner is on stderr; stdout carries log lines only.
      child.stderr.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: string) => {
          out += chunk;
          const match = /connect: (ws:\/\/\S+)\?model=/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const client = await connect(`${url}?model=gpt-realtime`);
      assert.equal((await client.next()).type, 'session.created');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal((await client.closed).code, 1001);
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      await upstream.close();
    }
  });
});
