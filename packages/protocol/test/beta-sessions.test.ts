/**
 * The beta dialect: its session shapes translate to GA and back. Every field with an
 * equivalent round-trips (beta → GA → beta gives the same values), every field without one is
 * reported by path, and what a translation to GA makes is a session the package's own GA
 * parser accepts, strictly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BETA_AUDIO_FORMATS,
  type BetaSessionConfig,
  type BetaTranscriptionSessionConfig,
  betaAudioFormatToGa,
  betaSessionRequestToGa,
  betaSessionToGa,
  betaTranscriptionSessionRequestToGa,
  betaTranscriptionSessionToGa,
  gaAudioFormatToBeta,
  gaClientSecretToBetaSession,
  gaClientSecretToBetaTranscriptionSession,
  gaSessionToBeta,
  gaTranscriptionSessionToBeta,
  parseClientEvent,
  type RealtimeSession,
  type RealtimeSessionConfig,
  type SessionConfig,
  type TranscriptionSession,
  type UnsupportedField,
} from '@realtime-gateway/protocol';
import {
  BetaSessionConfigSchema,
  BetaSessionCreateResponseSchema,
  BetaSessionSchema,
  BetaTranscriptionSessionConfigSchema,
  BetaTranscriptionSessionCreateResponseSchema,
  BetaTranscriptionSessionSchema,
  checkValue,
  RealtimeSessionConfigSchema,
  RealtimeSessionSchema,
  type Schema,
  TranscriptionSessionConfigSchema,
  TranscriptionSessionSchema,
} from '@realtime-gateway/protocol/schema';
import fc from 'fast-check';
import { arbitraryFor } from './support/arbitrary.js';
import { fuzzParameters } from './support/hostile.js';

/** The GA session is accepted as the `session` of a `session.update`, strictly. */
function assertGaAccepts(session: SessionConfig): void {
  const result = parseClientEvent({ type: 'session.update', session }, { strict: true });
  assert.ok(result.ok && result.known, `${JSON.stringify(session)}: ${!result.ok && result.error.message}`);
}

/** The value is of the beta shape, strictly (no unknown field, no stray null). */
function assertBetaShape(schema: Schema<unknown>, value: unknown): void {
  const issue = checkValue(schema, value, true);
  assert.equal(issue, undefined, `${JSON.stringify(value)}: ${JSON.stringify(issue)}`);
}

/** A generated value as JSON would carry it (fast-check makes some objects without a prototype). */
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const params = (fields: readonly UnsupportedField[]): string[] => fields.map((field) => field.param);

/** Freezes a value and everything in it, so a translation that changes its input throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A beta configuration with every field that has a GA equivalent. */
const FULL_BETA: BetaSessionConfig = {
  modalities: ['text', 'audio'],
  model: 'gpt-realtime',
  instructions: 'Be brief.',
  voice: 'marin',
  input_audio_format: 'g711_ulaw',
  output_audio_format: 'pcm16',
  input_audio_transcription: { model: 'gpt-4o-transcribe', language: 'en', prompt: 'Names of cities.' },
  turn_detection: {
    type: 'server_vad',
    threshold: 0.6,
    prefix_padding_ms: 300,
    silence_duration_ms: 450,
    create_response: true,
    interrupt_response: false,
    idle_timeout_ms: 6000,
  },
  input_audio_noise_reduction: { type: 'far_field' },
  tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
  tool_choice: { type: 'function', name: 'get_weather' },
  max_response_output_tokens: 'inf',
  speed: 1.2,
  tracing: { workflow_name: 'support', group_id: 'g1', metadata: { tier: 'gold' } },
  include: ['item.input_audio_transcription.logprobs'],
  prompt: { id: 'pmpt_1', version: '2', variables: { city: 'Paris' } },
  truncation: { type: 'retention_ratio', retention_ratio: 0.5 },
};

