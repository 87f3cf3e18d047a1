/**
 * The beta dialect's events: each beta event and its GA counterpart translate into each other,
 * what one side has no equivalent for is reported by path with nothing invented, the item
 * lifecycle (beta `conversation.item.created`, GA `added` + `done`) holds across a stream, and
 * the beta parsers judge frames as the GA ones do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BetaClientEvent,
  type BetaConversationItem,
  type BetaServerEvent,
  betaClientEventToGa,
  betaServerEventToGa,
  type ClientEvent,
  type ConversationItem,
  eventRoute,
  gaClientEventToBeta,
  gaServerEventToBeta,
  newItemLifecycle,
  parseBetaClientEvent,
  parseBetaServerEvent,
  parseClientEvent,
  parseServerEvent,
  type ServerEvent,
  toErrorEvent,
  type UnsupportedField,
} from '@realtime-gateway/protocol';
import { AUDIO_20MS } from './fixtures/events.js';

const params = (fields: readonly UnsupportedField[]): string[] => fields.map((field) => field.param);

/** The event is a valid event of its dialect, strictly. */
function assertValid(event: unknown, parse: (input: unknown, options: { strict: true }) => unknown): void {
  const result = parse(event, { strict: true }) as {
    ok: boolean;
    known?: boolean;
    error?: { message: string };
  };
  assert.ok(result.ok && result.known, `${JSON.stringify(event)}: ${result.error?.message}`);
}

const position = { response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0 };

/** Client events that say the same in both dialects, in beta and in GA words. */
const CLIENT_PAIRS: readonly [string, BetaClientEvent, ClientEvent][] = [
  [
    'session.update: flat beta settings are GA nested ones',
    {
      type: 'session.update',
      event_id: 'evt_1',
      session: { voice: 'alloy', modalities: ['text'], input_audio_format: 'g711_ulaw' },
    },
    {
      type: 'session.update',
      event_id: 'evt_1',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        audio: { input: { format: { type: 'audio/pcmu' } }, output: { voice: 'alloy' } },
      },
    },
  ],
  [
    'transcription_session.update is GA session.update of type transcription',
    {
      type: 'transcription_session.update',
      session: { input_audio_transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null },
    },
    {
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null } },
      },
    },
  ],
  [
    'conversation.item.create: assistant text is GA output_text',
    {
      type: 'conversation.item.create',
      previous_item_id: 'root',
      item: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
    },
    {
      type: 'conversation.item.create',
      previous_item_id: 'root',
      item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello.' }] },
    },
  ],
  [
    'conversation.item.create: user audio and function output are the same',
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        object: 'realtime.item',
        content: [
          { type: 'input_audio', audio: AUDIO_20MS },
          { type: 'input_text', text: 'Hi' },
        ],
      },
    },
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        object: 'realtime.item',
        content: [
          { type: 'input_audio', audio: AUDIO_20MS },
          { type: 'input_text', text: 'Hi' },
        ],
      },
    },
  ],
  [
    'response.create: settings for one response',
    {
      type: 'response.create',
      response: {
        modalities: ['text', 'audio'],
        voice: 'verse',
        output_audio_format: 'pcm16',
        max_response_output_tokens: 300,
        conversation: 'none',
        metadata: { topic: 'weather' },
        instructions: 'Be brief.',
        tools: [{ type: 'function', name: 'lookup' }],
        tool_choice: 'required',
        input: [
          { type: 'item_reference', id: 'item_7' },
          { type: 'message', role: 'assistant', content: [{ type: 'audio', transcript: 'Yes.' }] },
        ],
      },
    },
    {
      type: 'response.create',
      response: {
        output_modalities: ['audio'],
        audio: { output: { voice: 'verse', format: { type: 'audio/pcm', rate: 24000 } } },
        max_output_tokens: 300,
        conversation: 'none',
        metadata: { topic: 'weather' },
        instructions: 'Be brief.',
        tools: [{ type: 'function', name: 'lookup' }],
        tool_choice: 'required',
        input: [
          { type: 'item_reference', id: 'item_7' },
          { type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: 'Yes.' }] },
        ],
      },
    },
  ],
  ['response.create without settings', { type: 'response.create' }, { type: 'response.create' }],
];

