import type { GatewayConfig } from './resolve.js';

/**
 * Every model name the configuration spells out exactly — upstreams' model lists, aliases and
 * their targets, keys' allowed models — leaving out patterns (`gpt-*`, `*`). These, and only
 * these, may appear as metric labels: a name a client makes up must not create a series.
 *
 * @example
 * configuredModelNames(config); // Set { 'gpt-realtime', 'fast', 'gpt-realtime-mini' }
 */
export function configuredModelNames(
  config: Pick<GatewayConfig, 'upstreams' | 'aliases' | 'auth'>,
): ReadonlySet<string> {
  const names = new Set<string>();
  const add = (name: string) => {
    if (!name.includes('*')) names.add(name);
  };
  for (const upstream of config.upstreams) for (const model of upstream.models) add(model);
  for (const [alias, target] of Object.entries(config.aliases)) {
    add(alias);
    add(target);
  }
  for (const key of config.auth.keys) for (const model of key.models ?? []) add(model);
  return names;
}
