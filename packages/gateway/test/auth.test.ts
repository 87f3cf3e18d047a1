import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Authenticator } from '../src/auth/authenticator.js';
import { createAccess } from '../src/http/access.js';
import { sendRefusal } from '../src/http/respond.js';
import { Router } from '../src/routing/router.js';
import {
  connect,
  eventually,
  expectRefused,
  keyEntry,
  type Rig,
  startRig,
  testConfig,
} from './support/harness.js';

const MODEL = 'gpt-realtime';
const KEY = 'rg-team-key-1';
const LIMITED = 'rg-limited-key';
const UPSTREAM_SECRET = 'sk-upstream-secret';

function assertOpenAiError(body: unknown, code: string): void {
  const error = (body as { error: Record<string, unknown> }).error;
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.type, 'string');
  assert.ok('param' in error);
  assert.equal(error.code, code);
}

describe('auth with gateway keys', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      auth: {
        keys: [
          keyEntry('team', KEY, { models: [MODEL, 'fast'] }),
          keyEntry('limited', LIMITED, { maxSessions: 1, sessionsPerMinute: 2 }),
        ],
      },
      aliases: { fast: MODEL },
    });
  });
  after(() => rig.close());

  it('accepts a bearer key and sends the upstream its own key, never the gateway key', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const conn = await rig.upstream.nextConnection();
    assert.equal(conn.request.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);
    assert.ok(!JSON.stringify(conn.request.headers).includes(KEY));
    await client.waitFor('session.created');
    assert.equal(rig.gateway.registry.list()[0]?.keyId, 'team');
    client.socket.close();
    await client.closed;
  });

  it("accepts a browser's subprotocol key and echoes only the realtime subprotocol", async () => {
    const client = await connect(`${rig.url}?model=fast`, {
      protocols: ['realtime', `openai-insecure-api-key.${KEY}`],
    });
    assert.equal(client.socket.protocol, 'realtime');
    const conn = await rig.upstream.nextConnection();
    assert.equal(conn.query.get('model'), MODEL, 'the alias is rewritten upstream');
    assert.equal(conn.request.headers['sec-websocket-protocol'], undefined);
    assert.equal(conn.request.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);
    client.socket.close();
    await client.closed;
  });

  it('refuses a missing key with 401 and an OpenAI-style body', async () => {
    const refused = await expectRefused(`${rig.url}?model=${MODEL}`);
    assert.equal(refused.status, 401);
    assert.equal(refused.contentType, 'application/json');
    assertOpenAiError(refused.json, 'missing_api_key');
    assert.equal(refused.json.error.type, 'invalid_request_error');
  });

  it('refuses a wrong key with 401, in either form', async () => {
    const bearer = await expectRefused(`${rig.url}?model=${MODEL}`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(bearer.status, 401);
    assertOpenAiError(bearer.json, 'invalid_api_key');
    const sub = await expectRefused(`${rig.url}?model=${MODEL}`, {
      protocols: ['realtime', 'openai-insecure-api-key.nope'],
    });
    assert.equal(sub.status, 401);
  });

  it('refuses a model the key may not use with 403', async () => {
    const refused = await expectRefused(`${rig.url}?model=gpt-realtime-mini`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(refused.status, 403);
    assertOpenAiError(refused.json, 'model_not_allowed');
    assert.equal(refused.json.error.param, 'model');
  });

  it("refuses a key's sessions beyond its concurrency with 429, and frees the slot on close", async () => {
    const auth = { headers: { authorization: `Bearer ${LIMITED}` } };
    const first = await connect(`${rig.url}?model=${MODEL}`, auth);
    await rig.upstream.nextConnection();
    const second = await expectRefused(`${rig.url}?model=${MODEL}`, auth);
    assert.equal(second.status, 429);
    assertOpenAiError(second.json, 'too_many_sessions');
    assert.equal(second.json.error.type, 'rate_limit_error');
    first.socket.close();
    await first.closed;
    await eventually(() => rig.gateway.registry.size === 0, 2000, 'session gone');
    // The third attempt in a minute goes over the 2-per-minute rate limit.
    const third = await expectRefused(`${rig.url}?model=${MODEL}`, auth);
    assert.equal(third.status, 429);
    assertOpenAiError(third.json, 'rate_limit_exceeded');
    // The upstream slots asked for beside each refusal were given back.
    await eventually(
      () => rig.gateway.router.status().every((upstream) => upstream.active === 0),
      2000,
      'no upstream slot held',
    );
  });

  it('never shows the upstream key to the client', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const conn = await rig.upstream.nextConnection();
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    // A lost upstream is replaced (continuity is on by default): the client stays, and the new
    // connection is opened with the upstream key as well.
    conn.terminate();
    const replacement = await rig.upstream.nextConnection();
    assert.equal(replacement.request.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.socket.close();
    await client.closed;
    const everything = client.frames.map((f) => f.data.toString('utf8')).join('\n');
    assert.ok(!everything.includes(UPSTREAM_SECRET));
  });
});

