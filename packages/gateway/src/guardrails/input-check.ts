/**
 * Checking one piece of user input against a session's input guardrails: deny patterns first
 * (at once), then moderation services (each an HTTP round trip). Without a moderation service
 * the answer is synchronous, so a text item costs the client direction no wait.
 */
import type { ConversationItem } from '@realtime-gateway/protocol';
import type { GuardrailConfig } from './config.js';
import type { GuardrailDecision } from './decisions.js';
import { moderate } from './moderation.js';
import { firstMatch } from './patterns.js';

/**
 * What checking decided: the decision that blocks the text (null when it passes), and the
 * `fail_open` decisions of moderation services that could not check it and let it pass.
 */
export interface InputOutcome {
  readonly blocked: GuardrailDecision | null;
  readonly failedOpen: readonly GuardrailDecision[];
}

const PASSED: InputOutcome = Object.freeze({ blocked: null, failedOpen: [] });

/**
 * The user text of an item: the `input_text` parts of a user message, joined by newlines;
 * null for any other item (audio is checked by its transcript, other items are not the user's words).
 *
 * @example
 * userText({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }); // 'hi'
 */
export function userText(item: ConversationItem): string | null {
  if (item.type !== 'message' || item.role !== 'user') return null;
  const texts: string[] = [];
  for (const part of item.content) if (part.type === 'input_text' && part.text) texts.push(part.text);
  return texts.length === 0 ? null : texts.join('\n');
}

/**
 * Checks `text` against `guardrails` (the session's input ones), in config order for patterns.
 *
 * @example
 * const outcome = checkInput(guardrails, 'my card is 4111…', ctx.signal);
 * const { blocked } = outcome instanceof Promise ? await outcome : outcome;
 */
export function checkInput(
  guardrails: readonly GuardrailConfig[],
  text: string,
  signal: AbortSignal,
): InputOutcome | Promise<InputOutcome> {
  for (const guardrail of guardrails) {
    const match = firstMatch(guardrail.deny, text);
    if (match !== null)
      return {
        blocked: { guardrail: guardrail.name, direction: 'input', action: guardrail.action, cause: 'deny' },
        failedOpen: [],
      };
  }
  const moderated = guardrails.filter((guardrail) => guardrail.moderation !== null);
  return moderated.length === 0 ? PASSED : moderateAll(moderated, text, signal);
}

/** Asks every moderation service at once; the first guardrail (in config order) that blocks decides. */
async function moderateAll(
  guardrails: readonly GuardrailConfig[],
  text: string,
  signal: AbortSignal,
): Promise<InputOutcome> {
  const verdicts = await Promise.all(
    guardrails.map((guardrail) => moderate(guardrail.moderation!, text, signal)),
  );
  const failedOpen: GuardrailDecision[] = [];
  for (const [k, verdict] of verdicts.entries()) {
    const guardrail = guardrails[k]!;
    const base = { guardrail: guardrail.name, direction: 'input' } as const;
    if (verdict.kind === 'flagged')
      return {
        blocked: {
          ...base,
          action: guardrail.action,
          cause: 'moderation',
          detail: verdict.categories.join(','),
        },
        failedOpen,
      };
    if (verdict.kind !== 'failed') continue;
    const decision = { ...base, cause: 'moderation_failed', detail: verdict.reason } as const;
    if (guardrail.moderation!.onFailure === 'fail-closed')
      return { blocked: { ...decision, action: guardrail.action }, failedOpen };
    failedOpen.push({ ...decision, action: 'fail_open' });
  }
  return { blocked: null, failedOpen };
}
