/**
 * Starting the project's reference engine in-process, so that `realtime-gateway` with no
 * configuration and no API key still has an upstream to relay to. The engine package's
 * `startEngine` is looked up at run time: a build of the engine without it (or a deployment
 * that leaves it out) simply means no embedded engine.
 */

/** A running embedded engine. */
export interface EmbeddedEngine {
  /** The REST-style base URL to use as an upstream (`http://127.0.0.1:<port>/v1`). */
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Told about a fault inside the engine; the engine has answered it and goes on. */
export type EngineFaultListener = (error: unknown, sessionId: string) => void;

type StartEngine = (options: { host: string; port: number; onFault?: EngineFaultListener }) => Promise<{
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}>;

/**
 * Starts the engine on a free loopback port, or resolves null when the engine package offers
 * no `startEngine`.
 *
 * @example
 * const engine = await startEmbeddedEngine((error, sessionId) => log.error({ sessionId }, 'engine fault'));
 * const config = withDefaultUpstreams(loaded, process.env, engine?.baseUrl ?? null);
 */
export async function startEmbeddedEngine(onFault?: EngineFaultListener): Promise<EmbeddedEngine | null> {
  let engineModule: Record<string, unknown>;
  try {
    engineModule = (await import('@realtime-gateway/engine')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const start = engineModule.startEngine;
  if (typeof start !== 'function') return null;
  const engine = await (start as StartEngine)({
    host: '127.0.0.1',
    port: 0,
    ...(onFault ? { onFault } : {}),
  });
  return {
    baseUrl: `http://127.0.0.1:${engine.port}/v1`,
    port: engine.port,
    close: () => engine.close(),
  };
}