/** {@link FULL_BETA} as GA says it. */
const FULL_GA: RealtimeSessionConfig = {
  type: 'realtime',
  output_modalities: ['audio'],
  model: 'gpt-realtime',
  instructions: 'Be brief.',
  audio: {
    input: {
      format: { type: 'audio/pcmu' },
      transcription: { model: 'gpt-4o-transcribe', language: 'en', prompt: 'Names of cities.' },
      turn_detection: {
        type: 'server_vad',
        threshold: 0.6,
        prefix_padding_ms: 300,
        silence_duration_ms: 450,
        create_response: true,
        interrupt_response: false,
        idle_timeout_ms: 6000,
      },
      noise_reduction: { type: 'far_field' },
    },
    output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin', speed: 1.2 },
  },
  tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
  tool_choice: { type: 'function', name: 'get_weather' },
  max_output_tokens: 'inf',
  tracing: { workflow_name: 'support', group_id: 'g1', metadata: { tier: 'gold' } },
  include: ['item.input_audio_transcription.logprobs'],
  prompt: { id: 'pmpt_1', version: '2', variables: { city: 'Paris' } },
  truncation: { type: 'retention_ratio', retention_ratio: 0.5 },
};

describe('audio formats', () => {
  const pairs = [
    ['pcm16', { type: 'audio/pcm', rate: 24000 }],
    ['g711_ulaw', { type: 'audio/pcmu' }],
    ['g711_alaw', { type: 'audio/pcma' }],
  ] as const;

  test('each beta name is a GA format object and back', () => {
    assert.deepEqual(
      pairs.map(([name]) => name),
      [...BETA_AUDIO_FORMATS],
    );
    for (const [name, format] of pairs) {
      assert.deepEqual(betaAudioFormatToGa(name), format);
      assert.equal(gaAudioFormatToBeta(format), name);
    }
    assert.equal(gaAudioFormatToBeta({ type: 'audio/pcm' }), 'pcm16', 'PCM without its rate is still 24 kHz');
  });

  for (const [name, format] of pairs) {
    test(`${name} as input and as output format of both session kinds`, () => {
      const realtime = betaSessionToGa({ input_audio_format: name, output_audio_format: name });
      assert.deepEqual(realtime.value.audio, { input: { format }, output: { format } });
      assertGaAccepts(realtime.value);
      assert.deepEqual(gaSessionToBeta(realtime.value).value, {
        input_audio_format: name,
        output_audio_format: name,
      });

      const transcription = betaTranscriptionSessionToGa({ input_audio_format: name });
      assert.deepEqual(transcription.value, { type: 'transcription', audio: { input: { format } } });
      assertGaAccepts(transcription.value);
      assert.deepEqual(gaTranscriptionSessionToBeta(transcription.value).value, { input_audio_format: name });
    });
  }
});

