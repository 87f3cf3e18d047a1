/**
 * The engine speaking the beta protocol (`dialect: 'beta'`): a raw beta client gets beta
 * sessions, items and streaming event names, every frame it receives passes the beta parser,
 * a malformed beta frame is refused and the session goes on, and the session inside still
 * only ever sends GA events (held to the strict GA parser).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBetaServerEvent } from '@realtime-gateway/protocol';
import {
  type CheckedEngine,
  EngineClient,
  type Event,
  startCheckedEngine,
  userText,
} from './support/engine-client.js';

let engine: CheckedEngine;
before(async () => {
  engine = await startCheckedEngine({ dialect: 'beta' });
});
after(async () => {
  await engine.close();
  assert.ok(engine.checked() > 5);
  assert.deepEqual(engine.nonConforming, [], 'the session inside sent GA events only');
});

/** Every event a client received is a valid beta server event. */
function assertBeta(events: readonly Event[]): void {
  for (const event of events) {
    const parsed = parseBetaServerEvent(event, { strict: true });
    assert.ok(parsed.ok && parsed.known, `${event.type}: ${parsed.ok ? 'unknown' : parsed.error.message}`);
  }
}

describe('the engine in the beta dialect', () => {
  test('greets with a beta session and answers a text turn in beta words', async () => {
    const client = await EngineClient.open(`${engine.url}?model=gpt-realtime`);
    const created = await client.next();
    assert.equal(created.type, 'session.created');
    assert.ok(Array.isArray((created.session as { modalities?: unknown }).modalities), 'flat beta session');
    client.send({ type: 'session.update', session: { modalities: ['text'] } });
    const updated = await client.waitFor('session.updated');
    assert.deepEqual((updated.session as { modalities: string[] }).modalities, ['text']);
    client.send(userText('hello beta'));
    client.send({ type: 'response.create' });
    const taken = await client.until('response.done');
    const types = taken.map((event) => event.type);
    assert.ok(types.includes('conversation.item.created'));
    assert.ok(!types.includes('conversation.item.added'), 'no GA item events');
    const done = taken.find((event) => event.type === 'response.text.done');
    assert.equal(done?.text, 'You said: hello beta');
    assertBeta([created, updated, ...taken]);
    client.close();
  });

  test('refuses a malformed beta frame with an error event and goes on', async () => {
    const client = await EngineClient.open(`${engine.url}?model=gpt-realtime`);
    await client.next();
    client.send({ type: 'session.update', event_id: 'bad', session: { modalities: 'text' } });
    const error = await client.next();
    assert.equal(error.type, 'error');
    assert.equal((error.error as { event_id: string }).event_id, 'bad');
    client.send({ type: 'session.update', session: { voice: 'ash' } });
    assert.equal((await client.waitFor('session.updated')).type, 'session.updated');
    client.close();
  });
});