const assistantHeader = {
  id: 'item_1',
  object: 'realtime.item',
  type: 'message',
  role: 'assistant',
} as const;
const assistantBeta: BetaConversationItem = {
  ...assistantHeader,
  status: 'completed',
  content: [{ type: 'audio', transcript: 'Sunny.' }],
};
const assistantGa: ConversationItem = {
  ...assistantHeader,
  status: 'completed',
  content: [{ type: 'output_audio', transcript: 'Sunny.' }],
};
/** The same assistant item as the server first announces it, in either dialect. */
const inProgressBeta: BetaConversationItem = { ...assistantHeader, status: 'in_progress', content: [] };
const inProgressGa: ConversationItem = { ...assistantHeader, status: 'in_progress', content: [] };

/** Server events that say the same in both dialects (the item lifecycle is tested on its own). */
const SERVER_PAIRS: readonly [string, BetaServerEvent, ServerEvent][] = [
  ...(
    [
      ['response.text.delta', 'response.output_text.delta', { delta: 'Hel' }],
      ['response.text.done', 'response.output_text.done', { text: 'Hello' }],
      ['response.audio.delta', 'response.output_audio.delta', { delta: AUDIO_20MS }],
      ['response.audio.done', 'response.output_audio.done', {}],
      ['response.audio_transcript.delta', 'response.output_audio_transcript.delta', { delta: 'Hel' }],
      ['response.audio_transcript.done', 'response.output_audio_transcript.done', { transcript: 'Hello' }],
    ] as const
  ).map(
    ([beta, ga, fields]) =>
      [
        `${beta} is ${ga}`,
        { type: beta, event_id: 'evt_2', ...position, ...fields },
        { type: ga, event_id: 'evt_2', ...position, ...fields },
      ] as [string, BetaServerEvent, ServerEvent],
  ),
  [
    'session.created: the session object keeps its id and expiry',
    {
      type: 'session.created',
      event_id: 'evt_3',
      session: {
        id: 'sess_1',
        object: 'realtime.session',
        expires_at: 1767225600,
        model: 'gpt-realtime',
        modalities: ['text', 'audio'],
        voice: 'marin',
        output_audio_format: 'g711_alaw',
        max_response_output_tokens: 'inf',
      },
    },
    {
      type: 'session.created',
      event_id: 'evt_3',
      session: {
        type: 'realtime',
        id: 'sess_1',
        object: 'realtime.session',
        expires_at: 1767225600,
        model: 'gpt-realtime',
        output_modalities: ['audio'],
        audio: { output: { voice: 'marin', format: { type: 'audio/pcma' } } },
        max_output_tokens: 'inf',
      },
    },
  ],
  [
    'transcription_session.updated is GA session.updated of type transcription',
    {
      type: 'transcription_session.updated',
      event_id: 'evt_4',
      session: {
        id: 'sess_2',
        object: 'realtime.transcription_session',
        input_audio_format: 'pcm16',
        include: ['item.input_audio_transcription.logprobs'],
      },
    },
    {
      type: 'session.updated',
      event_id: 'evt_4',
      session: {
        type: 'transcription',
        id: 'sess_2',
        object: 'realtime.transcription_session',
        include: ['item.input_audio_transcription.logprobs'],
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } },
      },
    },
  ],
  [
    'transcription_session.created is GA session.created of type transcription',
    {
      type: 'transcription_session.created',
      event_id: 'evt_5',
      session: { id: 'sess_3', object: 'realtime.transcription_session' },
    },
    {
      type: 'session.created',
      event_id: 'evt_5',
      session: { type: 'transcription', id: 'sess_3', object: 'realtime.transcription_session' },
    },
  ],
  [
    'response.done: the response with its output items',
    {
      type: 'response.done',
      event_id: 'evt_6',
      response: {
        id: 'resp_1',
        object: 'realtime.response',
        status: 'completed',
        output: [assistantBeta],
        voice: 'marin',
        output_audio_format: 'pcm16',
        modalities: ['text'],
        max_output_tokens: 'inf',
        conversation_id: 'conv_1',
        usage: { total_tokens: 10, input_tokens: 4, output_tokens: 6 },
      },
    },
    {
      type: 'response.done',
      event_id: 'evt_6',
      response: {
        id: 'resp_1',
        object: 'realtime.response',
        status: 'completed',
        output: [assistantGa],
        audio: { output: { voice: 'marin', format: { type: 'audio/pcm', rate: 24000 } } },
        output_modalities: ['text'],
        max_output_tokens: 'inf',
        conversation_id: 'conv_1',
        usage: { total_tokens: 10, input_tokens: 4, output_tokens: 6 },
      },
    },
  ],
  [
    'response.output_item.added: the item with GA content names',
    {
      type: 'response.output_item.added',
      event_id: 'evt_7',
      response_id: 'resp_1',
      output_index: 0,
      item: assistantBeta,
    },
    {
      type: 'response.output_item.added',
      event_id: 'evt_7',
      response_id: 'resp_1',
      output_index: 0,
      item: assistantGa,
    },
  ],
  [
    'conversation.item.retrieved: likewise',
    { type: 'conversation.item.retrieved', event_id: 'evt_8', item: assistantBeta },
    { type: 'conversation.item.retrieved', event_id: 'evt_8', item: assistantGa },
  ],
  [
    'response.content_part.added: text and audio are the same names',
    {
      type: 'response.content_part.added',
      event_id: 'evt_9',
      ...position,
      part: { type: 'audio', transcript: '' },
    },
    {
      type: 'response.content_part.added',
      event_id: 'evt_9',
      ...position,
      part: { type: 'audio', transcript: '' },
    },
  ],
];