describe('beta realtime session to GA and back', () => {
  test('every field with an equivalent lands where GA keeps it', () => {
    const { value, unsupported } = betaSessionToGa(deepFreeze(structuredClone(FULL_BETA)));
    assert.deepEqual(value, FULL_GA);
    assert.deepEqual(unsupported, []);
    assertGaAccepts(value);
  });

  test('and comes back to the same beta values', () => {
    const back = gaSessionToBeta(deepFreeze(structuredClone(FULL_GA)));
    assert.deepEqual(back.value, FULL_BETA);
    assert.deepEqual(back.unsupported, []);
    assertBetaShape(BetaSessionConfigSchema, back.value);
  });

  test('each field on its own round-trips', () => {
    for (const [key, field] of Object.entries(FULL_BETA)) {
      const config = { [key]: field } as BetaSessionConfig;
      const ga = betaSessionToGa(config);
      assert.deepEqual(ga.unsupported, [], key);
      assertGaAccepts(ga.value);
      assert.deepEqual(gaSessionToBeta(ga.value).value, config, key);
    }
  });

  test('token limits: "inf" stays "inf", a number stays that number', () => {
    for (const limit of ['inf', 1, 4096] as const) {
      const ga = betaSessionToGa({ max_response_output_tokens: limit }).value;
      assert.equal(ga.max_output_tokens, limit);
      assert.equal(gaSessionToBeta(ga).value.max_response_output_tokens, limit);
    }
  });

  test('modalities: beta ["text", "audio"] is GA ["audio"], ["text"] is ["text"]', () => {
    const cases = [
      [['text', 'audio'], ['audio'], ['text', 'audio']],
      [['audio', 'text'], ['audio'], ['text', 'audio']],
      [['text'], ['text'], ['text']],
      [['audio'], ['audio'], ['text', 'audio']],
      [[], [], []],
    ] as const;
    for (const [beta, ga, back] of cases) {
      const translated = betaSessionToGa({ modalities: [...beta] }).value;
      assert.deepEqual(translated.output_modalities, ga, JSON.stringify(beta));
      assert.deepEqual(gaSessionToBeta(translated).value.modalities, back, JSON.stringify(beta));
    }
  });

  test('turn detection: no type means server VAD; semantic VAD and null carry over', () => {
    const untyped = betaSessionToGa({ turn_detection: { silence_duration_ms: 700 } }).value;
    assert.deepEqual(untyped.audio?.input?.turn_detection, { type: 'server_vad', silence_duration_ms: 700 });
    assertGaAccepts(untyped);
    const semantic = { type: 'semantic_vad', eagerness: 'low', interrupt_response: true } as const;
    assert.deepEqual(
      betaSessionToGa({ turn_detection: semantic }).value.audio?.input?.turn_detection,
      semantic,
    );
    const off = betaSessionToGa({ turn_detection: null }).value;
    assert.equal(off.audio?.input?.turn_detection, null);
    assertGaAccepts(off);
    assert.equal(gaSessionToBeta(off).value.turn_detection, null);
  });

  test('null turns transcription, noise reduction and tracing off on either side', () => {
    const beta: BetaSessionConfig = {
      input_audio_transcription: null,
      input_audio_noise_reduction: null,
      tracing: null,
    };
    const ga = betaSessionToGa(beta).value;
    assert.deepEqual(ga, {
      type: 'realtime',
      tracing: null,
      audio: { input: { transcription: null, noise_reduction: null } },
    });
    assertGaAccepts(ga);
    assert.deepEqual(gaSessionToBeta(ga).value, beta);
  });

  test('a custom voice by id moves under audio.output', () => {
    const ga = betaSessionToGa({ voice: { id: 'voice_123' } }).value;
    assert.deepEqual(ga.audio, { output: { voice: { id: 'voice_123' } } });
    assertGaAccepts(ga);
  });

  test('fields without a GA equivalent are reported, not translated', () => {
    const config = {
      voice: 'alloy',
      temperature: 0.8,
      client_secret: { expires_at: { anchor: 'created_at', seconds: 60 } },
      id: 'sess_1',
      object: 'realtime.session',
      expires_at: 1767225600,
      input_audio_context: 'x',
    } as BetaSessionConfig;
    const { value, unsupported } = betaSessionToGa(config);
    assert.deepEqual(params(unsupported), [
      'temperature',
      'client_secret',
      'id',
      'object',
      'expires_at',
      'input_audio_context',
    ]);
    assert.deepEqual(value, { type: 'realtime', audio: { output: { voice: 'alloy' } } });
    assertGaAccepts(value);
    const temperature = unsupported[0]!;
    assert.deepEqual(temperature.path, ['temperature']);
    assert.equal(
      temperature.message,
      "Unsupported parameter: 'temperature'. GA sessions have no sampling temperature.",
    );
    for (const field of unsupported)
      assert.ok(field.reason.length > 0 && field.message.includes(field.param));
  });
});

/** A GA realtime session as `session.created` reports it. */
const GA_SESSION: RealtimeSession = {
  type: 'realtime',
  id: 'sess_C9Gx1nP0kQ3mWcXo2bF7a',
  object: 'realtime.session',
  expires_at: 1767225600,
  model: 'gpt-realtime',
  output_modalities: ['audio'],
  instructions: 'You are a helpful voice assistant.',
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
  tool_choice: 'auto',
  max_output_tokens: 2048,
  tracing: 'auto',
  truncation: 'auto',
  prompt: null,
  include: [],
  audio: {
    input: {
      format: { type: 'audio/pcm', rate: 24000 },
      transcription: { model: 'whisper-1' },
      noise_reduction: null,
      turn_detection: { type: 'semantic_vad', eagerness: 'auto' },
    },
    output: { format: { type: 'audio/pcma' }, voice: 'cedar', speed: 1 },
  },
};

