import type { ClientEvent, ServerEvent } from '@realtime-gateway/protocol';

/**
 * What a session extension decides about one event it asked to see: pass it on unchanged,
 * drop it (the extension answers or replaces it itself), or forward a rewritten event instead.
 */
export type ExtensionVerdict<E> =
  | { readonly action: 'forward' }
  | { readonly action: 'drop' }
  | { readonly action: 'replace'; readonly event: E };

/** Verdict constants, so an extension's hot path does not allocate. */
export const FORWARD = Object.freeze({ action: 'forward' }) as { readonly action: 'forward' };
export const DROP = Object.freeze({ action: 'drop' }) as { readonly action: 'drop' };

/** Who the session is, for extensions that choose behaviour by route, key or upstream. */
export interface SessionInfo {
  readonly sessionId: string;
  /** The model the client asked for, before alias rewriting. */
  readonly model: string;
  /** The model name sent upstream, after alias rewriting. */
  readonly upstreamModel: string;
  readonly upstreamName: string;
  /** The gateway key's id, or null when auth is off or in passthrough mode. */
  readonly keyId: string | null;
  readonly intent: 'conversation' | 'transcription';
}

/**
 * The session's side of the conversation with an extension. Events sent here are serialized
 * and queued in order with relayed frames, under the same backpressure bounds.
 */
export interface ExtensionContext {
  readonly info: SessionInfo;
  /** Injects an event into the upstream connection, as if the client had sent it. */
  sendUpstream(event: ClientEvent): void;
  /** Sends an event to the client, as if the upstream had sent it. */
  sendClient(event: ServerEvent): void;
  /** A signal aborted when the session ends, for cancelling work the extension started. */
  readonly signal: AbortSignal;
}

/**
 * Acts inside a relayed session. The relay only peeks the type of each frame; frames whose type
 * is in `clientEventTypes` / `serverEventTypes` are parsed and handed to the extension, all
 * others pass through untouched, so an extension costs nothing on audio frames it does not ask
 * for.
 *
 * @example
 * const logTools: SessionExtension = {
 *   clientEventTypes: new Set(),
 *   serverEventTypes: new Set(['response.function_call_arguments.done']),
 *   onServerEvent(event) { console.log(event.type); return FORWARD; },
 * };
 */
export interface SessionExtension {
  readonly clientEventTypes: ReadonlySet<string>;
  readonly serverEventTypes: ReadonlySet<string>;
  /** Called once the upstream connection is open, before any client frame is relayed. */
  onOpen?(ctx: ExtensionContext): void;
  onClientEvent?(event: ClientEvent, ctx: ExtensionContext): ExtensionVerdict<ClientEvent>;
  onServerEvent?(event: ServerEvent, ctx: ExtensionContext): ExtensionVerdict<ServerEvent>;
  /** Called once when the session ends, whatever the reason. */
  onClose?(ctx: ExtensionContext): void;
}

/** Creates the extension for one session, or null when it does not apply to this session. */
export type SessionExtensionFactory = (info: SessionInfo) => SessionExtension | null;