describe('client events: each beta event and its GA counterpart', () => {
  for (const [name, beta, ga] of CLIENT_PAIRS) {
    test(name, () => {
      assertValid(beta, parseBetaClientEvent);
      assertValid(ga, parseClientEvent);
      assert.deepEqual(betaClientEventToGa(beta), { value: [ga], unsupported: [] });
      assert.deepEqual(gaClientEventToBeta(ga), { value: [beta], unsupported: [] });
    });
  }

  test('events with the same name and fields cross unchanged, as the route table says', () => {
    const same: ClientEvent[] = [
      { type: 'input_audio_buffer.append', audio: AUDIO_20MS },
      { type: 'input_audio_buffer.commit', event_id: 'c1' },
      { type: 'input_audio_buffer.clear' },
      { type: 'output_audio_buffer.clear' },
      { type: 'conversation.item.retrieve', item_id: 'item_1' },
      { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 1500 },
      { type: 'conversation.item.delete', item_id: 'item_1' },
      { type: 'response.cancel', response_id: 'resp_1' },
    ];
    for (const event of same) {
      assert.deepEqual(eventRoute('client', 'beta-to-ga', event.type), { kind: 'relay' });
      assert.deepEqual(eventRoute('client', 'ga-to-beta', event.type), { kind: 'relay' });
      assert.equal(betaClientEventToGa(event as BetaClientEvent).value[0], event);
      assert.equal(gaClientEventToBeta(event).value[0], event);
    }
  });
});

describe('server events: each beta event and its GA counterpart', () => {
  for (const [name, beta, ga] of SERVER_PAIRS) {
    test(name, () => {
      assertValid(beta, parseBetaServerEvent);
      assertValid(ga, parseServerEvent);
      assert.deepEqual(betaServerEventToGa(beta, newItemLifecycle()), { value: [ga], unsupported: [] });
      assert.deepEqual(gaServerEventToBeta(ga, newItemLifecycle()), { value: [beta], unsupported: [] });
    });
  }

  test('GA content parts named after message content are beta text and audio', () => {
    const ga = {
      type: 'response.content_part.done',
      event_id: 'e',
      ...position,
      part: { type: 'output_text', text: 'Hi' },
    } as const;
    assert.deepEqual(gaServerEventToBeta(ga, newItemLifecycle()).value, [
      { ...ga, part: { type: 'text', text: 'Hi' } },
    ]);
  });
});

