/**
 * The life of one audio turn on a session with input guardrails, from the upstream's commit to
 * the gateway's decision. A pure transition function: the middleware keeps a state per item and
 * acts on each transition (checks the transcript on entering `checking`, deletes the item and
 * tells the client on entering `blocked`, asks for the response when a check passes).
 *
 *   transcribing ──transcript──▶ checking ──passed──▶ (done)
 *        │                          │
 *        └─failed / timeout─▶ blocked ◀──blocked──┘
 *                               │
 *                            deleted ──▶ (done)
 *
 * A turn deleted upstream in any state (the client deleted it, or the gateway did) is done.
 */

/** Where a turn is. */
export type TurnState =
  /** Committed upstream; its transcript has not come. */
  | 'transcribing'
  /** The transcript came; the input guardrails are checking it (moderation takes a round trip). */
  | 'checking'
  /** Blocked: the gateway deleted it upstream and waits for `conversation.item.deleted`. */
  | 'blocked';

/** What happens to a turn. */
export type TurnInput =
  /** `conversation.item.input_audio_transcription.completed`. */
  | 'transcript'
  /** `conversation.item.input_audio_transcription.failed`. */
  | 'transcription_failed'
  /** The transcript did not come in time. */
  | 'timeout'
  /** The check let the transcript pass. */
  | 'passed'
  /** The check blocked it. */
  | 'blocked'
  /** `conversation.item.deleted`. */
  | 'deleted';

/** A turn no longer tracked. */
export const DONE = 'done';

/**
 * The state after `input`, or {@link DONE}. An input that does not apply to the state leaves
 * it as it is (a late transcript of a turn already blocked for its timeout changes nothing).
 *
 * @example
 * nextTurn('transcribing', 'transcript'); // 'checking'
 * nextTurn('checking', 'passed'); // 'done'
 * nextTurn('transcribing', 'timeout'); // 'blocked'
 */
export function nextTurn(state: TurnState, input: TurnInput): TurnState | typeof DONE {
  if (input === 'deleted') return DONE;
  switch (state) {
    case 'transcribing':
      if (input === 'transcript') return 'checking';
      if (input === 'transcription_failed' || input === 'timeout') return 'blocked';
      return state;
    case 'checking':
      if (input === 'passed') return DONE;
      if (input === 'blocked') return 'blocked';
      return state;
    case 'blocked':
      return state;
  }
}
