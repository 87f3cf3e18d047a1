/**
 * The `telemetry` section resolved: where traces go, with the collector's headers read from the
 * environment, and what goes into them.
 */
import type { Infer } from '@realtime-gateway/protocol/schema';
import type { ConfigError } from './resolve.js';
import type { TelemetryConfigSchema } from './schema.js';

/** Where and how traces are exported. */
export interface TelemetryConfig {
  /** The OTLP/HTTP traces endpoint, or null: nothing is exported (the default). */
  readonly otlp: {
    /** The full traces URL (`…/v1/traces`). */
    readonly url: string;
    /** Headers for the collector, from `headersEnv`: secrets, never logged. */
    readonly headers: Readonly<Record<string, string>>;
    readonly headersEnv: string | null;
    readonly timeoutMs: number;
  } | null;
  readonly serviceName: string;
  readonly sampleRatio: number;
  readonly recordText: boolean;
}

export const DEFAULT_TELEMETRY: TelemetryConfig = Object.freeze({
  otlp: null,
  serviceName: 'realtime-gateway',
  sampleRatio: 1,
  recordText: false,
});

const OTLP_TIMEOUT_MS = 10_000;
const TRACES_PATH = '/v1/traces';

/**
 * Resolves `telemetry`, reporting a bad endpoint or a missing headers variable by field.
 *
 * @example
 * resolveTelemetry({ otlp: { endpoint: 'http://127.0.0.1:4318' } }, process.env, errors).otlp?.url;
 * // 'http://127.0.0.1:4318/v1/traces'
 */
export function resolveTelemetry(
  raw: Infer<typeof TelemetryConfigSchema> | undefined,
  env: Readonly<Record<string, string | undefined>>,
  errors: ConfigError[],
): TelemetryConfig {
  const otlp = raw?.otlp ?? null;
  let exported: TelemetryConfig['otlp'] = null;
  if (otlp !== null) {
    const url = tracesUrl(otlp.endpoint);
    if (url === null)
      errors.push({ field: 'telemetry.otlp.endpoint', message: 'Must be an http: or https: URL.' });
    const headersEnv = otlp.headersEnv ?? null;
    let headers: Record<string, string> = {};
    if (headersEnv !== null) {
      const text = env[headersEnv];
      const parsed = text === undefined ? null : parseHeaders(text);
      if (parsed === null)
        errors.push({
          field: 'telemetry.otlp.headersEnv',
          message:
            text === undefined
              ? `The environment variable ${headersEnv} is not set.`
              : `${headersEnv} must be name=value pairs separated by commas.`,
        });
      else headers = parsed;
    }
    exported = { url: url ?? '', headers, headersEnv, timeoutMs: otlp.timeoutMs ?? OTLP_TIMEOUT_MS };
  }
  return {
    otlp: exported,
    serviceName: raw?.serviceName ?? DEFAULT_TELEMETRY.serviceName,
    sampleRatio: raw?.sampleRatio ?? DEFAULT_TELEMETRY.sampleRatio,
    recordText: raw?.recordText ?? DEFAULT_TELEMETRY.recordText,
  };
}

/** The traces URL of an endpoint: a base URL gets `/v1/traces`, a full one is kept. */
function tracesUrl(endpoint: string): string | null {
  if (!URL.canParse(endpoint)) return null;
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.pathname.endsWith(TRACES_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${TRACES_PATH}`;
  return url.toString();
}

/** `a=1,b=2` (values percent-decoded, as OTEL_EXPORTER_OTLP_HEADERS); null when malformed. */
function parseHeaders(text: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    const name = pair.slice(0, eq).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return null;
    try {
      headers[name.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return headers;
}
