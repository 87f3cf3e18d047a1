/**
 * Item ids across upstream replacements: the two-way map, and the rewriting of every event that
 * carries an item id, held to the GA spec's own schemas (which fields carry item ids is read
 * from the spec, not restated here).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClientEvent, ServerEvent } from '@realtime-gateway/protocol';
import {
  CLIENT_EVENT_FIXTURES,
  EXTRA_ITEMS,
  SERVER_EVENT_FIXTURES,
} from '../../protocol/test/fixtures/events.js';
import {
  CLIENT_ITEM_ID_EVENTS,
  ItemIdMap,
  rewriteClientEvent,
  rewriteUpstreamEvent,
  UPSTREAM_EARLIER_ITEM_EVENTS,
  UPSTREAM_ITEM_ID_EVENTS,
} from '../src/continuity/item-ids.js';
import { eventSchemaNames, mapAt, schemaPaths, valuesAt } from './support/spec-paths.js';

const ITEM_ID_KEYS = new Set(['item_id', 'previous_item_id', 'approval_request_id']);
const ITEM_OWN_ID_PATHS = new Set(['item.id', 'response.output.[].id', 'response.input.[].id']);

/** The paths of a spec event schema that hold item ids. */
function itemIdPaths(side: 'client' | 'server', type: string): string[][] {
  const name = eventSchemaNames(side === 'client' ? 'RealtimeClientEvent' : 'RealtimeServerEvent').get(type);
  assert.ok(name, `no spec schema for ${type}`);
  return schemaPaths(name).filter((path) => {
    const joined = path.join('.');
    // A created item's own id is new, not a reference: it is not translated.
    if (side === 'client' && type === 'conversation.item.create' && joined === 'item.id') return false;
    return ITEM_ID_KEYS.has(path.at(-1)!) || ITEM_OWN_ID_PATHS.has(joined);
  });
}

function typesWithItemIds(side: 'client' | 'server'): Set<string> {
  const union = side === 'client' ? 'RealtimeClientEvent' : 'RealtimeServerEvent';
  return new Set([...eventSchemaNames(union).keys()].filter((t) => itemIdPaths(side, t).length > 0));
}

/** The event with every item id at the spec's paths translated by `f`: what a rewrite must give. */
function expectedRewrite<E>(event: E, paths: string[][], f: (id: string) => string): E {
  let out: unknown = event;
  for (const path of paths) out = mapAt(out, path, (id) => (id === 'root' ? id : f(id)));
  return out as E;
}