describe('GA realtime session to beta', () => {
  test('a session.created session becomes the flat beta session object', () => {
    const { value, unsupported } = gaSessionToBeta(deepFreeze(structuredClone(GA_SESSION)));
    assert.deepEqual(unsupported, []);
    assert.deepEqual(value, {
      id: 'sess_C9Gx1nP0kQ3mWcXo2bF7a',
      object: 'realtime.session',
      expires_at: 1767225600,
      model: 'gpt-realtime',
      modalities: ['text', 'audio'],
      instructions: 'You are a helpful voice assistant.',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      tool_choice: 'auto',
      max_response_output_tokens: 2048,
      tracing: 'auto',
      truncation: 'auto',
      prompt: null,
      include: [],
      input_audio_format: 'pcm16',
      input_audio_transcription: { model: 'whisper-1' },
      input_audio_noise_reduction: null,
      turn_detection: { type: 'semantic_vad', eagerness: 'auto' },
      output_audio_format: 'g711_alaw',
      voice: 'cedar',
      speed: 1,
    });
    assertBetaShape(BetaSessionSchema, value);
  });

  test('fields without a beta equivalent are reported; the function tools are kept', () => {
    const session = {
      ...GA_SESSION,
      reasoning: { effort: 'low' },
      parallel_tool_calls: false,
      tools: [
        { type: 'mcp', server_label: 'docs', server_url: 'https://example.com/mcp' },
        { type: 'function', name: 'lookup' },
      ],
      tool_choice: { type: 'mcp', server_label: 'docs' },
      new_setting: 1,
      audio: {
        input: { format: { type: 'audio/opus' }, echo_cancellation: true },
        output: { voice: 'cedar', pitch: 2 },
        video: {},
      },
    } as unknown as RealtimeSession;
    const { value, unsupported } = gaSessionToBeta(session);
    assert.deepEqual(params(unsupported), [
      'tools[0]',
      'tool_choice',
      'audio.input.format',
      'audio.input.echo_cancellation',
      'audio.output.pitch',
      'audio.video',
      'reasoning',
      'parallel_tool_calls',
      'new_setting',
    ]);
    assert.deepEqual(value.tools, [{ type: 'function', name: 'lookup' }]);
    assert.equal(value.tool_choice, undefined);
    assert.equal(value.input_audio_format, undefined);
    assert.equal(value.voice, 'cedar');
    assertBetaShape(BetaSessionSchema, value);
    assert.match(unsupported[0]!.reason, /function tools only/);
  });
});

