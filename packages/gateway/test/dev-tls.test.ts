/**
 * The first hour with the official `openai` SDK, which speaks `wss:` only: the command line
 * serves TLS on a second port with a development certificate authority it makes in the data
 * directory and keeps across restarts, and prints the SDK's base URL and the line that makes
 * Node trust the CA. The SDK runs in a child process with that line, as a user would run it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { selfSignedCertificate } from '../examples/tls-certificate.js';
import { resolveConfig } from '../src/config/resolve.js';
import { DEV_TLS_DIR, ensureDevCertificates } from '../src/tls/dev-ca.js';
import { freePort, type Running, startCli } from './support/cli.js';
import { connect, eventually } from './support/harness.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = fileURLToPath(new URL('../examples/demo.ts', import.meta.url));
const noFiles = { env: {}, readFile: (): string => assert.fail('no file read expected') };

/** The root README's SDK snippet, exactly as written, with the test's port for 8443. */
function readmeSnippet(baseUrl: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)]
    .map((match) => match[1]!)
    .find((code) => code.includes('OpenAIRealtimeWS'));
  assert.ok(block, 'the README has a js block with the SDK');
  assert.ok(block.includes("'https://127.0.0.1:8443/v1'"), block);
  return block.replace("'https://127.0.0.1:8443/v1'", `'${baseUrl}'`);
}

