import { DEFAULT_UPSTREAM, type GatewayConfig, type UpstreamConfig } from './resolve.js';

/** The OpenAI upstream the gateway serves when `OPENAI_API_KEY` is set and nothing is configured. */
export function openAiUpstream(apiKey: string): UpstreamConfig {
  return {
    ...DEFAULT_UPSTREAM,
    name: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    kind: 'openai',
    mcpTools: 'native',
    clientSecrets: 'forward',
    webrtc: 'forward',
    apiKey,
    apiKeyEnv: 'OPENAI_API_KEY',
    maxSessionMs: 3_600_000,
    // OpenAI's realtime and transcription models; anything else goes to the catch-all upstream.
    models: ['gpt-*'],
    ca: null,
    caFile: null,
  };
}

/** The embedded reference engine as an upstream serving every model. */
export function engineUpstream(baseUrl: string): UpstreamConfig {
  return {
    ...DEFAULT_UPSTREAM,
    name: 'engine',
    baseUrl,
    kind: 'generic',
    apiKey: null,
    apiKeyEnv: null,
    models: ['*'],
    ca: null,
    caFile: null,
  };
}

/**
 * The upstreams used when the configuration names none: the embedded engine (when given) for
 * every model, and OpenAI for `gpt-*` models when `OPENAI_API_KEY` is set.
 *
 * @example
 * const effective = withDefaultUpstreams(config, process.env, engine?.baseUrl ?? null);
 */
export function withDefaultUpstreams(
  config: GatewayConfig,
  env: Readonly<Record<string, string | undefined>>,
  engineBaseUrl: string | null,
): GatewayConfig {
  if (config.upstreams.length > 0) return config;
  const upstreams: UpstreamConfig[] = [];
  const key = env.OPENAI_API_KEY;
  if (key) upstreams.push(openAiUpstream(key));
  if (engineBaseUrl !== null) upstreams.push(engineUpstream(engineBaseUrl));
  return { ...config, upstreams };
}
