import type { ClientEvent, ServerEvent } from '@realtime-gateway/protocol';
import type { SessionInfo } from '../vocabulary/session.js';
import { DROP, FORWARD, type MiddlewareFactory, type Verdict } from './middleware.js';

export type { SessionInfo };

/** What an extension decides about one event it asked to see. */
export type ExtensionVerdict<E> = Verdict<E>;

export { DROP, FORWARD };

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

/**
 * A synchronous extension as middleware: it sees the events it lists, parsed; frames that are
 * not valid known events pass it by, as before.
 *
 * @example
 * createGateway({ config, middleware: [fromExtension('moderation', moderation)] });
 */
export function fromExtension(name: string, factory: SessionExtensionFactory): MiddlewareFactory {
  return (info) => {
    const extension = factory(info);
    if (extension === null) return null;
    return {
      name,
      client: extension.clientEventTypes,
      upstream: extension.serverEventTypes,
      open: (ctx) => extension.onOpen?.(ctx),
      onClient: (frame, ctx) => {
        const event = frame.event;
        return event === null || extension.onClientEvent === undefined
          ? FORWARD
          : (extension.onClientEvent(event, ctx) ?? FORWARD);
      },
      onUpstream: (frame, ctx) => {
        const event = frame.event;
        return event === null || extension.onServerEvent === undefined
          ? FORWARD
          : (extension.onServerEvent(event, ctx) ?? FORWARD);
      },
      close: (ctx) => {
        extension.onClose?.(ctx);
        return undefined;
      },
    };
  };
}
