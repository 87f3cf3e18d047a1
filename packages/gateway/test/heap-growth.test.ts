import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../src/cli/heap-growth.js';

describe("the heap's growing factor", () => {
  test('is set unless the operator gave the process their own', () => {
    assert.equal(HEAP_GROWING_PERCENT, 200);
    assert.equal(heapGrowthFlag([]), '--heap-growing-percent=200');
    assert.equal(
      heapGrowthFlag(['--max-old-space-size=4096', '--enable-source-maps']),
      '--heap-growing-percent=200',
    );
    assert.equal(heapGrowthFlag(['--heap-growing-percent=50']), null);
    assert.equal(heapGrowthFlag(['--heap_growing_percent=50']), null);
    assert.equal(heapGrowthFlag(['--heap-growing-percent', '50']), null);
    // A flag that only starts the same is someone else's.
    assert.equal(heapGrowthFlag(['--heap-growing-percentage=50']), '--heap-growing-percent=200');
  });

  test("this Node's V8 knows the flag: setting it reports nothing", () => {
    // V8 reports a flag it does not know on stderr and carries on, which would leave the
    // gateway without the setting, and no one the wiser, after a Node upgrade renamed it.
    const module = fileURLToPath(new URL('../src/cli/heap-growth.ts', import.meta.url));
    const run = (code: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        encoding: 'utf8',
      });
    const applied = run(
      `const { applyHeapGrowth } = await import(${JSON.stringify(module)});
       process.stdout.write(String(applyHeapGrowth([])));`,
    );
    assert.equal(applied.status, 0);
    assert.equal(applied.stdout, '--heap-growing-percent=200');
    assert.equal(applied.stderr, '');
    // What the same check sees of a flag V8 does not know.
    const unknown = run("(await import('node:v8')).setFlagsFromString('--heap-growing-percentage=200')");
    assert.match(unknown.stderr, /unrecognized flag --heap-growing-percentage/);
  });
});
