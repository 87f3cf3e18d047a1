import type { GuardrailConfig } from '../guardrails/config.js';
import type { McpTransportSpec } from '../mcp/connection.js';
import type { GatewayConfig } from './resolve.js';

/**
 * The effective configuration with every secret replaced by a note of where it comes from, for
 * `realtime-gateway --print-config` and for logs. Key hashes are shortened to a prefix so that
 * an operator can tell keys apart without the output being useful to an attacker.
 *
 * @example
 * console.log(JSON.stringify(redactConfig(config), null, 2));
 */
export function redactConfig(config: GatewayConfig): unknown {
  return {
    ...config,
    upstreams: config.upstreams.map(({ apiKey, ca, ...upstream }) => ({
      ...upstream,
      apiKey: apiKey === null ? null : `[redacted, from ${upstream.apiKeyEnv}]`,
      ca: ca === null ? null : `[${ca.length} characters from ${upstream.caFile}]`,
    })),
    auth: {
      mode: config.auth.mode,
      keys: config.auth.keys.map((key) => ({ ...key, sha256: `${key.sha256.slice(0, 8)}…` })),
    },
    admin: { keyHash: config.admin.keyHash === null ? null : `${config.admin.keyHash.slice(0, 8)}…` },
    server: {
      ...config.server,
      tls:
        config.server.tls === null
          ? null
          : { certFile: config.server.tls.certFile, keyFile: config.server.tls.keyFile, key: '[redacted]' },
    },
    webrtc: {
      ...config.webrtc,
      iceServers: config.webrtc.iceServers.map(({ credential, ...server }) => ({
        ...server,
        credential: credential === null ? null : `[redacted, from ${server.credentialEnv}]`,
      })),
    },
    telemetry: {
      ...config.telemetry,
      otlp:
        config.telemetry.otlp === null
          ? null
          : {
              ...config.telemetry.otlp,
              headers: Object.fromEntries(
                Object.keys(config.telemetry.otlp.headers).map((name) => [
                  name,
                  `[redacted, from ${config.telemetry.otlp?.headersEnv}]`,
                ]),
              ),
            },
    },
    ledger: { ...config.ledger, store: redactLedgerStore(config.ledger.store) },
    store: {
      ...config.store,
      redis:
        config.store.redis === null
          ? null
          : {
              ...config.store.redis,
              url: redactUrl(config.store.redis.url),
              password: fromEnv(config.store.redis.password, config.store.redis.passwordEnv),
              // Certificates are public; the client key is not.
              tls:
                config.store.redis.tls === null
                  ? null
                  : {
                      ...config.store.redis.tls,
                      key: config.store.redis.tls.key === null ? null : '[redacted]',
                    },
            },
    },
    node: { ...config.node, token: fromEnv(config.node.token, config.node.tokenEnv) },
    mcp: {
      ...config.mcp,
      // Header values and child environments carry the MCP servers' credentials.
      servers: config.mcp.servers.map((server) => ({
        ...server,
        spec: { ...server.spec, transport: redactTransport(server.spec.transport) },
      })),
    },
    guardrails: config.guardrails.map(redactGuardrail),
  };
}

/** Deny patterns as their sources (a compiled RegExp prints as `{}`), the moderation key as its variable. */
function redactGuardrail(guardrail: GuardrailConfig): unknown {
  const { moderation } = guardrail;
  return {
    ...guardrail,
    deny: guardrail.deny.map((rule) => rule.regex.source),
    moderation:
      moderation === null
        ? null
        : { ...moderation, apiKey: fromEnv(moderation.apiKey, moderation.apiKeyEnv) },
  };
}

/** The PostgreSQL password, from its variable or written in the URL, is shown as where it comes from. */
function redactLedgerStore(store: GatewayConfig['ledger']['store']): unknown {
  if (store.kind === 'sqlite') return store;
  return { ...store, url: redactUrl(store.url), password: fromEnv(store.password, store.passwordEnv) };
}

/** A URL with the password it may carry hidden. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    // Shown as unparsable: the configuration check refuses it anyway.
    return '[an unparsable URL]';
  }
}

/** A secret read from the environment, shown as where it comes from. */
function fromEnv(secret: string | null, variable: string | null): string | null {
  return secret === null ? null : `[redacted, from ${variable}]`;
}

function redactTransport(transport: McpTransportSpec): unknown {
  const hide = (values: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.keys(values).map((name) => [name, '[redacted]']));
  return transport.kind === 'stdio'
    ? { ...transport, env: hide(transport.env) }
    : { ...transport, headers: hide(transport.headers) };
}
