/**
 * The command line, parsed into a value. Parsing never exits or prints; `cli.ts` does that.
 */
import { parseArgs } from 'node:util';
import { type ConfigOverride, setOverride } from '../config/load.js';
import { DEFAULT_DATA_DIR, DEFAULT_DEV_TLS_PORT } from '../config/resolve.js';

export const USAGE = `Usage: realtime-gateway [options]

A gateway for the OpenAI Realtime API: relays /v1/realtime sessions (and the realtime REST
endpoints) between clients and upstream realtime servers.

Options:
  -c, --config FILE      Configuration file (YAML or JSON).
      --port N           Port to listen on (default 8080, or the config's server.port).
      --host HOST        Address to listen on (default 127.0.0.1).
      --set PATH=VALUE   Override one field, e.g. --set limits.idleTimeoutMs=60000 (repeatable).
      --workers N        Run N worker processes on one port (metrics cover all of them).
      --print-config     Print the effective configuration, secrets redacted, and exit.
      --hash-key KEY     Print the hash to put in auth.keys[].hash for KEY, and exit.
  -h, --help             Show this help and exit.

Environment:
  REALTIME_GATEWAY_<FIELD>  Overrides a field; nested fields are joined by __, e.g.
                            REALTIME_GATEWAY_LIMITS__MAX_SESSIONS=500.
  OPENAI_API_KEY            With no upstream configured, serve OpenAI with this key.
  PORT                      Port to listen on when neither --port nor the config sets one.

With no upstream configured and no OPENAI_API_KEY, the gateway starts the reference engine
in-process and routes every model to it.

Listening on loopback with no certificate of its own (server.tls), it also serves HTTPS and
WSS on port ${DEFAULT_DEV_TLS_PORT} (server.devTls.port) with a development certificate authority it
makes in its data directory (dataDir, default ./${DEFAULT_DATA_DIR}); it prints the line that
makes Node clients trust it. server.devTls.enabled: false turns it off.
`;

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'hash-key'; readonly key: string }
  | {
      readonly kind: 'run';
      readonly configFile: string | undefined;
      readonly overrides: readonly ConfigOverride[];
      readonly printConfig: boolean;
      readonly workers: number;
    }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Parses arguments (without the node and script paths).
 *
 * @example
 * parseCli(['--config', 'gateway.yaml', '--port', '9000'])
 */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CliCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (values['hash-key'] !== undefined) return { kind: 'hash-key', key: values['hash-key'] };
  const overrides: ConfigOverride[] = [];
  const port = values.port ?? (values.config === undefined ? env.PORT : undefined);
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) return { kind: 'error', message: `--port expects a number, got '${port}'.` };
    overrides.push({
      path: ['server', 'port'],
      value: Number(port),
      source: values.port ? '--port' : 'env PORT',
    });
  }
  if (values.host !== undefined)
    overrides.push({ path: ['server', 'host'], value: values.host, source: '--host' });
  for (const assignment of values.set ?? []) {
    const override = setOverride(assignment);
    if ('message' in override) return { kind: 'error', message: override.message };
    overrides.push(override);
  }
  const workers = values.workers === undefined ? 1 : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    return { kind: 'error', message: `--workers expects a positive integer, got '${values.workers}'.` };
  }
  return {
    kind: 'run',
    configFile: values.config,
    overrides,
    printConfig: values['print-config'] ?? false,
    workers,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string' },
      host: { type: 'string' },
      set: { type: 'string', multiple: true },
      workers: { type: 'string' },
      'print-config': { type: 'boolean' },
      'hash-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
