/**
 * The package runs unchanged in browsers and workers: every module reachable from an entry
 * point in package.json `exports` imports only other modules of the package — no Node
 * built-in, no dependency — and the compiler sees no Node types, so a Node global such as
 * `Buffer` or `process` in the source fails the build.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const srcDir = resolve(packageDir, 'src');
const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(packageDir, path), 'utf8')) as Record<string, unknown>;

// Static imports and re-exports start a line in this code base (doc-comment examples start
// with ` * `, so they are not taken for imports); dynamic imports and require are not used at all.
const STATIC_IMPORT = /^(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(|\brequire\s*\(/;

/** Every module reachable from `entry`, with the specifiers each one imports. */
function moduleGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, DYNAMIC_IMPORT, `${relative(packageDir, file)} loads a module at run time`);
    const specifiers = [...text.matchAll(STATIC_IMPORT)].map((match) => (match[1] ?? match[2])!);
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return graph;
}

const exportsMap = readJson('package.json').exports as Record<string, { source: string }>;

describe('browser safety', () => {
  for (const [subpath, { source }] of Object.entries(exportsMap)) {
    test(`${subpath} reaches only the package's own modules`, () => {
      const graph = moduleGraph(resolve(packageDir, source));
      assert.ok(graph.size > 1);
      for (const [file, specifiers] of graph) {
        const where = relative(packageDir, file);
        assert.ok(!relative(srcDir, file).startsWith('..'), `${where} is outside src`);
        for (const specifier of specifiers) {
          assert.ok(
            specifier.startsWith('./') || specifier.startsWith('../'),
            `${where} imports ${specifier}`,
          );
        }
      }
    });
  }

  test('the package has no run-time dependencies', () => {
    const manifest = readJson('package.json');
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.peerDependencies, undefined);
  });

  test('the source compiles without Node types', () => {
    const options = readJson('tsconfig.json').compilerOptions as { types?: unknown; lib?: string[] };
    assert.deepEqual(options.types, []);
    assert.ok(options.lib?.every((lib) => !/node/i.test(lib)));
  });
});
