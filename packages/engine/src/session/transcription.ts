/**
 * The engine's stand-in for speech recognition: it has none, so the transcript of a committed
 * turn states the audio's duration, deterministically, and flows that depend on transcripts
 * (and on their logprobs) can be tested end to end.
 */
import type { LogProb } from '@realtime-gateway/protocol';

const encoder = new TextEncoder();

/** What the engine "heard" in `ms` of audio. */
export function transcriptOf(ms: number): string {
  return `audio of ${(ms / 1000).toFixed(1)} seconds`;
}

/** The transcript in word-sized deltas, spaces kept, so that joined they give it back. */
export function transcriptDeltas(transcript: string): string[] {
  return transcript.match(/\S+\s*/g) ?? [];
}

/**
 * Logprobs for a piece of transcript, one entry per delta. The engine made the text itself, so
 * each token is certain: a log probability of 0. `bytes` are the token's UTF-8 bytes, as
 * OpenAI reports them.
 *
 * @example
 * logprobsOf('audio '); // [{ token: 'audio ', logprob: 0, bytes: [97, 117, 100, 105, 111, 32] }]
 */
export function logprobsOf(text: string): LogProb[] {
  return transcriptDeltas(text).map((token) => ({ token, logprob: 0, bytes: [...encoder.encode(token)] }));
}
