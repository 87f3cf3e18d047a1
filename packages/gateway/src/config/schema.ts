/**
 * The gateway's configuration file, described with the protocol package's schema combinators so
 * that a bad field is reported by its path (`upstreams[1].weight`) in the same words the
 * protocol errors use. The file is checked strictly: an unknown field is a typo, not an
 * extension.
 */
import {
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  number,
  object,
  optional,
  record,
  string,
} from '@realtime-gateway/protocol/schema';
import { ConsoleConfigSchema } from '../console/config.js';
import { ContinuityConfigSchema } from '../continuity/config.js';
import { DIALECTS } from '../dialects/dialect.js';
import { GuardrailConfigSchema } from '../guardrails/config.js';
import { LedgerConfigSchema, PricesConfigSchema } from '../ledger/config.js';
import { McpConfigSchema } from '../mcp/config.js';
import { RecordingConfigSchema } from '../recording/config.js';
import { NodeConfigSchema, StoreConfigSchema } from '../store/config.js';

const positive = () => integer({ min: 1 });

/** One upstream realtime server. */
export const UpstreamConfigSchema = object({
  /** A unique name, used in metrics, logs and the admin API. */
  name: string(),
  /** The REST base URL, such as `https://api.openai.com/v1`; the WebSocket URL is derived from it. */
  baseUrl: string(),
  /** `openai` and `generic` authenticate with `Authorization: Bearer`; `azure` with `api-key`. */
  kind: optional(enumOf(['openai', 'azure', 'generic'])),
  /** The environment variable holding the upstream's API key; the key itself never appears in the file. */
  apiKeyEnv: optional(string()),
  /** Models this upstream serves, after alias rewriting: exact names, `prefix*` patterns, or `*` for all. */
  models: optional(array(string())),
  /** Relative share of sessions when several upstreams serve a model. */
  weight: optional(number({ min: 0 })),
  /** Concurrent sessions this upstream may carry. */
  maxSessions: optional(positive()),
  /** Milliseconds to wait for the upstream to accept a connection. */
  connectTimeoutMs: optional(positive()),
  /**
   * The longest the upstream keeps one session open, in milliseconds; `continuity` moves a
   * session to a new connection before it. Default 3600000 for `openai` (OpenAI ends sessions
   * after 60 minutes), none otherwise; 0 for none.
   */
  maxSessionMs: optional(integer({ min: 0 })),
  /** A PEM file with extra certificate authorities to trust for this upstream. */
  caFile: optional(string()),
  /**
   * Client-declared `type: "mcp"` tools: `native` forwards them (the upstream runs them, as
   * OpenAI does), `emulate` runs them in the gateway. Default: native for openai and azure.
   */
  mcpTools: optional(enumOf(['native', 'emulate'])),
  /** Who mints client secrets for this upstream's sessions: the gateway, or the upstream itself. */
  clientSecrets: optional(enumOf(['forward', 'mint'])),
  /**
   * `POST /v1/realtime/calls`: `terminate` answers the WebRTC call in the gateway and bridges it
   * to a WebSocket session upstream; `forward` passes it to the upstream. Default: terminate for
   * generic upstreams, forward for openai and azure.
   */
  webrtc: optional(enumOf(['forward', 'terminate'])),
  /**
   * The protocol the upstream speaks: `ga`, or `beta` (`OpenAI-Beta: realtime=v1`, retired by
   * OpenAI on 2026-05-12, still spoken by some self-hosted servers); the gateway translates.
   */
  dialect: optional(enumOf(DIALECTS)),
});

/** A STUN or TURN server offered to the gateway's ICE agent. */
export const IceServerConfigSchema = object({
  /** `stun:host:port` or `turn:host:port?transport=udp|tcp`. */
  urls: string(),
  username: optional(string()),
  /** The environment variable holding the TURN credential. */
  credentialEnv: optional(string()),
});

/** WebRTC calls the gateway terminates. */
export const WebRtcConfigSchema = object({
  /** Local addresses ICE candidates may use; every host address when absent. */
  iceAddresses: optional(array(string())),
  iceServers: optional(array(IceServerConfigSchema)),
  /** Concurrent calls across the gateway. */
  maxCalls: optional(positive()),
  /** Concurrent calls per key, for keys that set none themselves. */
  maxCallsPerKey: optional(positive()),
  /** End a call when nothing (RTP, RTCP, data channel) came from the peer for this long. */
  idleTimeoutMs: optional(positive()),
  /** Time an answered call has to connect (ICE, DTLS, the data channel) before it is dropped. */
  connectTimeoutMs: optional(positive()),
});

