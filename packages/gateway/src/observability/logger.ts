/**
 * The gateway's structured logs: pino, one JSON object per line, with the session id on every
 * session's lines. Secrets are redacted by path wherever a caller might put them, and events
 * are logged through the protocol package's log-safe rendering, so no audio, image bytes,
 * client secrets or MCP credentials reach a log.
 */
import { redactForLog } from '@realtime-gateway/protocol';
import { type DestinationStream, type Logger, pino } from 'pino';

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
    serializers: { event: (event: unknown) => redactForLog(event) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