describe('beta transcription session to GA and back', () => {
  const FULL: BetaTranscriptionSessionConfig = {
    input_audio_format: 'g711_alaw',
    input_audio_transcription: { model: 'gpt-4o-mini-transcribe', language: 'de', prompt: 'Medical terms.' },
    turn_detection: { type: 'server_vad', threshold: 0.4, prefix_padding_ms: 200, silence_duration_ms: 600 },
    input_audio_noise_reduction: { type: 'near_field' },
    include: ['item.input_audio_transcription.logprobs'],
  };
  const FULL_GA_TRANSCRIPTION = {
    type: 'transcription',
    include: ['item.input_audio_transcription.logprobs'],
    audio: {
      input: {
        format: { type: 'audio/pcma' },
        transcription: { model: 'gpt-4o-mini-transcribe', language: 'de', prompt: 'Medical terms.' },
        turn_detection: {
          type: 'server_vad',
          threshold: 0.4,
          prefix_padding_ms: 200,
          silence_duration_ms: 600,
        },
        noise_reduction: { type: 'near_field' },
      },
    },
  } as const;

  test('every field with an equivalent round-trips through audio.input', () => {
    const ga = betaTranscriptionSessionToGa(deepFreeze(structuredClone(FULL)));
    assert.deepEqual(ga.value, FULL_GA_TRANSCRIPTION);
    assert.deepEqual(ga.unsupported, []);
    assertGaAccepts(ga.value);
    const back = gaTranscriptionSessionToBeta(deepFreeze(ga.value));
    assert.deepEqual(back.value, FULL);
    assert.deepEqual(back.unsupported, []);
    for (const [key, field] of Object.entries(FULL)) {
      const config = { [key]: field } as BetaTranscriptionSessionConfig;
      assert.deepEqual(
        gaTranscriptionSessionToBeta(betaTranscriptionSessionToGa(config).value).value,
        config,
        key,
      );
    }
  });

  test('fields without a GA equivalent are reported', () => {
    const { value, unsupported } = betaTranscriptionSessionToGa({
      modalities: ['text'],
      client_secret: { expires_at: { seconds: 120 } },
      input_audio_format: 'pcm16',
      voice: 'alloy',
    } as BetaTranscriptionSessionConfig);
    assert.deepEqual(params(unsupported), ['modalities', 'client_secret', 'voice']);
    assert.deepEqual(value, {
      type: 'transcription',
      audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } },
    });
    assertGaAccepts(value);
  });

  test('a GA transcription session becomes the beta object; a turn detection beta cannot name is reported', () => {
    const session: TranscriptionSession = {
      type: 'transcription',
      id: 'sess_T1',
      object: 'realtime.transcription_session',
      expires_at: 1767225600,
      include: [],
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-transcribe', languages: ['en', 'fr'] },
          turn_detection: { type: 'server_vad', threshold: 0.5 },
        },
      },
    };
    const { value, unsupported } = gaTranscriptionSessionToBeta(session);
    assert.deepEqual(unsupported, []);
    assert.deepEqual(value, {
      id: 'sess_T1',
      object: 'realtime.transcription_session',
      expires_at: 1767225600,
      include: [],
      input_audio_format: 'g711_ulaw',
      input_audio_transcription: { model: 'gpt-4o-transcribe', languages: ['en', 'fr'] },
      turn_detection: { type: 'server_vad', threshold: 0.5 },
    });
    assertBetaShape(BetaTranscriptionSessionSchema, value);

    const odd = { ...session, audio: { input: { turn_detection: { type: 'push_to_talk' } }, output: {} } };
    assert.deepEqual(params(gaTranscriptionSessionToBeta(odd).unsupported), [
      'audio.input.turn_detection',
      'audio.output',
    ]);
  });
});

