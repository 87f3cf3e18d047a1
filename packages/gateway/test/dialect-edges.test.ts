/**
 * The beta dialect's edges over scripted legs (no sockets): a beta client in front of a GA
 * upstream and a GA client in front of a beta upstream, what is renamed in its bytes, what is
 * translated, what is told to the client for having no equivalent, and malformed beta frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { withDialects } from '../src/dialects/beta-edges.js';
import { clientDialect } from '../src/dialects/dialect.js';
import { inputChecking } from '../src/session/input-checking.js';
import type { MiddlewareFactory } from '../src/session/middleware.js';
import { NO_OBSERVER } from '../src/session/observer.js';
import { NO_LOG } from '../src/vocabulary/session.js';
import type { ScriptedLeg } from './support/scripted-leg.js';
import { sessionRig } from './support/session-rig.js';

const checking = inputChecking({
  mode: 'enforce',
  maxFrameBytes: 1024 * 1024,
  observer: NO_OBSERVER,
  log: NO_LOG,
});

function rig(client: 'ga' | 'beta', upstream: 'ga' | 'beta', middleware: MiddlewareFactory[] = [checking]) {
  return sessionRig(withDialects(middleware, client, upstream));
}

const events = (leg: ScriptedLeg) => leg.texts.map((text) => JSON.parse(text) as Record<string, unknown>);
const AUDIO = Buffer.alloc(24_000, 7).toString('base64');

describe('which dialect a client speaks', () => {
  it('is beta for OpenAI-Beta: realtime=v1, in any case and in a list; else the configured one, else GA', () => {
    assert.equal(clientDialect({ 'openai-beta': 'realtime=v1' }, null), 'beta');
    assert.equal(clientDialect({ 'openai-beta': 'assistants=v2, Realtime=V1' }, null), 'beta');
    assert.equal(clientDialect({ 'openai-beta': 'assistants=v2' }, null), 'ga');
    assert.equal(clientDialect({}, 'beta'), 'beta');
    assert.equal(clientDialect({}, null), 'ga');
  });
});

describe('a beta client in front of a GA upstream', () => {
  it('has its session.update translated into GA, which input checking then accepts', () => {
    const { client, upstream } = rig('beta', 'ga');
    client.receive({
      type: 'session.update',
      event_id: 'evt_1',
      session: { modalities: ['text'], voice: 'alloy', input_audio_format: 'g711_ulaw' },
    });
    assert.deepEqual(events(upstream), [
      {
        type: 'session.update',
        event_id: 'evt_1',
        session: {
          type: 'realtime',
          output_modalities: ['text'],
          audio: { input: { format: { type: 'audio/pcmu' } }, output: { voice: 'alloy' } },
        },
      },
    ]);
    assert.deepEqual(client.texts, [], 'nothing refused');
  });

  it('sends its audio appends on as the very Buffers received, and hears audio deltas renamed in their bytes', () => {
    const { client, upstream } = rig('beta', 'ga');
    const append = client.receive({ type: 'input_audio_buffer.append', audio: AUDIO });
    assert.equal(upstream.sent[0]!.data, append);
    const delta = { type: 'response.output_audio.delta', event_id: 'e1', ...POSITION, delta: AUDIO };
    const original = JSON.stringify(delta);
    const received = upstream.receive(original);
    const sent = client.sent[0]!.data as Buffer;
    assert.equal(sent, received, 'renamed where it lay, not copied');
    assert.equal(
      sent.toString(),
      original.replace('"response.output_audio.delta"', `"response.audio.delta"${' '.repeat(7)}`),
      'only the type changed, padded to its old length',
    );
    assert.deepEqual(JSON.parse(sent.toString()), { ...delta, type: 'response.audio.delta' });
  });

  it('hears GA conversation.item.added and .done as one beta conversation.item.created, and GA sessions in beta shape', () => {
    const { client, upstream } = rig('beta', 'ga');
    upstream.receive({
      type: 'session.created',
      event_id: 'e0',
      session: {
        type: 'realtime',
        object: 'realtime.session',
        id: 'sess_1',
        model: 'gpt-realtime',
        output_modalities: ['audio'],
        audio: { output: { voice: 'marin' } },
      },
    });
    const item = {
      id: 'item_1',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_text', text: 'hi' }],
    };
    upstream.receive({ type: 'conversation.item.added', event_id: 'e1', previous_item_id: null, item });
    upstream.receive({ type: 'conversation.item.done', event_id: 'e2', previous_item_id: null, item });
    const [created, itemCreated, ...rest] = events(client);
    assert.equal(created!.type, 'session.created');
    const session = created!.session as Record<string, unknown>;
    assert.deepEqual(
      session.modalities,
      ['text', 'audio'],
      'GA audio output comes with its transcript: beta says both',
    );
    assert.equal(session.voice, 'marin');
    assert.equal(itemCreated!.type, 'conversation.item.created');
    assert.deepEqual((itemCreated!.item as { content: unknown }).content, [
      { type: 'input_text', text: 'hi' },
    ]);
    assert.deepEqual(rest, [], 'the done was folded into the created');
  });

  it('is told once of a field the GA upstream has no equivalent for, and the rest goes on', () => {
    const { client, upstream } = rig('beta', 'ga');
    for (const id of ['evt_1', 'evt_2'])
      client.receive({ type: 'session.update', event_id: id, session: { temperature: 0.7, voice: 'ash' } });
    assert.deepEqual(
      events(upstream).map((event) => event.session),
      [
        { type: 'realtime', audio: { output: { voice: 'ash' } } },
        { type: 'realtime', audio: { output: { voice: 'ash' } } },
      ],
    );
    const told = events(client);
    assert.equal(told.length, 1, 'once per session');
    assert.equal(told[0]!.type, 'error');
    assert.deepEqual(
      {
        code: (told[0]!.error as Record<string, unknown>).code,
        param: (told[0]!.error as Record<string, unknown>).param,
      },
      { code: 'unsupported_in_dialect', param: 'session.temperature' },
    );
  });

  it('gets a spec-shaped error for a malformed beta frame, sends nothing upstream, and goes on', () => {
    const { client, upstream, session } = rig('beta', 'ga');
    client.receive({ type: 'session.update', event_id: 'bad', session: 5 });
    const [error] = events(client);
    assert.equal(error!.type, 'error');
    assert.equal((error!.error as Record<string, unknown>).event_id, 'bad');
    assert.deepEqual(upstream.texts, []);
    client.receive({ type: 'response.create', event_id: 'ok' });
    assert.equal(events(upstream)[0]!.type, 'response.create');
    assert.equal(session.state, 'open');
  });
});

describe('a GA client in front of a beta upstream', () => {
  it('has its items and responses sent in beta words', () => {
    const { client, upstream } = rig('ga', 'beta');
    client.receive({
      type: 'conversation.item.create',
      event_id: 'c1',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    });
    client.receive({ type: 'response.create', event_id: 'c2', response: { output_modalities: ['text'] } });
    const [create, response] = events(upstream);
    assert.equal(create!.type, 'conversation.item.create');
    assert.deepEqual((create!.item as { content: unknown }).content, [{ type: 'input_text', text: 'hi' }]);
    assert.deepEqual(response!.response, { modalities: ['text'] });
  });

  it('hears beta streaming events in GA names, and a finished beta item as added then done', () => {
    const { client, upstream } = rig('ga', 'beta');
    upstream.receive({ type: 'response.text.delta', event_id: 'u1', ...POSITION, delta: 'Hel' });
    upstream.receive({
      type: 'conversation.item.created',
      event_id: 'u2',
      previous_item_id: null,
      item: {
        id: 'item_2',
        object: 'realtime.item',
        type: 'message',
        role: 'user',
        status: 'completed',
        content: [{ type: 'input_text', text: 'hi' }],
      },
    });
    assert.deepEqual(
      events(client).map((event) => event.type),
      ['response.output_text.delta', 'conversation.item.added', 'conversation.item.done'],
    );
  });

  it('still has its malformed GA frames refused by input checking, before any translation', () => {
    const { client, upstream } = rig('ga', 'beta');
    client.receive({ type: 'response.create', event_id: 'bad', response: { output_modalities: 'text' } });
    assert.equal(events(client)[0]!.type, 'error');
    assert.deepEqual(upstream.texts, []);
  });
});

const POSITION = { response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0 };

describe('hostile frames through the beta edges', () => {
  const beta = fc.oneof(
    fc.json(),
    fc.record({
      type: fc.constantFrom(
        'session.update',
        'conversation.item.create',
        'response.create',
        'transcription_session.update',
        'response.audio.delta',
        'conversation.item.created',
      ),
      event_id: fc.string({ maxLength: 8 }),
      session: fc.anything(),
      item: fc.anything(),
      response: fc.anything(),
    }),
  );

  it('never throw nor end the session: every client frame goes upstream or is answered with an error', () => {
    fc.assert(
      fc.property(
        fc.array(beta, { minLength: 1, maxLength: 6 }),
        fc.array(beta, { maxLength: 6 }),
        (fromClient, fromUpstream) => {
          const { client, upstream, session } = rig('beta', 'beta');
          for (const frame of fromClient)
            client.receive(typeof frame === 'string' ? frame : JSON.stringify(frame));
          for (const frame of fromUpstream)
            upstream.receive(typeof frame === 'string' ? frame : JSON.stringify(frame));
          assert.equal(session.state, 'open');
          // What the upstream sent is relayed whatever it is (`null` included); the errors are objects.
          const answered = client.texts.filter((text) => text.startsWith('{"type":"error"')).length;
          assert.ok(upstream.sent.length + answered >= 1, 'nothing vanished without a word');
        },
      ),
      { seed: 0xbe7a, numRuns: 300 },
    );
  });
});