describe('what has no equivalent is reported, never silently dropped', () => {
  test('beta fields GA lacks: temperature, an item reference inside a message', () => {
    const session = betaClientEventToGa({
      type: 'session.update',
      session: { temperature: 0.7, voice: 'ash' },
    });
    assert.deepEqual(params(session.unsupported), ['session.temperature']);
    assert.deepEqual(session.value, [
      { type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'ash' } } } },
    ]);
    const item = betaClientEventToGa({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'item_reference', id: 'item_0' },
          { type: 'input_text', text: 'And?', id: 'x' },
        ],
      },
    });
    assert.deepEqual(params(item.unsupported), ['item.content[0]', 'item.content[1].id']);
    assert.deepEqual(item.value, [
      {
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And?' }] },
      },
    ]);
    const response = betaClientEventToGa({ type: 'response.create', response: { temperature: 1 } });
    assert.deepEqual(params(response.unsupported), ['response.temperature']);
    const done = betaServerEventToGa(
      { type: 'response.done', event_id: 'e', response: { id: 'r', temperature: 0.8 } },
      newItemLifecycle(),
    );
    assert.deepEqual(params(done.unsupported), ['response.temperature']);
    assert.deepEqual(done.value, [{ type: 'response.done', event_id: 'e', response: { id: 'r' } }]);
  });

  test('GA fields beta lacks: reasoning, parallel tool calls, prompts, MCP tools, images', () => {
    const session = gaClientEventToBeta({
      type: 'session.update',
      session: { type: 'realtime', reasoning: { effort: 'low' }, instructions: 'Hi' },
    });
    assert.deepEqual(params(session.unsupported), ['session.reasoning']);
    assert.deepEqual(session.value, [{ type: 'session.update', session: { instructions: 'Hi' } }]);
    const response = gaClientEventToBeta({
      type: 'response.create',
      response: {
        parallel_tool_calls: true,
        prompt: { id: 'pmpt_1' },
        tools: [
          { type: 'mcp', server_label: 'docs' },
          { type: 'function', name: 'f' },
        ],
        tool_choice: { type: 'mcp', server_label: 'docs' },
        input: [
          { type: 'mcp_approval_response', id: 'a', approval_request_id: 'r', approve: true },
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_image', image_url: 'data:' },
              { type: 'input_text', text: 'x' },
            ],
          },
        ],
      },
    });
    assert.deepEqual(params(response.unsupported), [
      'response.parallel_tool_calls',
      'response.prompt',
      'response.tools[0]',
      'response.tool_choice',
      'response.input[0]',
      'response.input[1].content[0]',
    ]);
    assert.deepEqual(response.value, [
      {
        type: 'response.create',
        response: {
          tools: [{ type: 'function', name: 'f' }],
          input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] }],
        },
      },
    ]);
    for (const field of response.unsupported) assert.ok(field.message.includes(field.param));
  });

  test('a GA item beta has no kind for: the event is not sent, its item is reported', () => {
    const create = gaClientEventToBeta({
      type: 'conversation.item.create',
      item: { type: 'mcp_approval_response', id: 'a', approval_request_id: 'r', approve: false },
    });
    assert.deepEqual(create.value, []);
    assert.deepEqual(params(create.unsupported), ['item']);
    const added = gaServerEventToBeta(
      {
        type: 'response.output_item.added',
        event_id: 'e',
        response_id: 'r',
        output_index: 0,
        item: { type: 'mcp_call', id: 'm', server_label: 'docs', name: 'search', arguments: '{}' },
      },
      newItemLifecycle(),
    );
    assert.deepEqual(added.value, []);
    assert.match(
      added.unsupported[0]!.message,
      /Unsupported parameter: 'item'. Beta conversations have no 'mcp_call' items/,
    );
  });

  test('GA events beta has no kind for are reported at type, with the reason', () => {
    const gaOnly: ServerEvent[] = [
      {
        type: 'input_audio_buffer.timeout_triggered',
        event_id: 'e',
        audio_start_ms: 0,
        audio_end_ms: 1,
        item_id: 'i',
      },
      { type: 'input_audio_buffer.dtmf_event_received', event: '5', received_at: 1 },
      {
        type: 'conversation.item.input_audio_transcription.segment',
        event_id: 'e',
        item_id: 'i',
        content_index: 0,
        text: 't',
        id: 's',
        speaker: 'A',
        start: 0,
        end: 1,
      },
      {
        type: 'response.mcp_call_arguments.delta',
        event_id: 'e',
        response_id: 'r',
        item_id: 'i',
        output_index: 0,
        delta: '{',
      },
      {
        type: 'response.mcp_call_arguments.done',
        event_id: 'e',
        response_id: 'r',
        item_id: 'i',
        output_index: 0,
        arguments: '{}',
      },
      { type: 'response.mcp_call.in_progress', event_id: 'e', output_index: 0, item_id: 'i' },
      { type: 'response.mcp_call.completed', event_id: 'e', output_index: 0, item_id: 'i' },
      { type: 'response.mcp_call.failed', event_id: 'e', output_index: 0, item_id: 'i' },
      { type: 'mcp_list_tools.in_progress', event_id: 'e', item_id: 'i' },
      { type: 'mcp_list_tools.completed', event_id: 'e', item_id: 'i' },
      { type: 'mcp_list_tools.failed', event_id: 'e', item_id: 'i' },
    ];
    for (const event of gaOnly) {
      const { value, unsupported } = gaServerEventToBeta(event, newItemLifecycle());
      assert.deepEqual(value, [], event.type);
      assert.equal(unsupported.length, 1);
      assert.equal(unsupported[0]!.param, 'type');
      assert.ok(unsupported[0]!.message.includes(`'${event.type}'`), unsupported[0]!.message);
    }
  });
});

