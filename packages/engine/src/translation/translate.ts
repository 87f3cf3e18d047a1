/**
 * The engine's translation, deterministic as its transcription is: it has no model, so what it
 * "hears" in a phrase is the phrase's length (`audio of 0.8 seconds`, as for a committed turn),
 * and the "translation" is that text tagged with the target language (`[es] audio of 0.8
 * seconds`), spoken with the engine's synthesized voice. Tests can compute every transcript
 * and how much audio each phrase gives.
 */
import {
  type TranslationAudio,
  type TranslationSession,
  type TranslationSessionUpdateRequest,
  translationServer,
} from '@realtime-gateway/protocol';

/** The language a session translates into until told otherwise. */
export const DEFAULT_TARGET_LANGUAGE = 'en';

/**
 * The translation of `text` into `language`.
 *
 * @example
 * translateText('audio of 0.8 seconds', 'es'); // '[es] audio of 0.8 seconds'
 */
export function translateText(text: string, language: string): string {
  return `[${language}] ${text}`;
}

/**
 * A new translation session: the target language {@link DEFAULT_TARGET_LANGUAGE}, no source
 * transcription and no noise reduction, as a session that was asked for nothing.
 */
export function defaultTranslationSession(model: string, now: number): TranslationSession {
  return translationServer.session({
    model,
    now,
    audio: {
      input: { noise_reduction: null, transcription: null },
      output: { language: DEFAULT_TARGET_LANGUAGE },
    },
  });
}

/**
 * The session with an update applied: each field given replaces the session's (`null` turns
 * transcription or noise reduction off); a field left out keeps its value.
 *
 * @example
 * mergeTranslationSession(session, { audio: { output: { language: 'fr' } } }).audio.output?.language; // 'fr'
 */
export function mergeTranslationSession(
  session: TranslationSession,
  update: TranslationSessionUpdateRequest,
): TranslationSession {
  const audio: TranslationAudio = update.audio ?? {};
  const input = { ...session.audio.input, ...withoutUndefined(audio.input ?? {}) };
  const output = { ...session.audio.output, ...withoutUndefined(audio.output ?? {}) };
  return { ...session, audio: { input, output } };
}

function withoutUndefined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The target language the session is set to. */
export function targetLanguage(session: TranslationSession): string {
  return session.audio.output?.language ?? DEFAULT_TARGET_LANGUAGE;
}

/** Whether the session sends the source transcript. */
export function transcribesSource(session: TranslationSession): boolean {
  const transcription = session.audio.input?.transcription;
  return transcription !== null && transcription !== undefined;
}
