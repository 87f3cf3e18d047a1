/**
 * The command's configuration reloads: on SIGHUP, and when the configuration file changes, the
 * file, the environment and the command line's overrides are read again as at start-up and
 * handed to `gateway.reload`. A file that does not pass is refused with the same field errors
 * start-up gives, and the running configuration is kept; one that does is told by the fields it
 * changed (never their values).
 *
 * The file is watched through its directory, so that editors and tools that replace it (write a
 * temporary file, then rename it over; a Kubernetes ConfigMap's symlink swap) are seen as well
 * as those that write it in place; events are gathered for {@link DEBOUNCE_MS}, and a file whose
 * text did not change is not reloaded.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withDefaultUpstreams } from '../config/defaults.js';
import { type ConfigOverride, loadConfig } from '../config/load.js';
import type { ConfigError, GatewayConfig } from '../config/resolve.js';
import type { Gateway } from '../gateway.js';

/** How long a burst of file events is gathered into one reload. */
export const DEBOUNCE_MS = 200;

export interface ConfigReloaderOptions {
  readonly gateway: Gateway;
  /** The configuration file; none: only SIGHUP reloads (environment and overrides). */
  readonly file: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly overrides: readonly ConfigOverride[];
  /** The embedded engine's base URL when it runs (it serves a configuration without upstreams). */
  readonly engineBaseUrl: string | null;
  /** Writes one line for the operator (stderr). */
  readonly say: (line: string) => void;
  /** Told about each configuration taken (after the gateway took it). */
  readonly onReloaded?: (config: GatewayConfig, changed: readonly string[]) => void;
}

/** Why a reload was asked for, for the messages. */
export type ReloadTrigger = 'SIGHUP' | 'file change';

/**
 * Reloads the gateway's configuration on SIGHUP and on changes of the file.
 *
 * @example
 * const reloader = new ConfigReloader({ gateway, file, env, overrides, engineBaseUrl, say });
 * reloader.start();
 * // … reloader.stop() before shutting down
 */
export class ConfigReloader {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastText: string | null;
  private readonly onSignal = (): void => {
    this.reload('SIGHUP');
  };

  constructor(private readonly options: ConfigReloaderOptions) {
    this.lastText = options.file === undefined ? null : digest(options.file);
  }

  start(): void {
    process.on('SIGHUP', this.onSignal);
    const { file } = this.options;
    if (file === undefined) return;
    const path = resolve(file);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, () => this.changed());
      this.watcher.on('error', (error) => this.options.say(`cannot watch ${file}: ${error.message}`));
    } catch (error) {
      this.options.say(`cannot watch ${file} (${(error as Error).message}); SIGHUP still reloads it`);
    }
  }

  stop(): void {
    process.off('SIGHUP', this.onSignal);
    this.watcher?.close();
    this.watcher = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reads everything again and hands it to the gateway; returns whether it was taken. */
  reload(trigger: ReloadTrigger): boolean {
    const { gateway, file, env, overrides, engineBaseUrl, say } = this.options;
    if (file !== undefined) this.lastText = digest(file);
    const loaded = loadConfig({ file, env, overrides });
    if (!loaded.ok) return this.refuse(trigger, loaded.errors);
    if (loaded.config.upstreams.length === 0 && engineBaseUrl === null)
      return this.refuse(trigger, [
        {
          field: 'upstreams',
          message:
            'No upstream configured; the embedded engine that serves a configuration without upstreams starts only at start-up, so this needs a restart.',
        },
      ]);
    const result = gateway.reload(withDefaultUpstreams(loaded.config, env, engineBaseUrl));
    if (!result.ok) return this.refuse(trigger, result.errors);
    if (result.changed.length === 0) say(`configuration reloaded (${trigger}): nothing changed`);
    else say(`configuration reloaded (${trigger}): ${result.changed.join('; ')}`);
    this.options.onReloaded?.(gateway.config, result.changed);
    return true;
  }

  private refuse(trigger: ReloadTrigger, errors: readonly ConfigError[]): false {
    for (const error of errors)
      this.options.say(`config error${error.field ? ` at ${error.field}` : ''}: ${error.message}`);
    this.options.say(`configuration not reloaded (${trigger}): the running configuration is kept`);
    return false;
  }

  private changed(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const file = this.options.file!;
      // Other files of the directory, and writes that leave the text as it was, change nothing.
      if (digest(file) === this.lastText) return;
      this.reload('file change');
    }, DEBOUNCE_MS);
    this.timer.unref();
  }
}

/** A digest of the file's text, or null while it cannot be read (being replaced, removed). */
function digest(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}