describe('REST: beta session endpoints through GA client secrets', () => {
  test('POST /v1/realtime/sessions: the expiry becomes expires_after, the rest the GA session', () => {
    const { value, unsupported } = betaSessionRequestToGa({
      model: 'gpt-realtime',
      voice: 'verse',
      temperature: 0.7,
      client_secret: { expires_at: { anchor: 'created_at', seconds: 600 } },
    });
    assert.deepEqual(value, {
      expires_after: { anchor: 'created_at', seconds: 600 },
      session: { type: 'realtime', model: 'gpt-realtime', audio: { output: { voice: 'verse' } } },
    });
    assert.deepEqual(params(unsupported), ['temperature']);
    assertGaAccepts(value.session);
    assert.deepEqual(
      betaSessionRequestToGa({ client_secret: { expires_after: { anchor: 'created_at', seconds: 30 } } })
        .value,
      { expires_after: { anchor: 'created_at', seconds: 30 }, session: { type: 'realtime' } },
      "openai-python's name for the expiry is taken too",
    );
    assert.deepEqual(betaSessionRequestToGa({}).value, { session: { type: 'realtime' } });
  });

  test('POST /v1/realtime/transcription_sessions likewise', () => {
    const { value, unsupported } = betaTranscriptionSessionRequestToGa({
      input_audio_transcription: { model: 'whisper-1' },
      client_secret: { expires_at: { seconds: 90 } },
    });
    assert.deepEqual(value, {
      expires_after: { seconds: 90 },
      session: { type: 'transcription', audio: { input: { transcription: { model: 'whisper-1' } } } },
    });
    assert.deepEqual(unsupported, []);
    assertGaAccepts(value.session);
  });

  test('the GA answer becomes the beta answer with client_secret { value, expires_at }', () => {
    const answer = {
      value: 'ek_abc',
      expires_at: 1767225660,
      session: { ...GA_SESSION, reasoning: { effort: 'high' as const } },
    };
    const { value, unsupported } = gaClientSecretToBetaSession(answer);
    assert.deepEqual(value.client_secret, { value: 'ek_abc', expires_at: 1767225660 });
    assert.equal(value.id, GA_SESSION.id);
    assert.equal(value.voice, 'cedar');
    assert.deepEqual(params(unsupported), ['session.reasoning']);
    assert.deepEqual(unsupported[0]!.path, ['session', 'reasoning']);
    assertBetaShape(BetaSessionCreateResponseSchema, value);

    const transcription = gaClientSecretToBetaTranscriptionSession({
      value: 'ek_t',
      expires_at: 1767225660,
      session: { type: 'transcription', id: 'sess_T2', object: 'realtime.transcription_session' },
    });
    assert.deepEqual(transcription.value, {
      id: 'sess_T2',
      object: 'realtime.transcription_session',
      client_secret: { value: 'ek_t', expires_at: 1767225660 },
    });
    assertBetaShape(BetaTranscriptionSessionCreateResponseSchema, transcription.value);
  });
});

// Properties over every value the shapes allow, generated from the schemas themselves.

const BETA_ONLY = ['temperature', 'client_secret'] as const;
const BETA_TRANSCRIPTION_ONLY = ['modalities', 'client_secret'] as const;

function without<T extends object>(value: T, keys: readonly string[]): Record<string, unknown> {
  const out = { ...value } as Record<string, unknown>;
  for (const key of keys) delete out[key];
  return out;
}

/** What a beta value looks like after a round trip: the forms each beta value has in GA. */
function canonicalBeta(config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  const modalities = out.modalities as string[] | null | undefined;
  if (Array.isArray(modalities)) {
    out.modalities = modalities.includes('audio')
      ? ['text', 'audio']
      : modalities.includes('text')
        ? ['text']
        : [];
  }
  const turn = out.turn_detection as Record<string, unknown> | null | undefined;
  if (turn && turn.type === undefined) out.turn_detection = { type: 'server_vad', ...turn };
  return out;
}

/** What a GA configuration looks like after a round trip through beta. */
function canonicalGa(session: RealtimeSessionConfig): { value: Record<string, unknown>; dropped: string[] } {
  const out: Record<string, unknown> = { ...session };
  const dropped: string[] = [];
  for (const key of ['reasoning', 'parallel_tool_calls']) {
    if (out[key] !== undefined) {
      dropped.push(key);
      delete out[key];
    }
  }
  if (Array.isArray(session.tools)) {
    session.tools.forEach((tool, i) => {
      if (tool.type === 'mcp') dropped.push(`tools[${i}]`);
    });
    out.tools = session.tools.filter((tool) => tool.type !== 'mcp');
  }
  if (typeof session.tool_choice === 'object' && session.tool_choice?.type === 'mcp') {
    dropped.push('tool_choice');
    delete out.tool_choice;
  }
  if (Array.isArray(session.output_modalities)) {
    out.output_modalities = session.output_modalities.includes('audio')
      ? ['audio']
      : session.output_modalities.includes('text')
        ? ['text']
        : [];
  }
  const pcm = (format: unknown) =>
    (format as { type?: string } | null | undefined)?.type === 'audio/pcm'
      ? { type: 'audio/pcm', rate: 24000 }
      : format;
  if (session.audio) {
    const audio: Record<string, unknown> = {};
    if (session.audio.input) {
      const input: Record<string, unknown> = { ...session.audio.input };
      if (input.format !== undefined) input.format = pcm(input.format);
      if (Object.keys(input).length > 0) audio.input = input;
    }
    if (session.audio.output) {
      const output: Record<string, unknown> = { ...session.audio.output };
      if (output.format !== undefined) output.format = pcm(output.format);
      if (Object.keys(output).length > 0) audio.output = output;
    }
    if (Object.keys(audio).length > 0) out.audio = audio;
    else delete out.audio;
  }
  return { value: out, dropped };
}

