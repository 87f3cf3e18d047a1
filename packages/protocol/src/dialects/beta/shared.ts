/**
 * Pieces both beta session kinds (realtime and transcription) are made of: turn detection as
 * the beta protocol wrote it, and the client secret of the beta REST endpoints.
 */
import { SemanticVadSchema, ServerVadSchema } from '../../model/audio.js';
import {
  extend,
  type Infer,
  integer,
  literal,
  nullable,
  object,
  optional,
  string,
  taggedUnion,
} from '../../schema/schema.js';

/**
 * Beta turn detection: server VAD or semantic VAD, or `null` for none. Beta made `type`
 * optional, defaulting to `server_vad`; GA requires it, so a translation to GA fills it in.
 * The fields are GA's (`idle_timeout_ms` included), as openai-node's type of the beta session
 * (`RealtimeSession` in `resources/realtime/realtime.ts`) has them.
 */
export const BetaTurnDetectionSchema = nullable(
  taggedUnion(
    'type',
    {
      server_vad: extend(ServerVadSchema, { type: optional(literal('server_vad')) }),
      semantic_vad: SemanticVadSchema,
    },
    { untagged: 'server_vad' },
  ),
);
export type BetaTurnDetection = Infer<typeof BetaTurnDetectionSchema>;

/** When a minted secret expires: `seconds` (10 to 7200) after it was created. */
const expiry = object({
  anchor: optional(literal('created_at')),
  seconds: optional(integer({ min: 10, max: 7200 })),
});

/**
 * The `client_secret` a beta REST request may carry: when the minted secret expires.
 * openai-node's beta `SessionCreateParams` and transcription `session.update` name the field
 * `expires_at`; openai-python's beta `session.update` model names it `expires_after`, as GA
 * does. Either is accepted; `expires_at` wins when both are given.
 */
export const BetaClientSecretConfigSchema = object({
  expires_at: optional(expiry),
  expires_after: optional(expiry),
});
export type BetaClientSecretConfig = Infer<typeof BetaClientSecretConfigSchema>;

/** The ephemeral key a beta REST answer carries: the secret and when it expires (Unix seconds). */
export const BetaClientSecretSchema = object({ value: string(), expires_at: integer() });
export type BetaClientSecret = Infer<typeof BetaClientSecretSchema>;
