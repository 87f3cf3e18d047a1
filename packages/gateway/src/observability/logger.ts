/**
 * The gateway's structured logs: pino, one JSON object per line, with the session id on every
 * session's lines. Secrets are redacted by path wherever a caller might put them, and events
 * are logged through the protocol package's log-safe rendering, so no audio, image bytes,
 * client secrets or MCP credentials reach a log. Every field is bounded in size
 * (`log-bounds.ts`), so no client can make a line long.
 */
import { redactForLog } from '@realtime-gateway/protocol';
import { type DestinationStream, type Logger, pino } from 'pino';
import { clampForLog } from './log-bounds.js';

/** Paths pino replaces with `[redacted]` before writing. */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'api_key',
  'key',
  'headers.authorization',
  'headers["api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["sec-websocket-protocol"]',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * @example
 * const log = createLogger('info');
 * log.info({ sessionId, event }, 'client event'); // `event` is rendered log-safe
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'realtime-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // `event` is bounded by its serializer, after redaction has measured its media.
    formatters: {
      log: (fields: Record<string, unknown>) => {
        const { event, ...rest } = fields;
        const bounded = clampForLog(rest);
        return event === undefined ? bounded : { ...bounded, event };
      },
    },
    serializers: { event: (event: unknown) => clampForLog(redactForLog(event)) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * Where log lines go for `log.format`: stdout as JSON lines (the default, for collectors), or
 * through pino-pretty for a person at a terminal. pino-pretty is loaded only when asked for.
 *
 * @example
 * const log = createLogger('info', await logDestination('pretty'));
 */
export async function logDestination(format: 'json' | 'pretty'): Promise<DestinationStream | undefined> {
  if (format === 'json') return undefined;
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
}