describe('the item lifecycle: beta announces an item once, GA twice', () => {
  const userHeader = {
    id: 'item_u',
    object: 'realtime.item',
    type: 'message',
    role: 'user',
    status: 'completed',
  } as const;
  const transcribed = { type: 'input_audio', transcript: 'What is the weather?' } as const;
  const userItemBeta: BetaConversationItem = { ...userHeader, content: [transcribed] };
  const userItem: ConversationItem = { ...userHeader, content: [transcribed] };

  test('beta: a final item is GA added then done; the done has an id of its own', () => {
    const state = newItemLifecycle();
    const { value } = betaServerEventToGa(
      {
        type: 'conversation.item.created',
        event_id: 'evt_c',
        previous_item_id: 'item_0',
        item: userItemBeta,
      },
      state,
    );
    assert.deepEqual(value, [
      { type: 'conversation.item.added', event_id: 'evt_c', previous_item_id: 'item_0', item: userItem },
      { type: 'conversation.item.done', event_id: 'evt_c_done', previous_item_id: 'item_0', item: userItem },
    ]);
    for (const event of value) assertValid(event, parseServerEvent);
    assert.equal(state.open.size, 0);
  });

  test('beta: an item in progress is GA added now and done after its response.output_item.done', () => {
    const state = newItemLifecycle();
    const created = betaServerEventToGa(
      { type: 'conversation.item.created', event_id: 'evt_c', previous_item_id: null, item: inProgressBeta },
      state,
    );
    assert.deepEqual(created.value, [
      { type: 'conversation.item.added', event_id: 'evt_c', previous_item_id: null, item: inProgressGa },
    ]);
    assert.deepEqual([...state.open], ['item_1']);
    const done = betaServerEventToGa(
      {
        type: 'response.output_item.done',
        event_id: 'evt_d',
        response_id: 'resp_1',
        output_index: 0,
        item: assistantBeta,
      },
      state,
    );
    assert.deepEqual(done.value, [
      {
        type: 'response.output_item.done',
        event_id: 'evt_d',
        response_id: 'resp_1',
        output_index: 0,
        item: assistantGa,
      },
      { type: 'conversation.item.done', event_id: 'evt_d_done', item: assistantGa },
    ]);
    assert.equal(state.open.size, 0);
    const again = betaServerEventToGa(
      {
        type: 'response.output_item.done',
        event_id: 'evt_e',
        response_id: 'resp_1',
        output_index: 0,
        item: assistantBeta,
      },
      state,
    );
    assert.equal(again.value.length, 1, 'an item is done once');
  });

  test('beta: a deleted item is forgotten', () => {
    const state = newItemLifecycle();
    betaServerEventToGa({ type: 'conversation.item.created', event_id: 'c', item: inProgressBeta }, state);
    betaServerEventToGa({ type: 'conversation.item.deleted', event_id: 'd', item_id: 'item_1' }, state);
    assert.equal(state.open.size, 0);
  });

  test('GA: added is beta created, and the done that follows it sends nothing', () => {
    const state = newItemLifecycle();
    const added = gaServerEventToBeta(
      { type: 'conversation.item.added', event_id: 'evt_a', previous_item_id: 'item_0', item: userItem },
      state,
    );
    assert.deepEqual(added, {
      value: [
        { type: 'conversation.item.created', event_id: 'evt_a', previous_item_id: 'item_0', item: userItem },
      ],
      unsupported: [],
    });
    const done = gaServerEventToBeta(
      { type: 'conversation.item.done', event_id: 'evt_b', previous_item_id: 'item_0', item: userItem },
      state,
    );
    assert.deepEqual(done, { value: [], unsupported: [] });
    assert.equal(state.open.size, 0);
  });

  test('GA: a done without its added is the beta created', () => {
    const done = gaServerEventToBeta(
      { type: 'conversation.item.done', event_id: 'evt_b', item: assistantGa },
      newItemLifecycle(),
    );
    assert.deepEqual(done.value, [
      { type: 'conversation.item.created', event_id: 'evt_b', item: assistantBeta },
    ]);
  });

  test('a response streamed GA → beta → GA gives the GA stream back, the done events with derived ids', () => {
    const ga: ServerEvent[] = [
      {
        type: 'conversation.item.added',
        event_id: 'e1',
        previous_item_id: 'item_u',
        item: inProgressGa,
      },
      { type: 'response.output_audio.delta', event_id: 'e2', ...position, delta: AUDIO_20MS },
      {
        type: 'response.output_item.done',
        event_id: 'e3',
        response_id: 'resp_1',
        output_index: 0,
        item: assistantGa,
      },
      { type: 'conversation.item.done', event_id: 'e4', previous_item_id: 'item_u', item: assistantGa },
      { type: 'conversation.item.added', event_id: 'e5', item: userItem },
      { type: 'conversation.item.done', event_id: 'e6', item: userItem },
    ];
    const toBeta = newItemLifecycle();
    const beta = ga.flatMap((event) => gaServerEventToBeta(event, toBeta).value);
    assert.deepEqual(
      beta.map((event) => event.type),
      [
        'conversation.item.created',
        'response.audio.delta',
        'response.output_item.done',
        'conversation.item.created',
      ],
    );
    for (const event of beta) assertValid(event, parseBetaServerEvent);
    const toGa = newItemLifecycle();
    const back = beta.flatMap((event) => betaServerEventToGa(event, toGa).value);
    assert.deepEqual(back, [
      ga[0],
      ga[1],
      ga[2],
      { type: 'conversation.item.done', event_id: 'e3_done', item: assistantGa },
      ga[4],
      { ...ga[5], event_id: 'e5_done' },
    ]);
    assert.equal(toBeta.open.size + toGa.open.size, 0);
  });
});