/** Runs code as an ES module from the repository root (where `openai` is installed). */
function runModule(code: string, env: NodeJS.ProcessEnv) {
  const { NODE_EXTRA_CA_CERTS: _, ...inherited } = process.env;
  return run(process.execPath, ['--input-type=module', '--eval', code], {
    cwd: ROOT,
    env: { ...inherited, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

async function stop(running: Running): Promise<void> {
  running.child.kill('SIGTERM');
  assert.equal(await running.exited, 0);
}

describe('the development certificate authority', () => {
  test('is made once in the data directory and reused; the CA vouches for the loopback names only', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rg-devca-')), 'data');
    const made = await ensureDevCertificates(dataDir);
    assert.equal(made.created, true);
    assert.equal(made.caFile, join(dataDir, DEV_TLS_DIR, 'ca.pem'));
    // The CA's private key is not kept: nothing else can ever be signed by it.
    assert.deepEqual(readdirSync(join(dataDir, DEV_TLS_DIR)).sort(), ['ca.pem', 'cert.pem', 'key.pem']);
    const ca = new X509Certificate(readFileSync(made.caFile));
    const leaf = new X509Certificate(made.cert);
    assert.ok(ca.ca);
    assert.ok(leaf.verify(ca.publicKey));
    assert.equal(leaf.ca, false);
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(leaf.checkIP('::1'));
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkHost('example.com'), undefined);

    const again = await ensureDevCertificates(dataDir);
    assert.equal(again.created, false);
    assert.deepEqual([again.ca, again.cert, again.key], [made.ca, made.cert, made.key]);

    // An unusable set (a key that is not the certificate's) is replaced as a whole.
    writeFileSync(join(dataDir, DEV_TLS_DIR, 'key.pem'), (await selfSignedCertificate()).key);
    const replaced = await ensureDevCertificates(dataDir);
    assert.equal(replaced.created, true);
    assert.notEqual(replaced.ca, made.ca);
    assert.equal(replaced.caFile, made.caFile);
    assert.deepEqual(readdirSync(dataDir), [DEV_TLS_DIR]);
  });

  test('configuration: on by default on loopback without server.tls, off otherwise, never with server.tls', () => {
    const on = resolveConfig({}, noFiles);
    assert.ok(on.ok);
    assert.deepEqual(on.config.server.devTls, { enabled: true, port: 8443 });
    assert.equal(on.config.dataDir, join(process.cwd(), '.realtime-gateway'));
    const free = resolveConfig({ server: { port: 0 }, dataDir: '/srv/gw' }, noFiles);
    assert.ok(free.ok);
    assert.deepEqual(free.config.server.devTls, { enabled: true, port: 0 });
    assert.equal(free.config.dataDir, '/srv/gw');
    const open = resolveConfig({ server: { host: '0.0.0.0' }, auth: { allowAnonymous: true } }, noFiles);
    assert.ok(open.ok);
    assert.equal(open.config.server.devTls.enabled, false);
    const files = { env: {}, readFile: () => 'PEM' };
    const real = resolveConfig({ server: { tls: { certFile: '/c', keyFile: '/k' } } }, files);
    assert.ok(real.ok);
    assert.equal(real.config.server.devTls.enabled, false);
    const both = resolveConfig(
      { server: { tls: { certFile: '/c', keyFile: '/k' }, devTls: { enabled: true } } },
      files,
    );
    assert.ok(!both.ok);
    assert.equal(both.errors[0]!.field, 'server.devTls.enabled');
    const clash = resolveConfig({ server: { port: 9000, devTls: { port: 9000 } } }, noFiles);
    assert.ok(!clash.ok);
    assert.equal(clash.errors[0]!.field, 'server.devTls.port');
    const typo = resolveConfig({ server: { devTls: { enabled: 'yes' } } }, noFiles);
    assert.ok(!typo.ok);
    assert.equal(typo.errors[0]!.field, 'server.devTls.enabled');
  });
});

describe('realtime-gateway with the embedded engine serves the openai SDK over TLS', () => {
  test('the README snippet with the printed NODE_EXTRA_CA_CERTS line; a second start keeps the CA; the demo', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rg-devtls-')), '.realtime-gateway');
    const [port, tlsPort] = [await freePort(), await freePort()];
    const config = { dataDir, server: { port, devTls: { port: tlsPort } } };
    const caFile = join(dataDir, DEV_TLS_DIR, 'ca.pem');
    const baseUrl = `https://127.0.0.1:${tlsPort}/v1`;

    const first = await startCli(config);
    let firstCa: string;
    try {
      const banner = first.stderr().split('\n');
      assert.ok(
        banner.some((line) => line.includes(`openai SDK: ${baseUrl} `)),
        first.stderr(),
      );
      assert.ok(banner.includes(`NODE_EXTRA_CA_CERTS=${caFile}`), first.stderr());
      firstCa = readFileSync(caFile, 'utf8');
      // stdout is JSON log lines only; the banner went to stderr.
      await eventually(() => first.stdout().includes('"msg":"development TLS"'), 5000, 'the log line');
      const lines = first.stdout().trim().split('\n');
      assert.ok(lines.length > 0);
      for (const line of lines) assert.equal(typeof JSON.parse(line).msg, 'string', line);

      const trusted = await runModule(readmeSnippet(baseUrl), { NODE_EXTRA_CA_CERTS: caFile });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(trusted.stdout, 'You said: Hello!\n');
      // Without the line, the certificate is not trusted: the TLS is real.
      const untrusted = await runModule(readmeSnippet(baseUrl), {});
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /certificate/);
      assert.equal(untrusted.stdout, '');
      // The plain port still serves as before.
      const plain = await connect(`ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`);
      await plain.waitFor('session.created');
      plain.socket.close();
    } finally {
      await stop(first);
    }

    const second = await startCli(config);
    try {
      assert.ok(second.stderr().split('\n').includes(`NODE_EXTRA_CA_CERTS=${caFile}`), second.stderr());
      assert.equal(readFileSync(caFile, 'utf8'), firstCa);
      const { NODE_EXTRA_CA_CERTS: _, ...inherited } = process.env;
      const demo = await run(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', DEMO, '--url', baseUrl],
        {
          cwd: ROOT,
          env: { ...inherited, NODE_EXTRA_CA_CERTS: caFile },
        },
      );
      assert.ok(demo.stdout.split('\n').includes('assistant: You said: Hello, gateway!'), demo.stdout);
      assert.ok(demo.stdout.split('\n').includes('tool call: get_weather({"city":"Paris"})'), demo.stdout);
    } finally {
      await stop(second);
    }
  });

  test('with server.tls configured: that certificate only, no development CA made', async () => {
    const certificate = await selfSignedCertificate();
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rg-realtls-')), 'data');
    const port = await freePort();
    const running = await startCli({
      dataDir,
      server: { port, tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } },
    });
    try {
      assert.ok(running.stderr().includes(`listening on https://127.0.0.1:${port}`), running.stderr());
      assert.doesNotMatch(running.stderr(), /NODE_EXTRA_CA_CERTS|openai SDK/);
      assert.equal(existsSync(dataDir), false);
      const client = await connect(`wss://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`, {
        ca: certificate.cert,
      });
      await client.waitFor('session.created');
      client.socket.close();
    } finally {
      await stop(running);
    }
  });
});
