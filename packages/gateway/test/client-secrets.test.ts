/**
 * Client secrets minted by the gateway for an upstream that has none (the reference engine):
 * OpenAI's request and response shapes, a secret that opens one session with its configuration
 * and the minting key's limits, and every bad request answered with OpenAI's error body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters, hostileValue } from '../../protocol/test/support/hostile.js';
import type { Principal } from '../src/auth/authenticator.js';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { mintBetaSession, mintClientSecret } from '../src/rest/client-secrets.js';
import { ClientSecrets } from '../src/secrets/client-secrets.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { connect, expectRefused, keyEntry, type TestClient, testConfig } from './support/harness.js';

const APP = 'sk-app';
const SOLO = 'sk-solo';

let engine: EmbeddedEngine;
let gateway: Gateway;
let base: string;
let realtime: string;

before(async () => {
  engine = (await startEmbeddedEngine())!;
  const config = testConfig({
    upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
    auth: {
      keys: [keyEntry('app', APP), keyEntry('solo', SOLO, { maxSessions: 1 })],
    },
    clientSecrets: { maxTtlSeconds: 3600 },
  });
  gateway = createGateway({ config });
  const address = await gateway.listen();
  base = address.url;
  realtime = address.realtimeUrl;
});

after(async () => {
  await gateway.close();
  await engine.close();
});

async function mint(
  body: unknown,
  key = APP,
  endpoint = 'client_secrets',
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${base}/v1/realtime/${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

async function secretFor(session: object = { type: 'realtime', model: 'gpt-realtime' }): Promise<string> {
  const minted = await mint({ session });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  return minted.body.value as string;
}

const bearer = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } });

describe('minting', () => {
  test("answers OpenAI's shape: an ek_ value, its expiry, and the session", async () => {
    const before = Math.floor(Date.now() / 1000);
    const minted = await mint({
      expires_after: { anchor: 'created_at', seconds: 120 },
      session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Speak like a pirate.' },
    });
    assert.equal(minted.status, 200);
    assert.equal(minted.headers.get('cache-control'), 'no-store');
    assert.match(minted.body.value as string, /^ek_[A-Za-z0-9_-]{32}$/);
    const expiresAt = minted.body.expires_at as number;
    assert.ok(expiresAt >= before + 120 && expiresAt <= before + 121, `expires_at ${expiresAt}`);
    const session = minted.body.session as Record<string, unknown>;
    assert.equal(session.type, 'realtime');
    assert.equal(session.object, 'realtime.session');
    assert.equal(session.model, 'gpt-realtime');
    assert.equal(session.instructions, 'Speak like a pirate.');
    assert.match(session.id as string, /^sess_/);
  });

  test("with no session, a realtime session of OpenAI's default model, for ten minutes", async () => {
    const before = Math.floor(Date.now() / 1000);
    const minted = await mint({});
    assert.equal(minted.status, 200);
    assert.equal((minted.body.session as Record<string, unknown>).model, 'gpt-realtime');
    assert.ok((minted.body.expires_at as number) - before >= 600);
  });

  test('refuses bad requests with the field they are about', async () => {
    const cases: [unknown, number, string, string | null][] = [
      ['{not json', 400, 'invalid_json', null],
      ['[1]', 400, 'invalid_type', null],
      [{ expires_after: 'soon' }, 400, 'invalid_type', 'expires_after'],
      [{ expires_after: { anchor: 'now' } }, 400, 'invalid_value', 'expires_after.anchor'],
      [{ expires_after: { seconds: 5 } }, 400, 'invalid_value', 'expires_after.seconds'],
      [{ expires_after: { seconds: 3601 } }, 400, 'invalid_value', 'expires_after.seconds'],
      [{ expires_after: { seconds: 60.5 } }, 400, 'invalid_value', 'expires_after.seconds'],
      [{ session: 'realtime' }, 400, 'invalid_type', 'session'],
      [{ session: { type: 'realtime', audio: null } }, 400, 'invalid_type', 'session.audio'],
      [
        { session: { type: 'realtime', output_modalities: ['smell'] } },
        400,
        'invalid_value',
        'session.output_modalities[0]',
      ],
    ];
    for (const [body, status, code, param] of cases) {
      const answer = await mint(body);
      const error = answer.body.error as Record<string, unknown>;
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.equal(error.code, code, JSON.stringify(body));
      assert.equal(error.param, param, JSON.stringify(body));
      assert.equal(error.type, 'invalid_request_error');
    }
  });

  test('needs a gateway key: none, an unknown one, or a client secret cannot mint', async () => {
    const anonymous = await fetch(`${base}/v1/realtime/client_secrets`, { method: 'POST', body: '{}' });
    assert.equal(anonymous.status, 401);
    assert.equal((await mint({}, 'sk-unknown')).status, 401);
    assert.equal((await mint({}, await secretFor())).status, 401);
  });
});

describe('the beta minting endpoints', () => {
  test('/v1/realtime/sessions: a flat beta session in, the beta session with its client_secret out', async () => {
    const before = Math.floor(Date.now() / 1000);
    const minted = await mint(
      {
        model: 'gpt-realtime',
        modalities: ['text', 'audio'],
        instructions: 'Speak like a pirate.',
        voice: 'verse',
        input_audio_format: 'g711_ulaw',
        turn_detection: { type: 'server_vad', silence_duration_ms: 400 },
        max_response_output_tokens: 'inf',
        client_secret: { expires_at: { anchor: 'created_at', seconds: 300 } },
      },
      APP,
      'sessions',
    );
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.equal(minted.headers.get('cache-control'), 'no-store');
    const body = minted.body;
    assert.equal(body.object, 'realtime.session');
    assert.match(body.id as string, /^sess_/);
    assert.equal(body.model, 'gpt-realtime');
    assert.equal(body.voice, 'verse');
    assert.equal(body.input_audio_format, 'g711_ulaw');
    assert.equal(body.max_response_output_tokens, 'inf');
    assert.deepEqual((body.turn_detection as Record<string, unknown>).silence_duration_ms, 400);
    assert.equal(body.audio, undefined, 'flat, as beta answered');
    const secret = body.client_secret as { value: string; expires_at: number };
    assert.match(secret.value, /^ek_/);
    assert.ok(secret.expires_at >= before + 300 && secret.expires_at <= before + 301);
    // The secret opens a session that starts with the configuration, in GA's words.
    const client = await connect(realtime, bearer(secret.value));
    try {
      const created = await client.waitFor('session.created');
      const session = created.session as {
        instructions: string;
        audio: { input: { format: unknown }; output: { voice: string } };
      };
      assert.equal(session.instructions, 'Speak like a pirate.');
      assert.deepEqual(session.audio.input.format, { type: 'audio/pcmu' });
      assert.equal(session.audio.output.voice, 'verse');
    } finally {
      client.socket.close();
    }
  });

  test('/v1/realtime/transcription_sessions: a transcription secret, in the beta shape', async () => {
    const minted = await mint(
      { input_audio_format: 'pcm16', input_audio_transcription: { model: 'whisper-1', language: 'en' } },
      APP,
      'transcription_sessions',
    );
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.equal(minted.body.input_audio_format, 'pcm16');
    assert.deepEqual(minted.body.input_audio_transcription, { model: 'whisper-1', language: 'en' });
    assert.match((minted.body.client_secret as { value: string }).value, /^ek_/);
    const client = await connect(realtime, bearer((minted.body.client_secret as { value: string }).value));
    try {
      const created = await client.waitFor('session.created');
      assert.equal((created.session as { type: string }).type, 'transcription');
    } finally {
      client.socket.close();
    }
  });

  test('a beta field GA has no equivalent for is refused by name, as is a field of the wrong type', async () => {
    const temperature = await mint({ model: 'gpt-realtime', temperature: 0.8 }, APP, 'sessions');
    assert.equal(temperature.status, 400);
    const error = temperature.body.error as { code: string; param: string; message: string };
    assert.equal(error.code, 'unsupported_parameter');
    assert.equal(error.param, 'temperature');
    assert.match(error.message, /temperature/);
    const voice = await mint({ voice: 5 }, APP, 'sessions');
    assert.equal(voice.status, 400);
    assert.equal((voice.body.error as { param: string }).param, 'voice');
    const nested = await mint({ audio: { input: {} } }, APP, 'sessions');
    assert.equal(nested.status, 400, 'a GA body on the beta endpoint is named, not guessed at');
    assert.equal((nested.body.error as { param: string }).param, 'audio');
    const modalities = await mint({ modalities: ['text'] }, APP, 'transcription_sessions');
    assert.equal(modalities.status, 400);
  });
});

describe('a session opened with a client secret', () => {
  test('starts with the configuration it was minted with, as its first event shows', async () => {
    const secret = await secretFor({
      type: 'realtime',
      model: 'gpt-realtime',
      instructions: 'Speak like a pirate.',
    });
    const client = await connect(realtime, bearer(secret));
    try {
      const first = await client.next();
      assert.equal(first.type, 'session.created');
      const session = first.session as Record<string, unknown>;
      assert.equal(session.instructions, 'Speak like a pirate.');
      assert.equal(session.model, 'gpt-realtime');
      // The gateway's own session.update is answered upstream; the client sees no answer to it.
      client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Now plainly.' } });
      const updated = await client.next();
      assert.equal(updated.type, 'session.updated');
      assert.equal((updated.session as Record<string, unknown>).instructions, 'Now plainly.');
    } finally {
      client.socket.close();
    }
  });

  test('opens one session only; the next attempt is refused', async () => {
    const secret = await secretFor();
    const client = await connect(`${realtime}?model=gpt-realtime`, bearer(secret));
    await client.waitFor('session.created');
    client.socket.close();
    const again = await expectRefused(realtime, bearer(secret));
    assert.equal(again.status, 401);
    assert.equal(again.json.error.code, 'invalid_api_key');
  });

  test("works from a browser as the key subprotocol, as OpenAI's do", async () => {
    const secret = await secretFor();
    const client = await connect(realtime, { protocols: ['realtime', `openai-insecure-api-key.${secret}`] });
    assert.equal((await client.next()).type, 'session.created');
    client.socket.close();
  });

  test('is refused for another model, and the secret survives the refusal', async () => {
    const secret = await secretFor();
    const refused = await expectRefused(`${realtime}?model=gpt-realtime-mini`, bearer(secret));
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.param, 'model');
    const client = await connect(realtime, bearer(secret));
    assert.equal((await client.next()).type, 'session.created');
    client.socket.close();
  });

  test("counts against the minting key's sessions; a refusal for its limit keeps the secret", async () => {
    const minted = await mint({}, SOLO);
    const secret = minted.body.value as string;
    let held: TestClient | null = await connect(`${realtime}?model=gpt-realtime`, {
      headers: { authorization: `Bearer ${SOLO}` },
    });
    await held.waitFor('session.created');
    const full = await expectRefused(realtime, bearer(secret));
    assert.equal(full.status, 429);
    assert.equal(full.json.error.code, 'too_many_sessions');
    held.socket.close();
    await held.closed;
    held = null;
    const deadline = Date.now() + 5000;
    let client: TestClient | null = null;
    // The first session's slot is freed once both of its legs have closed.
    while (client === null) {
      try {
        client = await connect(realtime, bearer(secret));
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal((await client.next()).type, 'session.created');
    client.socket.close();
  });

  test('an unknown client secret opens nothing', async () => {
    const refused = await expectRefused(realtime, bearer('ek_not-a-secret-this-gateway-minted'));
    assert.equal(refused.status, 401);
  });
});

describe('the minting request parser', () => {
  test('any body: a secret or a 400 naming what is wrong, never a throw', async () => {
    const store = new MemoryStore();
    const options = { secrets: new ClientSecrets(store), defaultTtlSeconds: 600, maxTtlSeconds: 7200 };
    const principal: Principal = { keyId: 'app', key: null, upstreamKey: null, secret: null };
    const body = fc.oneof(
      hostileValue.map((value) => JSON.stringify({ session: value })),
      hostileValue.map((value) => JSON.stringify({ expires_after: value })),
      hostileValue.map((value) => JSON.stringify(value) ?? ''),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const answer = await mintClientSecret(
          { body: Buffer.from(text), principal, defaultModel: 'gpt-realtime' },
          options,
        );
        if ('status' in answer) {
          assert.equal(answer.status, 400);
          assert.equal(answer.type, 'invalid_request_error');
          assert.ok(answer.message.length > 0);
        } else assert.match(answer.value, /^ek_/);
      }),
      fuzzParameters(150),
    );
    await store.close();
  });

  test('the beta endpoints, any body: a secret or a 400 naming what is wrong, never a throw', async () => {
    const store = new MemoryStore();
    const options = { secrets: new ClientSecrets(store), defaultTtlSeconds: 600, maxTtlSeconds: 7200 };
    const principal: Principal = { keyId: 'app', key: null, upstreamKey: null, secret: null };
    const field = fc.constantFrom(
      'modalities',
      'voice',
      'input_audio_format',
      'turn_detection',
      'input_audio_transcription',
      'tools',
      'client_secret',
      'max_response_output_tokens',
    );
    const body = fc.oneof(
      fc.tuple(field, hostileValue).map(([name, value]) => JSON.stringify({ [name]: value })),
      hostileValue.map((value) => JSON.stringify(value) ?? ''),
      fc.string(),
    );
    const endpoint = fc.constantFrom('sessions' as const, 'transcription_sessions' as const);
    await fc.assert(
      fc.asyncProperty(endpoint, body, async (which, text) => {
        const answer = await mintBetaSession(
          which,
          { body: Buffer.from(text), principal, defaultModel: 'gpt-realtime' },
          options,
        );
        if ('status' in answer) {
          assert.equal(answer.status, 400);
          assert.ok(answer.message.length > 0);
        } else assert.match(answer.client_secret.value, /^ek_/);
      }),
      fuzzParameters(150),
    );
    await store.close();
  });
});

describe('ClientSecrets', () => {
  test('a secret opens nothing once expired, and is kept only as a hash', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => now });
    const secrets = new ClientSecrets(store, () => now);
    const minted = await secrets.mint({ keyId: 'app', model: 'm', intent: 'conversation', session: {} }, 60);
    assert.equal(minted.expiresAt, 1_700_000_060);
    const kept = (store as unknown as { values: Map<string, { value: string }> }).values;
    for (const [key, entry] of kept) {
      assert.ok(
        !key.includes(minted.value) && !entry.value.includes(minted.value),
        'the secret is not stored',
      );
    }
    now += 60_000;
    assert.equal(await secrets.redeem(minted.value), null);
    await store.close();
  });

  test('a secret given back opens a session later, for the time it had left', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => now });
    const secrets = new ClientSecrets(store, () => now);
    const minted = await secrets.mint({ keyId: null, model: 'm', intent: 'conversation', session: {} }, 60);
    const redeemed = await secrets.redeem(minted.value);
    assert.ok(redeemed !== null);
    assert.equal(await secrets.redeem(minted.value), null);
    now += 30_000;
    await redeemed.giveBack();
    assert.equal((await secrets.redeem(minted.value))?.binding.model, 'm');
    await store.close();
  });
});
