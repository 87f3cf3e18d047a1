/**
 * The fast path across the dialects: most of a session's frames are audio (the client's
 * `input_audio_buffer.append`, the server's `response.audio.delta` or
 * `response.output_audio.delta`), tens of kilobytes of base64 whose translation is at most a
 * new `type`. These functions rename a frame's type by splicing the raw text or bytes at the
 * place the peek found it, so the payload is never parsed, decoded or re-encoded.
 */
import { type EventTypeSpan, peekEventTypeSpan, type RawFrame } from '../../peek.js';
import { type DialectDirection, type EventSide, eventRoute } from './event-routes.js';

const encoder = new TextEncoder();

/**
 * The frame with the string at `span` (an event's type, found by `peekEventTypeSpan` on this
 * same frame) replaced by `type`. Text gives text and bytes give bytes; the rest of the frame
 * is copied as it is, byte for byte.
 *
 * @example
 * const span = peekEventTypeSpan(frame);
 * if (span?.type === 'response.audio.delta') client.send(renameFrameType(frame, span, 'response.output_audio.delta'));
 */
export function renameFrameType<F extends string | Uint8Array>(
  frame: F,
  span: EventTypeSpan,
  type: string,
): F {
  const quoted = JSON.stringify(type);
  if (typeof frame === 'string') return `${frame.slice(0, span.start)}${quoted}${frame.slice(span.end)}` as F;
  const bytes = frame as Uint8Array;
  const name = encoder.encode(quoted);
  const out = new Uint8Array(bytes.length - (span.end - span.start) + name.length);
  out.set(bytes.subarray(0, span.start), 0);
  out.set(name, span.start);
  out.set(bytes.subarray(span.end), span.start + name.length);
  return out as F;
}

/**
 * What the fast path made of a frame: the frame to send as it is (`relay`), the frame with its
 * type renamed (`renamed`), or nothing, because the frame needs the full parse and
 * translation (`translate`), as events with sessions, items or responses do, and as a frame
 * does whose type the scan could not find for certain.
 */
export type RetypedFrame<F> =
  | { readonly kind: 'relay'; readonly frame: F; readonly type: string }
  | { readonly kind: 'renamed'; readonly frame: F; readonly type: string }
  | { readonly kind: 'translate' };

const TRANSLATE: RetypedFrame<never> = { kind: 'translate' };

/**
 * A frame of one dialect as the other's, when that takes no more than its `type`: one scan of
 * the frame, and for a renamed event one copy. `type` in the answer is the event's type in the
 * dialect it is going to.
 *
 * @example
 * const fast = retypeFrame(data, 'server', 'beta-to-ga'); // data: a Buffer from the beta upstream
 * if (fast.kind === 'translate') sendAll(betaServerEventToGa(parsed(data), state).value);
 * else client.send(fast.frame); // response.audio.delta arrives as response.output_audio.delta
 */
export function retypeFrame<F extends RawFrame>(
  frame: F,
  side: EventSide,
  direction: DialectDirection,
): RetypedFrame<F extends ArrayBuffer ? Uint8Array : F> {
  const span = peekEventTypeSpan(frame);
  if (span === null) return TRANSLATE;
  const route = eventRoute(side, direction, span.type);
  type Out = F extends ArrayBuffer ? Uint8Array : F;
  const same = (frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame) as Out & (string | Uint8Array);
  switch (route.kind) {
    case 'relay':
      return { kind: 'relay', frame: same, type: span.type };
    case 'rename':
      return { kind: 'renamed', frame: renameFrameType(same, span, route.type), type: route.type };
    default:
      return TRANSLATE;
  }
}

const SPACE = 0x20;

/**
 * {@link retypeFrame} for bytes the caller owns, without a copy: a renamed type that is no
 * longer than the old one (`response.output_audio.delta` to `response.audio.delta`) is written
 * over it, and the rest of its place is filled with spaces, which JSON allows between tokens.
 * A longer type gets a renamed copy, as {@link retypeFrame} makes. The payload is not touched.
 *
 * @example
 * const fast = retypeFrameInPlace(data, 'server', 'ga-to-beta'); // data: a Buffer just received
 * if (fast.kind === 'renamed') client.send(fast.frame); // the same bytes, renamed
 */
export function retypeFrameInPlace(
  frame: Uint8Array,
  side: EventSide,
  direction: DialectDirection,
): RetypedFrame<Uint8Array> {
  const span = peekEventTypeSpan(frame);
  if (span === null) return TRANSLATE;
  const route = eventRoute(side, direction, span.type);
  if (route.kind === 'relay') return { kind: 'relay', frame, type: span.type };
  if (route.kind !== 'rename') return TRANSLATE;
  const name = encoder.encode(JSON.stringify(route.type));
  if (name.length > span.end - span.start) {
    return { kind: 'renamed', frame: renameFrameType(frame, span, route.type), type: route.type };
  }
  frame.set(name, span.start);
  frame.fill(SPACE, span.start + name.length, span.end);
  return { kind: 'renamed', frame, type: route.type };
}
