/**
 * Translation sessions end to end: a WebSocket client typed with the `openai` SDK's
 * `RealtimeTranslation*` types, through the gateway, to the reference engine, over
 * `/v1/realtime/translations` on loopback. Auth, a key's session limit, input checking with the
 * translation parser, metrics, client secrets minted for translation sessions, the ledger's
 * record by duration, and calls forwarded. Every event the engine sends passes the strict
 * translation parser.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { parseTranslationServerEvent } from '@realtime-gateway/protocol';
import type {
  RealtimeTranslationClientEvent,
  RealtimeTranslationClientSecretCreateRequest,
  RealtimeTranslationClientSecretCreateResponse,
  RealtimeTranslationServerEvent,
  RealtimeTranslationSessionCreatedEvent,
} from 'openai/resources/realtime/realtime';
import { hashKey } from '../src/auth/credentials.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { BUILT_IN_PRICES } from '../src/pricing/prices.js';
import { spokenTurn } from './support/audio.js';
import {
  connect,
  eventually,
  expectRefused,
  keyEntry,
  type TestClient,
  testConfig,
} from './support/harness.js';

const ADMIN_KEY = 'rg-admin-secret';
const MODEL = 'gpt-realtime-translate';
const team = { headers: { authorization: 'Bearer rg-team' } };
const solo = { headers: { authorization: 'Bearer rg-solo' } };

/** A translation client: typed events out, typed events in. */
class TranslationClient {
  constructor(readonly ws: TestClient) {}

  send(event: RealtimeTranslationClientEvent): void {
    this.ws.send(event);
  }

  async next(): Promise<RealtimeTranslationServerEvent> {
    return (await this.ws.next()) as unknown as RealtimeTranslationServerEvent;
  }

  /** Events until one of `type`, that one last. */
  async until<T extends RealtimeTranslationServerEvent['type']>(
    type: T,
  ): Promise<{
    taken: RealtimeTranslationServerEvent[];
    last: Extract<RealtimeTranslationServerEvent, { type: T }>;
  }> {
    const taken: RealtimeTranslationServerEvent[] = [];
    for (;;) {
      const event = await this.next();
      taken.push(event);
      if (event.type === type)
        return { taken, last: event as Extract<RealtimeTranslationServerEvent, { type: T }> };
    }
  }
}

/** The source audio, in 200 ms appends as OpenAI advises. */
function appendTurn(client: TranslationClient): void {
  const audio = spokenTurn();
  for (let offset = 0; offset < audio.length; offset += 9600)
    client.send({
      type: 'session.input_audio_buffer.append',
      audio: audio.subarray(offset, offset + 9600).toString('base64'),
    });
}

const deltas = (events: readonly RealtimeTranslationServerEvent[], type: string): string =>
  events
    .filter((event) => event.type === type)
    .map((event) => (event as { delta: string }).delta)
    .join('');

