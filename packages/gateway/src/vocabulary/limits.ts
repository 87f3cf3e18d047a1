/** Every limit, with its effective value (the README's configuration reference explains each). */
export interface Limits {
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxSessionMs: number;
  readonly sessionWarningMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerKey: number;
  readonly highWaterBytes: number;
  readonly maxBufferedBytes: number;
  /** Frames a direction may hold while a middleware's handler works, before the session is closed (1013). */
  readonly maxHeldFrames: number;
  readonly keepaliveMs: number;
  readonly maxRestBodyBytes: number;
  readonly restTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly upgradeTimeoutMs: number;
}

/** The limits a session enforces while it relays. */
export type RelayLimits = Pick<
  Limits,
  | 'idleTimeoutMs'
  | 'maxSessionMs'
  | 'sessionWarningMs'
  | 'highWaterBytes'
  | 'maxBufferedBytes'
  | 'maxHeldFrames'
  | 'keepaliveMs'
>;
