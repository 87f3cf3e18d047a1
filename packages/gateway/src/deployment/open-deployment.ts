/**
 * `store.redis`: this process as one node of a deployment. Opens the Redis store (behind the
 * memory fallback with `store.onUnavailable: fail-open`) and the bus, names the process in the
 * store, and logs the store's comings and goings once per change (never once per retry).
 */
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../config/resolve.js';
import type { GatewayOptions } from '../gateway.js';
import type { RedisConfig, StoreConfig } from '../store/config.js';
import { FailOpenStore } from '../store/fail-open-store.js';
import { RedisBus } from '../store/redis-bus.js';
import { RedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import type { SessionLog } from '../vocabulary/session.js';

/** What {@link openDeployment} gives the gateway, and how to close it after the gateway. */
export interface OpenedDeployment {
  readonly options: Required<Pick<GatewayOptions, 'store' | 'holderId' | 'internal' | 'deployment'>>;
  /** Closes the bus and the store; after the gateway has closed (it gives its slots back first). */
  close(): Promise<void>;
}

/**
 * @example
 * const node = await openDeployment(config, log);
 * const gateway = createGateway({ config, log, ...node.options });
 * // … at exit
 * await gateway.close();
 * await node.close();
 */
export async function openDeployment(
  config: GatewayConfig & { readonly store: StoreConfig & { readonly redis: RedisConfig } },
  log: SessionLog,
  /** The cluster worker this process is, under `--workers`: each is a process of its own in the store. */
  worker: number | null = null,
): Promise<OpenedDeployment> {
  const { store: storeConfig, node } = config;
  const redis = storeConfig.redis;
  const connection = {
    url: redis.url,
    username: redis.username,
    password: redis.password,
    tls:
      redis.tls === null
        ? null
        : {
            ...(redis.tls.ca === null ? {} : { ca: redis.tls.ca }),
            ...(redis.tls.cert === null ? {} : { cert: redis.tls.cert }),
            ...(redis.tls.key === null ? {} : { key: redis.tls.key }),
            rejectUnauthorized: redis.tls.rejectUnauthorized,
          },
    keyPrefix: redis.keyPrefix,
    timeoutMs: storeConfig.timeoutMs,
  };
  const shared = new RedisStore({
    ...connection,
    onStatus: (status, detail) => {
      const fields = { store: 'redis', status, ...(detail === undefined ? {} : { detail }) };
      if (status === 'ready') log.info(fields, 'the store is reachable');
      else log.warn(fields, `the store is unreachable; new sessions ${refusedOrAdmitted(storeConfig)}`);
    },
  });
  let fallbacks = 0;
  const store: Store =
    storeConfig.onUnavailable === 'fail-open'
      ? new FailOpenStore(shared, undefined, () => {
          fallbacks++;
        })
      : shared;
  const bus = new RedisBus({
    ...connection,
    onListenerError: (error) => log.warn({ err: String(error) }, 'a message between the nodes failed'),
  });
  // Unique per process, so a node restarted under the same id never renews a predecessor's slots.
  const holderId = `${node.id}${worker === null ? '' : `-w${worker}`}-${randomBytes(3).toString('hex')}`;
  // A node starts whether Redis answers or not (it then refuses or admits as configured); it
  // waits a moment so that one started beside its Redis does not begin by refusing.
  await Promise.all([shared.ready(), bus.ready()]).catch((error: unknown) => {
    log.warn({ err: String(error) }, 'the store is not reachable yet; starting anyway');
  });
  const token = node.token;
  if (token === null) throw new Error('store.redis needs node.tokenEnv (the configuration check says so)');
  return {
    options: {
      store,
      holderId,
      internal: {
        host: node.internal.host,
        port: node.internal.port,
        advertiseHost: node.internal.advertiseHost,
        token,
      },
      deployment: { bus, storeAvailable: () => shared.available },
    },
    async close() {
      if (fallbacks > 0)
        log.info({ operations: fallbacks }, 'store operations answered from memory while Redis was down');
      await bus.close();
      await store.close();
    },
  };
}

function refusedOrAdmitted(config: StoreConfig): string {
  return config.onUnavailable === 'fail-open'
    ? "are admitted on this node's own counts (store.onUnavailable: fail-open)"
    : 'are refused with 503 store_unavailable (store.onUnavailable: fail-closed)';
}
