import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test('the demo runs a text turn, an audio turn and a tool call through the gateway with the openai SDK', () => {
  const demo = fileURLToPath(new URL('../examples/demo.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', demo], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.ok(lines.includes('assistant: You said: Hello, gateway!'), run.stdout);
  assert.ok(lines.includes('assistant: I heard you. [spoken]'), run.stdout);
  assert.ok(lines.includes('tool call: get_weather({"city":"Paris"})'), run.stdout);
  assert.ok(
    lines.some((l) => l.startsWith('assistant: The get_weather tool returned:')),
    run.stdout,
  );
  assert.ok(!run.stdout.includes('  ! '), 'no error events');
});

test('the demo against a plain http:// URL says what works instead (the SDK speaks wss: only)', () => {
  const demo = fileURLToPath(new URL('../examples/demo.ts', import.meta.url));
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', demo, '--url', 'http://127.0.0.1:8080/v1'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /TLS only \(wss:\), so --url must be https:\/\//);
  assert.match(run.stderr, /NODE_EXTRA_CA_CERTS=/);
  assert.equal(run.stdout, '');
});
