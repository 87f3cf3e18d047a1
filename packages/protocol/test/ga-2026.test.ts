/**
 * The 2026 additions to the GA Realtime API: reasoning, parallel tool calls, MCP tunnels and
 * allowed callers, transcription hints and delay, retention-ratio truncation, logprobs, custom
 * voices and the new models. Each field is accepted by the strict parser where the API takes
 * it, and refused with the path of the offending field where it is wrong.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  client,
  MCP_TUNNEL_ID,
  type ParseResult,
  type ProtocolError,
  parseClientEvent,
  parseServerEvent,
  REALTIME_MODELS,
  REASONING_REALTIME_MODELS,
  type RealtimeSessionConfig,
  server,
  TRANSCRIPTION_MODELS,
} from '@realtime-gateway/protocol';
import { string, toJsonSchema } from '@realtime-gateway/protocol/schema';
import { validateEventAgainstSpec } from './support/spec.js';

const TUNNEL = `tunnel_${'a1'.repeat(16)}`;

function sessionUpdate(session: Record<string, unknown>): string {
  return JSON.stringify({ type: 'session.update', session: { type: 'realtime', ...session } });
}

function transcriptionUpdate(input: Record<string, unknown>): string {
  return JSON.stringify({
    type: 'session.update',
    session: { type: 'transcription', audio: { input } },
  });
}

type Parser = (input: unknown, options?: { strict?: boolean }) => ParseResult<unknown>;

function accepted(json: string, parse: Parser = parseClientEvent): void {
  const result = parse(json, { strict: true });
  assert.ok(result.ok && result.known, `${json}: ${!result.ok && result.error.message}`);
}

function refusal(result: ParseResult<unknown>): ProtocolError {
  assert.equal(result.ok, false, 'expected the frame to be refused');
  return (result as { error: ProtocolError }).error;
}

function refused(json: string, param: string, code: string): void {
  const error = refusal(parseClientEvent(json, { strict: true }));
  assert.equal(error.param, param, error.message);
  assert.equal(error.code, code, error.message);
}

describe('reasoning', () => {
  test('every effort the API names is accepted, and nothing else', () => {
    for (const effort of ['minimal', 'low', 'medium', 'high', 'xhigh'])
      accepted(sessionUpdate({ reasoning: { effort } }));
    accepted(sessionUpdate({ reasoning: {} }));
    refused(sessionUpdate({ reasoning: { effort: 'max' } }), 'session.reasoning.effort', 'invalid_value');
    refused(sessionUpdate({ reasoning: 'high' }), 'session.reasoning', 'invalid_type');
    refused(
      sessionUpdate({ reasoning: { effort: 'low', summary: 'auto' } }),
      'session.reasoning.summary',
      'unknown_parameter',
    );
  });
});

describe('parallel_tool_calls', () => {
  test('is a boolean', () => {
    accepted(sessionUpdate({ parallel_tool_calls: false }));
    refused(sessionUpdate({ parallel_tool_calls: 'no' }), 'session.parallel_tool_calls', 'invalid_type');
  });

  test('has no place in a transcription session', () => {
    refused(
      JSON.stringify({
        type: 'session.update',
        session: { type: 'transcription', parallel_tool_calls: true },
      }),
      'session.parallel_tool_calls',
      'unknown_parameter',
    );
  });
});

describe('MCP tools: tunnel_id and allowed_callers', () => {
  const mcp = (fields: Record<string, unknown>) =>
    sessionUpdate({ tools: [{ type: 'mcp', server_label: 'crm', ...fields }] });

  test('a tunnel id of the tunnel_ form is accepted; any other string is refused at its path', () => {
    assert.match(TUNNEL, MCP_TUNNEL_ID);
    accepted(mcp({ tunnel_id: TUNNEL }));
    refused(mcp({ tunnel_id: 'tunnel_ABC' }), 'session.tools[0].tunnel_id', 'invalid_value');
    refused(mcp({ tunnel_id: `${TUNNEL}0` }), 'session.tools[0].tunnel_id', 'invalid_value');
    refused(mcp({ tunnel_id: 7 }), 'session.tools[0].tunnel_id', 'invalid_type');
  });

  test('the refusal says what form was expected', () => {
    const error = refusal(parseClientEvent(mcp({ tunnel_id: 'tunnel_x' }), { strict: true }));
    assert.match(error.message, /tunnel_\[a-z0-9\]\{32\}/);
    assert.match(error.message, /'tunnel_x'/);
  });

  test('allowed_callers holds one or more of direct and programmatic, or null', () => {
    accepted(mcp({ server_url: 'https://crm.example/mcp', allowed_callers: ['direct', 'programmatic'] }));
    accepted(mcp({ server_url: 'https://crm.example/mcp', allowed_callers: null }));
    refused(mcp({ allowed_callers: [] }), 'session.tools[0].allowed_callers', 'array_below_min_length');
    refused(mcp({ allowed_callers: ['human'] }), 'session.tools[0].allowed_callers[0]', 'invalid_value');
  });

  test('a function tool has no allowed_callers', () => {
    refused(
      sessionUpdate({ tools: [{ type: 'function', name: 'lookup', allowed_callers: ['direct'] }] }),
      'session.tools[0].allowed_callers',
      'unknown_parameter',
    );
  });
});

describe('transcription: keywords, languages and delay', () => {
  test('are accepted in a transcription session and in a realtime session', () => {
    const transcription = {
      model: 'gpt-live-transcribe',
      languages: ['en', 'de'],
      keywords: ['Kubernetes', 'kubectl'],
    };
    accepted(transcriptionUpdate({ transcription }));
    accepted(
      sessionUpdate({ audio: { input: { transcription: { model: 'gpt-realtime-whisper', delay: 'low' } } } }),
    );
  });

  test('are refused at their path when wrong', () => {
    const path = 'session.audio.input.transcription';
    refused(
      transcriptionUpdate({ transcription: { keywords: 'Kubernetes' } }),
      `${path}.keywords`,
      'invalid_type',
    );
    refused(transcriptionUpdate({ transcription: { keywords: [3] } }), `${path}.keywords[0]`, 'invalid_type');
    refused(
      transcriptionUpdate({ transcription: { languages: [] } }),
      `${path}.languages`,
      'array_below_min_length',
    );
    refused(transcriptionUpdate({ transcription: { delay: 'slow' } }), `${path}.delay`, 'invalid_value');
  });

  test('the 2026 transcription models are named', () => {
    for (const model of ['gpt-transcribe', 'gpt-live-transcribe', 'gpt-realtime-whisper'])
      assert.ok((TRANSCRIPTION_MODELS as readonly string[]).includes(model), model);
  });
});

describe('truncation', () => {
  test('auto, disabled, or a retention ratio with optional token limits', () => {
    accepted(sessionUpdate({ truncation: 'auto' }));
    accepted(sessionUpdate({ truncation: 'disabled' }));
    accepted(sessionUpdate({ truncation: { type: 'retention_ratio', retention_ratio: 0.8 } }));
    accepted(
      sessionUpdate({
        truncation: {
          type: 'retention_ratio',
          retention_ratio: 0,
          token_limits: { post_instructions: 8000 },
        },
      }),
    );
  });

  test('a ratio outside 0..1, a negative limit or a missing ratio is refused at its path', () => {
    const ratio = (fields: Record<string, unknown>) =>
      sessionUpdate({ truncation: { type: 'retention_ratio', ...fields } });
    refused(ratio({ retention_ratio: 1.5 }), 'session.truncation.retention_ratio', 'decimal_above_max_value');
    refused(
      ratio({ retention_ratio: -0.1 }),
      'session.truncation.retention_ratio',
      'decimal_below_min_value',
    );
    refused(ratio({}), 'session.truncation.retention_ratio', 'missing_required_parameter');
    refused(
      ratio({ retention_ratio: 0.5, token_limits: { post_instructions: -1 } }),
      'session.truncation.token_limits.post_instructions',
      'integer_below_min_value',
    );
    refused(
      ratio({ retention_ratio: 0.5, token_limits: { post_instructions: 1.5 } }),
      'session.truncation.token_limits.post_instructions',
      'invalid_type',
    );
    refused(sessionUpdate({ truncation: 'sometimes' }), 'session.truncation', 'invalid_value');
  });
});

describe('include and logprobs', () => {
  test('include names input transcription logprobs, and nothing else', () => {
    accepted(sessionUpdate({ include: ['item.input_audio_transcription.logprobs'] }));
    refused(
      sessionUpdate({ include: ['item.output_audio.logprobs'] }),
      'session.include[0]',
      'invalid_value',
    );
  });

  test('transcription events carry logprobs, each with its token, logprob and bytes', () => {
    const logprobs = [{ token: 'hi', logprob: -0.01, bytes: [104, 105] }];
    const completed = {
      type: 'conversation.item.input_audio_transcription.completed',
      event_id: 'event_1',
      item_id: 'item_1',
      content_index: 0,
      transcript: 'hi',
      logprobs,
      usage: { type: 'duration', seconds: 1 },
    };
    accepted(JSON.stringify(completed), parseServerEvent);
    const error = refusal(
      parseServerEvent(JSON.stringify({ ...completed, logprobs: [{ token: 'hi', logprob: -0.01 }] }), {
        strict: true,
      }),
    );
    assert.equal(error.param, 'logprobs[0].bytes');
  });
});

describe('custom voices', () => {
  test('a voice is a name or { id }', () => {
    accepted(sessionUpdate({ audio: { output: { voice: 'marin' } } }));
    accepted(sessionUpdate({ audio: { output: { voice: { id: 'voice_1234' } } } }));
    refused(
      sessionUpdate({ audio: { output: { voice: { id: 1 } } } }),
      'session.audio.output.voice.id',
      'invalid_type',
    );
    refused(
      sessionUpdate({ audio: { output: { voice: { id: 'voice_1234', name: 'x' } } } }),
      'session.audio.output.voice.name',
      'unknown_parameter',
    );
  });
});

describe('the session a server reports', () => {
  // The SDKs type session.created/updated with the request's shape, and a server echoes what
  // it was sent: the fields the spec copy's response schema lacks must pass the strict parser.
  test('a realtime session echoes reasoning, parallel tool calls, truncation and a custom voice', () => {
    const event = server.sessionCreated({
      session: {
        type: 'realtime',
        object: 'realtime.session',
        id: 'sess_1',
        model: 'gpt-realtime-2',
        reasoning: { effort: 'low' },
        parallel_tool_calls: false,
        include: ['item.input_audio_transcription.logprobs'],
        truncation: {
          type: 'retention_ratio',
          retention_ratio: 0.8,
          token_limits: { post_instructions: 4096 },
        },
        tools: [{ type: 'mcp', server_label: 'crm', tunnel_id: TUNNEL, allowed_callers: ['direct'] }],
        audio: { output: { voice: { id: 'voice_1234' } } },
      },
    });
    accepted(JSON.stringify(event), parseServerEvent);
  });

  test('a transcription session echoes keywords, languages and delay', () => {
    const event = server.sessionUpdated({
      session: {
        type: 'transcription',
        object: 'realtime.transcription_session',
        id: 'sess_2',
        audio: {
          input: {
            transcription: {
              model: 'gpt-realtime-whisper',
              languages: ['en'],
              keywords: ['GA'],
              delay: 'high',
            },
          },
        },
      },
    });
    accepted(JSON.stringify(event), parseServerEvent);
  });
});

describe('builders', () => {
  test('session.update with every 2026 field parses strictly and satisfies the spec copy', () => {
    const session: RealtimeSessionConfig = {
      type: 'realtime',
      model: 'gpt-realtime-2.1',
      reasoning: { effort: 'medium' },
      parallel_tool_calls: false,
      include: ['item.input_audio_transcription.logprobs'],
      truncation: { type: 'retention_ratio', retention_ratio: 0.5 },
      tools: [{ type: 'mcp', server_label: 'crm', tunnel_id: TUNNEL, allowed_callers: ['programmatic'] }],
      audio: {
        input: { transcription: { model: 'gpt-transcribe', languages: ['en'], keywords: ['Acme'] } },
        output: { voice: { id: 'voice_1234' } },
      },
    };
    const event = client.sessionUpdate(session, { eventId: 'event_2026' });
    accepted(JSON.stringify(event));
    assert.deepEqual(validateEventAgainstSpec('client', event), []);
  });
});

describe('GA event types of 2026', () => {
  test('transcription_session.update and .updated are GA events, checked like the rest', () => {
    // openai-node declares both among its GA realtime types (outside its event unions); see
    // model/transcription-session-update.ts.
    const update = parseClientEvent(JSON.stringify({ type: 'transcription_session.update', session: {} }));
    assert.ok(update.ok && update.known);
    const updated = parseServerEvent({ type: 'transcription_session.updated', event_id: 'e', session: {} });
    assert.ok(updated.ok && updated.known);
  });
});

describe('models', () => {
  test('the 2026 realtime models are named, the reasoning ones among them', () => {
    for (const model of ['gpt-realtime-2', 'gpt-realtime-2.1', 'gpt-realtime-2.1-mini'])
      assert.ok((REALTIME_MODELS as readonly string[]).includes(model), model);
    for (const model of REASONING_REALTIME_MODELS)
      assert.ok((REALTIME_MODELS as readonly string[]).includes(model));
    assert.equal((REALTIME_MODELS as readonly string[]).includes('gpt-realtime-2-mini'), false);
  });
});

describe('string patterns', () => {
  test('reach the JSON Schema export', () => {
    const { type, pattern } = toJsonSchema(string({ pattern: /^tunnel_[a-z0-9]{32}$/ }));
    assert.deepEqual({ type, pattern }, { type: 'string', pattern: '^tunnel_[a-z0-9]{32}$' });
  });
});
