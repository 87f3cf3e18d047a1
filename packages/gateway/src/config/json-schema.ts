/**
 * The configuration file's JSON Schema, made from the same schema the gateway checks the file
 * with ({@link GatewayConfigSchema}), so that editors complete and check `gateway.yaml` by the
 * gateway's own rules. The repository keeps it as `gateway.schema.json` (`npm run schema -w
 * @realtime-gateway/gateway` writes it; a test fails when it is stale).
 */
import { type JsonSchema, toJsonSchema } from '@realtime-gateway/protocol/schema';
import { GatewayConfigSchema } from './schema.js';

/** The file name of the published schema, next to the package's `package.json`. */
export const CONFIG_SCHEMA_FILE = 'gateway.schema.json';

/** The JSON Schema of the configuration file (strict: unknown fields and explicit nulls are errors). */
export function configJsonSchema(): JsonSchema {
  return toJsonSchema(GatewayConfigSchema, { title: 'realtime-gateway configuration (gateway.yaml)' });
}

/** The schema as the committed file holds it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