/** A gateway API key: stored as a SHA-256 hash, never in clear. */
export const KeyConfigSchema = object({
  /** A name for the key, shown in the admin API, logs and metrics. */
  id: string(),
  /** `sha256:<hex>` of the key (`realtime-gateway --hash-key <key>` prints it). */
  hash: string(),
  /** Models (as the client names them) this key may use; all when absent. */
  models: optional(array(string())),
  /** Concurrent sessions for this key. */
  maxSessions: optional(positive()),
  /** New sessions this key may open per minute (token bucket). */
  sessionsPerMinute: optional(positive()),
  /** Concurrent WebRTC calls for this key (each also counts as a session). */
  maxCalls: optional(positive()),
  /**
   * The protocol this key's clients speak when their upgrade does not say: `beta` for clients
   * built on the beta protocol that send no `OpenAI-Beta: realtime=v1`. Default `ga`.
   */
  dialect: optional(enumOf(DIALECTS)),
  /**
   * What the key may spend per period (US dollars, tokens, or both): past it, new sessions are
   * refused with 429 `insufficient_quota` and live ones are ended after their next response.
   */
  budget: optional(
    object({
      usd: optional(number({ min: 0 })),
      tokens: optional(positive()),
      /** `day` and `month` are UTC calendar periods; `total` never resets. */
      period: enumOf(['day', 'month', 'total']),
      /** The share of the budget past which a live session gets one warning (default 0.8). */
      warnAt: optional(number({ min: 0, max: 1 })),
    }),
  ),
});

export const LimitsConfigSchema = object({
  /** Largest client frame accepted, in bytes. */
  maxFrameBytes: optional(positive()),
  /** Close a session after this long without a frame either way. */
  idleTimeoutMs: optional(positive()),
  /** Close a session after this long, whatever it is doing. */
  maxSessionMs: optional(positive()),
  /** How long before the max-duration cut the client gets an `error` event warning of it. */
  sessionWarningMs: optional(integer({ min: 0 })),
  /** Concurrent sessions across the gateway. */
  maxSessions: optional(positive()),
  /** Concurrent sessions per key, for keys that set none themselves. */
  maxSessionsPerKey: optional(positive()),
  /** Above this many bytes queued towards a peer, stop reading from the other side. */
  highWaterBytes: optional(positive()),
  /** Bytes queued towards a peer at which the session is closed (code 1013). */
  maxBufferedBytes: optional(positive()),
  maxHeldFrames: optional(positive()),
  /** Interval of WebSocket pings on both legs; a peer that misses two is dropped. */
  keepaliveMs: optional(positive()),
  /** Largest REST request body forwarded (SDP offers, session configs), in bytes. */
  maxRestBodyBytes: optional(positive()),
  /** Longest an upstream may take to answer a forwarded REST request. */
  restTimeoutMs: optional(positive()),
  /** Client sockets open at once (HTTP, pending upgrades and sessions alike). */
  maxConnections: optional(positive()),
  /** Client sockets open at once from one client address. */
  maxConnectionsPerAddress: optional(positive()),
  /** Time a client has to send its request headers, from connecting or from its previous request. */
  headersTimeoutMs: optional(positive()),
  /** Time a client has to send its whole request, body included. */
  requestTimeoutMs: optional(positive()),
  /** Time an upgrade may stay pending, from its headers to the open WebSocket (upstream dial included). */
  upgradeTimeoutMs: optional(positive()),
});

/** Where an operator listener listens. */
/** Traces of sessions exported over OTLP (off unless `otlp` is set). */
export const TelemetryConfigSchema = object({
  otlp: optional(
    object({
      /**
       * The collector's OTLP/HTTP address: its base URL (`http://collector:4318`, to which
       * `/v1/traces` is added) or the full URL of its traces endpoint.
       */
      endpoint: string(),
      /**
       * An environment variable holding headers for the collector (an API key), as
       * `name=value,name2=value2`, the form of `OTEL_EXPORTER_OTLP_HEADERS`.
       */
      headersEnv: optional(string()),
      /** How long one export may take. */
      timeoutMs: optional(positive()),
    }),
  ),
  /** The traces' `service.name`; default `realtime-gateway`. */
  serviceName: optional(string()),
  /**
   * The share of sessions traced when the client sent no `traceparent` (0 to 1, default 1); a
   * client's `traceparent` decides for its own session.
   */
  sampleRatio: optional(number({ min: 0, max: 1 })),
  /** Put text into span attributes (input transcripts, the model's answers); default false. */
  recordText: optional(boolean()),
});

const ListenSchema = object({
  host: optional(string()),
  port: integer({ min: 0, max: 65_535 }),
});

