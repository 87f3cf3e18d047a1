export type { EngineDialect } from './beta-dialect.js';
export { type Brain, BrainError, type BrainInput, type BrainOutput, itemText } from './brain/brain.js';
export { type ChatBrainOptions, chatBrain } from './brain/chat.js';
export { echoBrain, echoReply } from './brain/echo.js';
export { type EngineOptions, type RunningEngine, startEngine, TRANSLATIONS_PATH } from './server.js';
export { EngineSession, type EngineSessionOptions } from './session/session.js';
export { translateText } from './translation/translate.js';
export {
  TranslationEngineSession,
  type TranslationSessionOptions,
} from './translation/translation-session.js';
