/**
 * How a translation session's frames are read. Its events are not GA's (`session.update`
 * carries another session, `session.input_audio_buffer.append` is its append), so the
 * session's middleware get no GA event for any of its frames (`event` is always null: nothing
 * written for conversations acts on a translation frame it misreads), and a malformed frame's
 * problem is what the translation parser says, for input checking to answer.
 */
import {
  type ClientEvent,
  type ParseResult,
  parseTranslationClientEvent,
  parseTranslationServerEvent,
  type ServerEvent,
  type TranslationClientEvent,
  type TranslationServerEvent,
} from '@realtime-gateway/protocol';
import type { MiddlewareContext } from '../session/middleware.js';
import type { EventParser } from '../session/pipeline.js';
import type { SessionProtocol } from '../session/session.js';

function problemOnly<E>(parse: (input: unknown) => ParseResult<unknown>): EventParser<E> {
  return (input) => {
    const result = parse(input);
    return { event: null, problem: result.ok ? null : result.error };
  };
}

/** The session protocol of translation sessions. */
export const TRANSLATION_PROTOCOL: SessionProtocol = {
  client: problemOnly<ClientEvent>(parseTranslationClientEvent),
  server: problemOnly<ServerEvent>(parseTranslationServerEvent),
};

/**
 * A translation event a middleware sends into its session. The pipeline types what it carries
 * as GA events, but only serializes an injected event and hands it to the session's input
 * checking, which checks translation events in a translation session; this is the one place
 * a translation event passes through that type.
 *
 * @example
 * sendTranslation(ctx).upstream({ type: 'session.update', session: { audio } });
 */
export function sendTranslation(ctx: MiddlewareContext): {
  readonly upstream: (event: TranslationClientEvent) => void;
  readonly client: (event: TranslationServerEvent) => void;
} {
  return {
    upstream: (event) => ctx.sendUpstream(event as unknown as ClientEvent),
    client: (event) => ctx.sendClient(event as unknown as ServerEvent),
  };
}