describe('the beta parsers', () => {
  test('accept beta events and name beta types; GA-only names are unknown to them', () => {
    const delta = { type: 'response.audio.delta', event_id: 'e', ...position, delta: AUDIO_20MS };
    assertValid(delta, parseBetaServerEvent);
    const ga = parseBetaServerEvent({ ...delta, type: 'response.output_audio.delta' }, { strict: true });
    assert.ok(!ga.ok);
    assert.equal(
      ga.error.message,
      "Invalid value for 'type': 'response.output_audio.delta'. Supported values are: a server event type of the beta protocol.",
    );
    const lenient = parseBetaServerEvent(JSON.stringify({ ...delta, type: 'response.output_audio.delta' }));
    assert.ok(lenient.ok && !lenient.known);
  });

  test('a malformed frame is the same ProtocolError the GA parser gives', () => {
    for (const frame of ['{"type":"input_audio_buffer.append","audio":5}', '{"type":', '[1]', '{}']) {
      const beta = parseBetaClientEvent(frame);
      const ga = parseClientEvent(frame);
      assert.ok(!beta.ok && !ga.ok, frame);
      assert.deepEqual(beta.error, ga.error);
    }
    const bad = parseBetaClientEvent({
      type: 'conversation.item.create',
      event_id: 'evt_9',
      item: { type: 'message', role: 'assistant', content: [{ type: 'output_text' }] },
    });
    assert.ok(!bad.ok);
    assert.equal(bad.error.param, 'item.content[0].type');
    assert.equal(toErrorEvent(bad.error).error.event_id, 'evt_9');
  });
});