describe('round trips hold for every value the shapes allow', () => {
  test('beta session config → GA → beta', () => {
    fc.assert(
      fc.property(arbitraryFor(BetaSessionConfigSchema), (beta) => {
        const config = asJson(beta) as BetaSessionConfig;
        const ga = betaSessionToGa(config);
        assertGaAccepts(ga.value);
        const present = BETA_ONLY.filter((key) => config[key] !== undefined);
        assert.deepEqual(params(ga.unsupported), present);
        const back = gaSessionToBeta(ga.value);
        assert.deepEqual(back.unsupported, []);
        assert.deepEqual(back.value, canonicalBeta(without(config, BETA_ONLY)));
        assertBetaShape(BetaSessionConfigSchema, back.value);
      }),
      fuzzParameters(300),
    );
  });

  test('GA session config → beta → GA', () => {
    fc.assert(
      fc.property(arbitraryFor(RealtimeSessionConfigSchema), (generated) => {
        const session = asJson(generated) as RealtimeSessionConfig;
        const beta = gaSessionToBeta(session);
        assertBetaShape(BetaSessionConfigSchema, beta.value);
        const expected = canonicalGa(session);
        assert.deepEqual(params(beta.unsupported).sort(), expected.dropped.sort());
        const back = betaSessionToGa(beta.value);
        assert.deepEqual(back.unsupported, []);
        assert.deepEqual(back.value, expected.value);
      }),
      fuzzParameters(300),
    );
  });

  test('a GA session as the server reports it is a valid beta session object', () => {
    fc.assert(
      fc.property(arbitraryFor(RealtimeSessionSchema), (session) => {
        const beta = gaSessionToBeta(asJson(session) as RealtimeSession);
        assertBetaShape(BetaSessionSchema, beta.value);
        for (const field of beta.unsupported) assert.ok(field.message.includes(field.param));
      }),
      fuzzParameters(200),
    );
  });

  test('beta transcription config → GA → beta', () => {
    fc.assert(
      fc.property(arbitraryFor(BetaTranscriptionSessionConfigSchema), (beta) => {
        const config = asJson(beta) as BetaTranscriptionSessionConfig;
        const ga = betaTranscriptionSessionToGa(config);
        assertGaAccepts(ga.value);
        const present = BETA_TRANSCRIPTION_ONLY.filter((key) => config[key] !== undefined);
        assert.deepEqual(params(ga.unsupported).sort(), [...present].sort());
        const back = gaTranscriptionSessionToBeta(ga.value);
        assert.deepEqual(back.unsupported, []);
        assert.deepEqual(back.value, canonicalBeta(without(config, BETA_TRANSCRIPTION_ONLY)));
      }),
      fuzzParameters(300),
    );
  });

  test('GA transcription config → beta → GA, and GA transcription sessions are valid beta objects', () => {
    fc.assert(
      fc.property(arbitraryFor(TranscriptionSessionConfigSchema), (raw) => {
        const generated = asJson(raw);
        const beta = gaTranscriptionSessionToBeta(generated as never);
        assert.deepEqual(beta.unsupported, []);
        assertBetaShape(BetaTranscriptionSessionConfigSchema, beta.value);
        const back = betaTranscriptionSessionToGa(beta.value);
        assert.deepEqual(back.value, canonicalGa(generated as never).value);
      }),
      fuzzParameters(300),
    );
    fc.assert(
      fc.property(arbitraryFor(TranscriptionSessionSchema), (session) => {
        const beta = gaTranscriptionSessionToBeta(asJson(session) as TranscriptionSession);
        assertBetaShape(BetaTranscriptionSessionSchema, beta.value);
      }),
      fuzzParameters(200),
    );
  });
});