describe('auth in passthrough mode', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ auth: { mode: 'passthrough' } });
  });
  after(() => rig.close());

  it("forwards the client's own key upstream instead of the configured one", async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`, {
      protocols: ['realtime', 'openai-insecure-api-key.sk-client-own'],
    });
    const conn = await rig.upstream.nextConnection();
    assert.equal(conn.request.headers.authorization, 'Bearer sk-client-own');
    client.socket.close();
    await client.closed;
  });

  it('still requires a key', async () => {
    const refused = await expectRefused(`${rig.url}?model=${MODEL}`);
    assert.equal(refused.status, 401);
  });

  it("relays the upstream's 401 for a bad client key", async () => {
    rig.upstream.behaviour.refuse = {
      status: 401,
      body: {
        error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Bad key.', param: null },
      },
    };
    try {
      const refused = await expectRefused(`${rig.url}?model=${MODEL}`, {
        headers: { authorization: 'Bearer sk-bad' },
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.message, 'Bad key.');
    } finally {
      rig.upstream.behaviour.refuse = undefined;
    }
  });
});

describe('auth off', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());

  it('accepts clients without a key and ignores one that is given', async () => {
    const client = await connect(`${rig.url}?model=${MODEL}`, {
      headers: { authorization: 'Bearer whatever' },
    });
    const conn = await rig.upstream.nextConnection();
    assert.equal(conn.request.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);
    client.socket.close();
    await client.closed;
  });
});

describe('the same auth and routing for REST requests', () => {
  it('authorizes by key, checks the model, and picks an upstream with its own auth header', async () => {
    const config = testConfig(
      {
        upstreams: [
          {
            name: 'oa',
            baseUrl: 'https://api.openai.com/v1',
            kind: 'openai',
            apiKeyEnv: 'OA',
            models: ['gpt-*'],
          },
          {
            name: 'az',
            baseUrl: 'https://r.openai.azure.com/openai/v1',
            kind: 'azure',
            apiKeyEnv: 'AZ',
            models: ['azure-*'],
          },
        ],
        aliases: { fast: 'gpt-realtime-mini' },
        auth: { keys: [keyEntry('team', KEY, { models: ['fast', 'azure-rt'] })] },
      },
      { OA: 'sk-oa', AZ: 'az-key' },
    );
    const access = createAccess(new Authenticator(config.auth.mode, config.auth.keys), new Router(config));
    const server = createServer(async (req, res) => {
      const who = await access.authorize(req);
      if (!who.ok) return sendRefusal(res, who.refusal);
      const model = new URL(req.url ?? '/', 'http://x').searchParams.get('model');
      const target = await access.selectUpstream(model, who.principal);
      if ('status' in target) return sendRefusal(res, target);
      res.end(JSON.stringify(target));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (query: string, key?: string) => {
      const res = await fetch(
        `${base}/?${query}`,
        key ? { headers: { authorization: `Bearer ${key}` } } : {},
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      assert.equal((await get('model=fast')).status, 401);
      assert.equal((await get('model=fast', 'wrong')).status, 401);
      assert.equal((await get('model=gpt-realtime', KEY)).status, 403);
      assert.deepEqual((await get('model=fast', KEY)).body, {
        name: 'oa',
        baseUrl: 'https://api.openai.com/v1',
        kind: 'openai',
        clientSecrets: 'forward',
        headers: { authorization: 'Bearer sk-oa' },
        model: 'gpt-realtime-mini',
      });
      const azure = await get('model=azure-rt', KEY);
      assert.deepEqual(azure.body.headers, { 'api-key': 'az-key' });
      const anyUpstream = await get('', KEY);
      assert.equal(anyUpstream.status, 200);
      assert.equal(anyUpstream.body.model, null);
    } finally {
      server.close();
    }
  });
});