describe('translation sessions through the gateway', () => {
  let engine: RunningEngine;
  let gateway: Gateway;
  let base: string;
  let url: string;
  let dir: string;
  const nonConforming: string[] = [];

  before(async () => {
    engine = await startEngine({
      onTranslationEvent: (event) => {
        const result = parseTranslationServerEvent(event, { strict: true });
        if (!result.ok) nonConforming.push(`${event.type}: ${result.error.message}`);
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'rg-translation-'));
    gateway = createGateway({
      config: testConfig({
        upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1`, kind: 'generic' }],
        auth: { keys: [keyEntry('team', 'rg-team'), keyEntry('solo', 'rg-solo', { maxSessions: 1 })] },
        admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
        ledger: { sqlite: { path: join(dir, 'usage.sqlite') }, flushIntervalMs: 20 },
      }),
    });
    const address = await gateway.listen();
    base = address.url;
    url = `${address.url.replace(/^http/, 'ws')}/v1/realtime/translations`;
  });
  after(async () => {
    await gateway.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(nonConforming, []);
  });

  const open = async (options = team, query = `?model=${MODEL}`) =>
    new TranslationClient(await connect(`${url}${query}`, options));

  test('a session: created, updated, audio translated while it is appended, closed', async () => {
    const client = await open();
    const created = (await client.next()) as RealtimeTranslationSessionCreatedEvent;
    assert.equal(created.type, 'session.created');
    assert.equal(created.session.type, 'translation');
    assert.equal(created.session.model, MODEL);
    client.send({
      type: 'session.update',
      session: {
        audio: { input: { transcription: { model: 'gpt-realtime-whisper' } }, output: { language: 'de' } },
      },
    });
    const { last: updated } = await client.until('session.updated');
    assert.equal(updated.session.audio.output?.language, 'de');
    appendTurn(client);
    const { taken } = await client.until('session.output_transcript.delta');
    const { taken: rest } = await client.until('session.output_audio.delta');
    const events = [...taken, ...rest];
    assert.equal(deltas(events, 'session.input_transcript.delta'), 'audio of 0.8 seconds');
    const frames = events.filter((event) => event.type === 'session.output_audio.delta');
    assert.deepEqual(
      frames.map((frame) => frame.elapsed_ms),
      [200, 400, 600, 800, 1000, 1200, 1400],
    );
    assert.ok(frames.every((frame) => frame.sample_rate === 24000 && frame.format === 'pcm16'));
    client.send({ type: 'session.close' });
    const { taken: closing } = await client.until('session.closed');
    assert.equal(
      deltas([...events, ...closing], 'session.output_transcript.delta'),
      '[de] audio of 0.8 seconds',
    );
    assert.equal((await client.ws.closed).code, 1000);
  });

  test('without a key the upgrade is refused, and a model is required', async () => {
    const anonymous = await expectRefused(`${url}?model=${MODEL}`);
    assert.equal(anonymous.status, 401);
    const modelless = await expectRefused(url, team);
    assert.equal(modelless.status, 400);
    assert.equal(modelless.json.error.param, 'model');
  });

  test("a key's session limit holds for translation sessions", async () => {
    const first = await open(solo);
    await first.until('session.created');
    const refused = await expectRefused(`${url}?model=${MODEL}`, solo);
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'too_many_sessions');
    first.ws.socket.close();
    await first.ws.closed;
  });

  test('a malformed frame gets an error from the gateway, and the session goes on', async () => {
    const client = await open();
    await client.until('session.created');
    client.ws.send({
      type: 'session.update',
      event_id: 'bad',
      session: { audio: { output: { language: 3 } } },
    });
    const { last: error } = await client.until('error');
    assert.equal(error.error.param, 'session.audio.output.language');
    assert.equal(error.error.event_id, 'bad');
    // An event type translation sessions do not know is relayed, as in conversations, and the
    // upstream refuses it by name: a conversation's append is not a translation's.
    client.ws.send({ type: 'input_audio_buffer.append', event_id: 'conversation', audio: 'AAAA' });
    const { last: unknown } = await client.until('error');
    assert.deepEqual([unknown.error.param, unknown.error.event_id], ['type', 'conversation']);
    appendTurn(client);
    const { last: frame } = await client.until('session.output_audio.delta');
    assert.equal(frame.elapsed_ms, 200);
    client.ws.socket.close();
    await client.ws.closed;
  });

  test('a client secret minted for a translation session opens one, with its settings', async () => {
    const request: RealtimeTranslationClientSecretCreateRequest = {
      session: { model: MODEL, audio: { output: { language: 'fr' } } },
      expires_after: { anchor: 'created_at', seconds: 60 },
    };
    const response = await fetch(`${base}/v1/realtime/translations/client_secrets`, {
      method: 'POST',
      headers: { authorization: 'Bearer rg-team', 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    assert.equal(response.status, 200);
    const minted = (await response.json()) as RealtimeTranslationClientSecretCreateResponse;
    assert.match(minted.value, /^ek_/);
    assert.equal(minted.session.type, 'translation');
    assert.deepEqual(minted.session.audio, { output: { language: 'fr' } });
    const secret = { headers: { authorization: `Bearer ${minted.value}` } };
    // Not a conversation's secret.
    const wrongEndpoint = await expectRefused(
      `${base.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`,
      secret,
    );
    assert.equal(wrongEndpoint.status, 400);
    // Given back after that refusal: the secret still opens its translation session.
    const client = await open(secret, '');
    const created = (await client.next()) as RealtimeTranslationSessionCreatedEvent;
    assert.equal(created.type, 'session.created');
    assert.equal(created.session.audio.output?.language, 'fr');
    appendTurn(client);
    client.send({ type: 'session.close' });
    const { taken } = await client.until('session.closed');
    assert.equal(deltas(taken, 'session.output_transcript.delta'), '[fr] audio of 0.8 seconds');
    await client.ws.closed;
  });

  test('minting refuses a session without a model, naming it', async () => {
    const response = await fetch(`${base}/v1/realtime/translations/client_secrets`, {
      method: 'POST',
      headers: { authorization: 'Bearer rg-team', 'content-type': 'application/json' },
      body: JSON.stringify({ session: { audio: { output: { language: 'fr' } } } }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { param: string; code: string } };
    assert.deepEqual([body.error.code, body.error.param], ['missing_required_parameter', 'session.model']);
  });

  test('translation calls are forwarded to the upstream', async () => {
    const response = await fetch(`${base}/v1/realtime/translations/calls?model=${MODEL}`, {
      method: 'POST',
      headers: { authorization: 'Bearer rg-team', 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    // The engine serves no calls: its own 404 comes back, not the gateway's.
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: { message: 'Not found', type: 'invalid_request_error' },
    });
  });

  test('metrics count the sessions and their frames; the ledger records them by duration', async () => {
    await eventually(() => gateway.registry.size === 0, 5000, 'the sessions to end');
    await gateway.ledger!.whenWritten();
    const text = await (await fetch(`${base}/metrics`)).text();
    const sessions = text
      .split('\n')
      .filter((line) => line.startsWith('realtime_gateway_sessions_total{') && line.includes('key="team"'))
      .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
    assert.equal(sessions, 3);
    assert.match(
      text,
      /realtime_gateway_active_sessions\{model="gpt-realtime-translate",upstream="engine"\} 0/,
    );
    assert.match(
      text,
      /realtime_gateway_frames_total\{direction="upstream_to_client",type="session.output_audio.delta"\} \d+/,
    );
    assert.match(
      text,
      /realtime_gateway_frames_total\{direction="client_to_upstream",type="session.input_audio_buffer.append"\} \d+/,
    );
    // The malformed update was answered by the gateway's input checking.
    assert.match(text, /realtime_gateway_relay_errors_total\{reason="invalid_client_frame"\} 1/);
    const usage = await fetch(`${base}/admin/usage?model=${MODEL}&group_by=key`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const rows = ((await usage.json()) as { data: Record<string, number | string>[] }).data;
    const teamRow = rows.find((row) => row.key === 'team')!;
    assert.equal(teamRow.sessions, 3);
    const seconds = teamRow.audio_seconds as number;
    assert.ok(seconds > 0 && seconds < 30, `${seconds} seconds`);
    const perMinute = BUILT_IN_PRICES[MODEL]!.perMinute;
    assert.ok(Math.abs((teamRow.cost_usd as number) - (seconds / 60) * perMinute) < 1e-9);
    assert.equal(teamRow.unpriced_records, 0);
  });
});
