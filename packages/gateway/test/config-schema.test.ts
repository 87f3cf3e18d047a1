/**
 * The published JSON Schema of the configuration file (`gateway.schema.json`): made from the
 * configuration schema, up to date in the repository, and agreeing with the gateway's own check
 * about the README's examples and about bad files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkValue } from '@realtime-gateway/protocol/schema';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../src/config/json-schema.js';
import { GatewayConfigSchema } from '../src/config/schema.js';

const packageFile = (name: string): string => fileURLToPath(new URL(`../${name}`, import.meta.url));

/** The YAML configuration examples of the package's README. */
function readmeExamples(): unknown[] {
  const readme = readFileSync(packageFile('README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => parseYaml(match[1]!));
}

describe('the configuration JSON Schema', () => {
  test('the committed gateway.schema.json is the one the configuration schema makes (npm run schema)', () => {
    const committed = readFileSync(packageFile(CONFIG_SCHEMA_FILE), 'utf8');
    assert.equal(
      committed,
      configJsonSchemaText(),
      'gateway.schema.json is stale: run `npm run schema -w @realtime-gateway/gateway`',
    );
  });

  test("validates the README's example configurations, as the gateway's check does", () => {
    const validate = new Ajv({ strict: true }).compile(configJsonSchema());
    const examples = readmeExamples();
    assert.ok(examples.length >= 1, 'the README shows a configuration');
    // A JSON file names its schema in `$schema`, which the gateway ignores.
    examples.push({ $schema: './gateway.schema.json', upstreams: [{ name: 'a', baseUrl: 'http://x/v1' }] });
    for (const example of examples) {
      assert.equal(checkValue(GatewayConfigSchema, example, true), undefined);
      assert.equal(validate(example), true, JSON.stringify(validate.errors));
    }
  });

  test('refuses what the gateway refuses: a wrong type, an unknown field, a value out of range', () => {
    const validate = new Ajv({ strict: true }).compile(configJsonSchema());
    const bad = [
      { upstreams: [{ name: 'a', baseUrl: 'http://x/v1', weight: 'heavy' }] },
      { limits: { maxSesions: 5 } },
      { server: { port: 70000 } },
      { auth: { mode: 'open' } },
      { auth: { keys: [{ id: 'k' }] } },
      { inputChecking: null },
    ];
    for (const config of bad) {
      assert.notEqual(checkValue(GatewayConfigSchema, config, true), undefined, JSON.stringify(config));
      assert.equal(validate(config), false, JSON.stringify(config));
    }
    validate(bad[0]);
    assert.equal(validate.errors?.[0]?.instancePath, '/upstreams/0/weight');
  });
});