export const GatewayConfigSchema = object({
  /** The file's JSON Schema, for editors (`gateway.schema.json`); the gateway ignores it. */
  $schema: optional(string()),
  /**
   * Where the gateway keeps what it makes and must find again after a restart (the development
   * certificate authority); relative to the working directory. Default `.realtime-gateway`.
   */
  dataDir: optional(string()),
  server: optional(
    object({
      host: optional(string()),
      port: optional(integer({ min: 0, max: 65535 })),
      /** Serve HTTPS and WSS with this certificate and key (PEM files). */
      tls: optional(object({ certFile: string(), keyFile: string() })),
      /**
       * A second listener serving HTTPS and WSS with a certificate from a development certificate
       * authority the command line makes and keeps in `dataDir` (for clients such as the `openai`
       * SDK that only speak `wss:`). Default: on when no `tls` is set and `host` is a loopback
       * address; never with `tls`.
       */
      devTls: optional(
        object({
          enabled: optional(boolean()),
          /** Default 8443, or 0 (a free port) when `port` is 0. */
          port: optional(integer({ min: 0, max: 65535 })),
        }),
      ),
      /** Browser origins allowed to open sessions and call the REST endpoints (`*` for any). */
      allowedOrigins: optional(array(string())),
      /** Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client. */
      trustedProxies: optional(array(string())),
    }),
  ),
  upstreams: optional(array(UpstreamConfigSchema)),
  /** Client-facing model names rewritten to the name sent upstream. */
  aliases: optional(record(string())),
  auth: optional(
    object({
      /** `keys`: gateway keys; `none`: no auth; `passthrough`: clients' own upstream keys go upstream. */
      mode: optional(enumOf(['keys', 'none', 'passthrough'])),
      keys: optional(array(KeyConfigSchema)),
      /**
       * Allows `mode: none` on an address that is not loopback: an open relay, where anyone who
       * reaches the gateway opens sessions on its upstreams. Refused at start-up otherwise.
       */
      allowAnonymous: optional(boolean()),
    }),
  ),
  admin: optional(
    object({
      /** The admin API's key, separate from the gateway keys, as a `sha256:<hex>` hash. */
      keyHash: optional(string()),
      /** A listener of its own for the admin API, off the client port. */
      listen: optional(ListenSchema),
    }),
  ),
  routing: optional(
    object({
      /** Upstreams tried for one session before giving up. */
      maxAttempts: optional(positive()),
      /** Consecutive failures that open an upstream's circuit. */
      failureThreshold: optional(positive()),
      /** How long an open circuit stays open before one trial connection. */
      cooldownMs: optional(positive()),
      /**
       * How old the deployment's session counts the ranking uses may grow before they are
       * counted again; 0 counts them for every session.
       */
      loadRefreshMs: optional(integer({ min: 0 })),
    }),
  ),
  /** What happens to a malformed client frame. */
  inputChecking: optional(enumOf(['off', 'warn', 'enforce'])),
  limits: optional(LimitsConfigSchema),
  log: optional(
    object({
      level: optional(enumOf(['trace', 'debug', 'info', 'warn', 'error', 'silent'])),
      /** `json` lines, or `pretty` (colours and aligned fields) for a terminal. */
      format: optional(enumOf(['json', 'pretty'])),
    }),
  ),
  metrics: optional(
    object({
      enabled: optional(boolean()),
      /** A listener of its own for `/metrics`, off the client port (may be the admin API's). */
      listen: optional(ListenSchema),
      /** A bearer token `/metrics` asks for, as a `sha256:<hex>` hash; none asks for nothing. */
      keyHash: optional(string()),
    }),
  ),
  /** MCP servers the gateway runs tools from, and how client-declared MCP tools are handled. */
  mcp: optional(McpConfigSchema),
  /** OpenTelemetry traces of sessions, exported over OTLP/HTTP. */
  telemetry: optional(TelemetryConfigSchema),
  /** How long live sessions may continue after SIGTERM before they are closed with 1001. */
  shutdown: optional(object({ drainMs: optional(integer({ min: 0 })) })),
  /** Client secrets minted by the gateway. */
  clientSecrets: optional(
    object({
      /** Lifetime of a secret whose request gives no `expires_after`, in seconds. */
      defaultTtlSeconds: optional(integer({ min: 10 })),
      /** The longest lifetime a request may ask for, in seconds. */
      maxTtlSeconds: optional(integer({ min: 10 })),
    }),
  ),
  /** WebRTC calls terminated by the gateway (upstreams with `webrtc: terminate`). */
  webrtc: optional(WebRtcConfigSchema),
  /** Deployment-wide state: slots, rate-limit buckets, the directory of sessions (see the README's "Deployment"). */
  store: optional(StoreConfigSchema),
  /** This node of a deployment: its name, and the listener the other nodes reach it on. */
  node: optional(NodeConfigSchema),
  /** Sessions that outlive their upstream connection, and clients that come back (see the README's "Continuity"). */
  continuity: optional(ContinuityConfigSchema),
  /** The usage ledger: every metered usage and ended session, with its cost (see the README's "Usage ledger"). */
  ledger: optional(LedgerConfigSchema),
  /** Prices by model (USD per million tokens of each kind, or per minute), over the built-in table. */
  prices: optional(PricesConfigSchema),
  /** Rules that block what is said by the user or the model (see the README's "Guardrails"). */
  guardrails: optional(array(GuardrailConfigSchema)),
  /** Sessions recorded to files: their events and their audio (see the README's "Recording"). */
  recording: optional(RecordingConfigSchema),
  /** The web console at `/console`, served with the admin API (see the README's "Console"). */
  console: optional(ConsoleConfigSchema),
});

/** The configuration as written in the file: every field optional. */
export type GatewayConfigInput = Infer<typeof GatewayConfigSchema>;
export type UpstreamConfigInput = Infer<typeof UpstreamConfigSchema>;
export type KeyConfigInput = Infer<typeof KeyConfigSchema>;