function idsAt(event: unknown, paths: string[][]): string[] {
  return paths
    .flatMap((p) => valuesAt(event, p))
    .filter((v): v is string => typeof v === 'string' && v !== 'root');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('ItemIdMap', () => {
  test('maps both ways and passes unmapped ids unchanged', () => {
    const ids = ItemIdMap.from([
      ['item_c1', 'item_u1'],
      ['item_c2', 'item_u2'],
    ]);
    assert.equal(ids.size, 2);
    assert.equal(ids.toUpstream('item_c1'), 'item_u1');
    assert.equal(ids.toClient('item_u2'), 'item_c2');
    assert.equal(ids.toUpstream('item_new'), 'item_new');
    assert.equal(ids.toClient('item_new'), 'item_new');
    assert.equal(ids.hasClient('item_c1'), true);
    assert.equal(ids.hasClient('item_u1'), false);
    assert.equal(ids.hasUpstream('item_u1'), true);
    assert.deepEqual(
      [...ids.entries()],
      [
        ['item_c1', 'item_u1'],
        ['item_c2', 'item_u2'],
      ],
    );
  });

  test('stays one-to-one when a pair is relinked', () => {
    const ids = ItemIdMap.from([['item_c1', 'item_u1']]);
    ids.link('item_c1', 'item_u9');
    assert.equal(ids.toUpstream('item_c1'), 'item_u9');
    assert.equal(ids.toClient('item_u1'), 'item_u1');
    ids.link('item_c2', 'item_u9');
    assert.equal(ids.toClient('item_u9'), 'item_c2');
    assert.equal(ids.toUpstream('item_c1'), 'item_c1');
    assert.equal(ids.size, 1);
  });

  test('forgets pairs by either id', () => {
    const ids = ItemIdMap.from([
      ['item_c1', 'item_u1'],
      ['item_c2', 'item_u2'],
    ]);
    assert.equal(ids.forgetClient('item_c1'), true);
    assert.equal(ids.forgetClient('item_c1'), false);
    assert.equal(ids.toClient('item_u1'), 'item_u1');
    assert.equal(ids.forgetUpstream('item_u2'), true);
    assert.equal(ids.forgetUpstream('item_u2'), false);
    assert.equal(ids.size, 0);
  });
});

describe('which events carry item ids (GA spec)', () => {
  test('the upstream set is exactly the server events whose schema has an item id field, and error', () => {
    const fromSpec = typesWithItemIds('server');
    assert.deepEqual([...UPSTREAM_ITEM_ID_EVENTS].sort(), [...fromSpec, 'error'].sort());
  });

  test('the client set is exactly the client events whose schema refers to an item id', () => {
    assert.deepEqual([...CLIENT_ITEM_ID_EVENTS].sort(), [...typesWithItemIds('client')].sort());
  });

  test('the events that can name an earlier item are among them', () => {
    for (const type of UPSTREAM_EARLIER_ITEM_EVENTS) assert.ok(UPSTREAM_ITEM_ID_EVENTS.has(type), type);
  });
});

/** Extra instances where the fixtures leave an id field empty: MCP items that refer to a request. */
const EXTRA_SERVER_EVENTS: ServerEvent[] = [
  {
    type: 'response.done',
    event_id: 'event_x1',
    response: {
      id: 'resp_1',
      status: 'completed',
      output: [
        ...EXTRA_ITEMS.map((item, i) => ({ ...item, id: `item_x${i}` })),
        {
          type: 'mcp_call',
          id: 'mcp_1',
          server_label: 'docs',
          name: 'search',
          arguments: '{}',
          approval_request_id: 'mcpr_1',
        },
      ],
    },
  },
  {
    type: 'conversation.item.added',
    event_id: 'event_x2',
    previous_item_id: 'item_prev',
    item: { type: 'mcp_approval_response', id: 'mcpa_1', approval_request_id: 'mcpr_1', approve: true },
  },
  {
    type: 'input_audio_buffer.committed',
    event_id: 'event_x3',
    previous_item_id: 'item_prev',
    item_id: 'item_new',
  },
  { type: 'conversation.item.created', event_id: 'event_x4', item: EXTRA_ITEMS[0]! },
];

describe('rewriteUpstreamEvent', () => {
  const serverEvents: ServerEvent[] = [...Object.values(SERVER_EVENT_FIXTURES), ...EXTRA_SERVER_EVENTS];

  for (const event of serverEvents) {
    test(`${event.type}: every item id the spec names is translated, nothing else`, () => {
      const paths = UPSTREAM_ITEM_ID_EVENTS.has(event.type) ? itemIdPaths('server', event.type) : [];
      const upstreamIds = event.type === 'error' ? [] : idsAt(event, paths);
      const ids = ItemIdMap.from(upstreamIds.map((id) => [`client_${id}`, id] as const));
      ids.link('item_unrelated_c', 'item_unrelated_u');
      const out = rewriteUpstreamEvent(deepFreeze(structuredClone(event)), ids);
      assert.deepEqual(
        out,
        expectedRewrite(event, paths, (id) => `client_${id}`),
      );
      if (upstreamIds.length === 0) assert.equal(out.type, event.type);
    });

    test(`${event.type}: returns the same object when no id is mapped`, () => {
      const frozen = deepFreeze(structuredClone(event));
      assert.equal(rewriteUpstreamEvent(frozen, ItemIdMap.from([['item_a', 'item_b']])), frozen);
      assert.equal(rewriteUpstreamEvent(frozen, new ItemIdMap()), frozen);
    });
  }

  test('leaves previous_item_id null and root alone', () => {
    const ids = ItemIdMap.from([['root', 'item_u']]);
    const event: ServerEvent = {
      type: 'conversation.item.added',
      event_id: 'e',
      previous_item_id: 'root',
      item: { type: 'message', role: 'user', content: [] },
    };
    assert.equal(rewriteUpstreamEvent(event, ids), event);
    const withNull = { ...event, previous_item_id: null };
    assert.equal(rewriteUpstreamEvent(withNull, ids), withNull);
  });

  test('does not add a previous_item_id the event did not have', () => {
    const ids = ItemIdMap.from([['item_c', 'item_u']]);
    const event: ServerEvent = {
      type: 'conversation.item.done',
      event_id: 'e',
      item: { type: 'message', role: 'user', id: 'item_u', content: [] },
    };
    const out = rewriteUpstreamEvent(event, ids);
    assert.equal('previous_item_id' in out, false);
    assert.equal(out.type === 'conversation.item.done' && out.item.id, 'item_c');
  });

  test('an error quoting an upstream id quotes the client id instead', () => {
    const ids = ItemIdMap.from([['item_client', 'item_upstream']]);
    const event: ServerEvent = {
      type: 'error',
      event_id: 'e',
      error: {
        type: 'invalid_request_error',
        code: 'item_truncate_invalid_item_id',
        message: "Item with item_id 'item_upstream' not found",
        param: 'item_upstream',
        event_id: 'evt_1',
      },
    };
    const out = rewriteUpstreamEvent(event, ids);
    assert.equal(out.type === 'error' && out.error.message, "Item with item_id 'item_client' not found");
    assert.equal(out.type === 'error' && out.error.param, 'item_client');
    assert.equal(out.type === 'error' && out.error.event_id, 'evt_1');
    const unrelated: ServerEvent = {
      ...event,
      error: { ...event.error, message: 'No such item', param: null },
    };
    assert.equal(rewriteUpstreamEvent(unrelated, ids), unrelated);
  });

  test('does not touch a response id, a session id or a call id', () => {
    const ids = ItemIdMap.from([
      ['resp_c', 'resp_u'],
      ['call_c', 'call_u'],
    ]);
    const event: ServerEvent = {
      type: 'response.function_call_arguments.done',
      event_id: 'e',
      response_id: 'resp_u',
      item_id: 'item_u',
      output_index: 0,
      call_id: 'call_u',
      name: 'f',
      arguments: '{}',
    };
    assert.equal(rewriteUpstreamEvent(event, ids), event);
  });
});

describe('rewriteClientEvent', () => {
  const clientEvents: ClientEvent[] = [
    ...Object.values(CLIENT_EVENT_FIXTURES),
    {
      type: 'conversation.item.create',
      previous_item_id: 'item_prev',
      item: { type: 'mcp_approval_response', id: 'mcpa_new', approval_request_id: 'mcpr_1', approve: true },
    },
    {
      type: 'response.create',
      response: {
        input: [
          { type: 'item_reference', id: 'item_ref' },
          { type: 'function_call_output', id: 'item_fco', call_id: 'call_1', output: '{}' },
          { type: 'mcp_approval_response', id: 'mcpa_2', approval_request_id: 'mcpr_2', approve: false },
        ],
      },
    },
  ];

  for (const event of clientEvents) {
    test(`${event.type}: every item id the spec names is translated, nothing else`, () => {
      const paths = CLIENT_ITEM_ID_EVENTS.has(event.type) ? itemIdPaths('client', event.type) : [];
      const clientIds = idsAt(event, paths);
      const ids = ItemIdMap.from(clientIds.map((id) => [id, `upstream_${id}`] as const));
      ids.link('item_unrelated_c', 'item_unrelated_u');
      const out = rewriteClientEvent(deepFreeze(structuredClone(event)), ids);
      assert.deepEqual(
        out,
        expectedRewrite(event, paths, (id) => `upstream_${id}`),
      );
    });

    test(`${event.type}: returns the same object when no id is mapped`, () => {
      const frozen = deepFreeze(structuredClone(event));
      assert.equal(rewriteClientEvent(frozen, ItemIdMap.from([['item_a', 'item_b']])), frozen);
    });
  }

  test('keeps the id the client chose for a new item', () => {
    const ids = ItemIdMap.from([['item_mine', 'item_u']]);
    const event: ClientEvent = {
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', id: 'item_mine', content: [{ type: 'input_text', text: 'hi' }] },
    };
    assert.equal(rewriteClientEvent(event, ids), event);
  });

  test('translates a truncate, a retrieve and a delete of an earlier item', () => {
    const ids = ItemIdMap.from([['item_c', 'item_u']]);
    for (const type of ['conversation.item.retrieve', 'conversation.item.delete'] as const) {
      assert.deepEqual(rewriteClientEvent({ type, event_id: 'x', item_id: 'item_c' }, ids), {
        type,
        event_id: 'x',
        item_id: 'item_u',
      });
    }
    assert.deepEqual(
      rewriteClientEvent(
        { type: 'conversation.item.truncate', item_id: 'item_c', content_index: 0, audio_end_ms: 900 },
        ids,
      ),
      { type: 'conversation.item.truncate', item_id: 'item_u', content_index: 0, audio_end_ms: 900 },
    );
  });

  test('a response.create without input is returned as is', () => {
    const ids = ItemIdMap.from([['item_c', 'item_u']]);
    const event: ClientEvent = { type: 'response.create' };
    assert.equal(rewriteClientEvent(event, ids), event);
    const withParams: ClientEvent = { type: 'response.create', response: { instructions: 'x' } };
    assert.equal(rewriteClientEvent(withParams, ids), withParams);
  });
});
