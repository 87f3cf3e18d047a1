/**
 * The event type and id of a frame, for the relay's per-frame decisions. The protocol package's
 * `peekEvent` (same signature, no full parse) replaces this module once it is exported; until
 * then the frame is parsed, which is correct but slower.
 */
export function peekEvent(
  frame: string | Uint8Array | ArrayBuffer,
): { readonly type: string; readonly eventId: string | null } | null {
  try {
    const text = typeof frame === 'string' ? frame : decoder.decode(frame);
    const value = JSON.parse(text) as { type?: unknown; event_id?: unknown } | null;
    if (typeof value !== 'object' || value === null || typeof value.type !== 'string') return null;
    return { type: value.type, eventId: typeof value.event_id === 'string' ? value.event_id : null };
  } catch {
    return null;
  }
}

const decoder = new TextDecoder();
