/**
 * The web console over HTTP, against real sockets and the reference engine: where it exists,
 * its pages and their cache headers, signing in (the cookie's flags, refusals), cross-site
 * refusals of changes, the live session feed, one session's event stream (log-safe, audio
 * folded), terminating, usage and upstreams, and the bounds on streams.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { consoleDir } from '@realtime-gateway/console';
import { hashKey } from '../src/auth/credentials.js';
import { ensureDevCertificates } from '../src/tls/dev-ca.js';
import { spokenTurn } from './support/audio.js';
import {
  ADMIN_KEY,
  CHANGE,
  type ConsoleRig,
  openStream,
  signIn,
  startConsoleRig,
} from './support/console.js';
import { connect, eventually, startRig, type TestClient } from './support/harness.js';

const SECRET = 'sk-live-SECRET-in-an-event';

function speak(client: TestClient, pcm: Buffer): void {
  for (let k = 0; k < pcm.length; k += 4800)
    client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 4800).toString('base64') });
}

describe('where the console is', () => {
  test('nowhere without the admin API', async () => {
    const rig = await startRig();
    try {
      const base = rig.gateway.address!.url;
      for (const path of ['/console', '/console/', '/console/api/me'])
        assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    } finally {
      await rig.close();
    }
  });

  test('nowhere with console.enabled: false', async () => {
    const rig = await startConsoleRig({ console: { enabled: false } });
    try {
      assert.equal((await fetch(`${rig.base}/console/`)).status, 404);
      assert.equal((await fetch(`${rig.base}/admin/sessions`, { headers: bearer() })).status, 200);
    } finally {
      await rig.close();
    }
  });

  test('on the admin listener when it is separate, not on the client port', async () => {
    const rig = await startConsoleRig({
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}`, listen: { port: 0 } },
    });
    try {
      const client = rig.gateway.address!.url;
      assert.notEqual(rig.base, client);
      assert.equal((await fetch(`${client}/console/`)).status, 404);
      assert.equal((await fetch(`${rig.base}/console/`)).status, 200);
      const redirect = await fetch(`${rig.base}/console`, { redirect: 'manual' });
      assert.deepEqual([redirect.status, redirect.headers.get('location')], [302, '/console/']);
    } finally {
      await rig.close();
    }
  });

  test('over TLS the cookie is Secure too', async () => {
    const certificates = await ensureDevCertificates(
      join(mkdtempSync(join(tmpdir(), 'console-tls-')), 'data'),
    );
    const rig = await startConsoleRig(
      { server: { devTls: { enabled: true, port: 0 } } },
      { devTls: { cert: certificates.cert, key: certificates.key } },
    );
    try {
      const { port } = rig.gateway.address!.devTls!;
      const cookie = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/console/api/sign-in',
            method: 'POST',
            ca: certificates.ca,
            headers: CHANGE,
          },
          (res) => {
            res.resume();
            resolve(String(res.headers['set-cookie']));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ key: ADMIN_KEY }));
      });
      assert.match(cookie, /; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await rig.close();
    }
  });

  test('sign-in attempts from one address are limited (console.signInAttemptsPerMinute), right key or wrong', async () => {
    const rig = await startConsoleRig({ console: { signInAttemptsPerMinute: 3 } });
    try {
      const attempt = (key: string) =>
        fetch(`${rig.base}/console/api/sign-in`, {
          method: 'POST',
          headers: CHANGE,
          body: JSON.stringify({ key }),
        });
      for (const key of ['guess-1', 'guess-2']) assert.equal((await attempt(key)).status, 403);
      assert.equal((await attempt(ADMIN_KEY)).status, 204);
      const refused = await attempt(ADMIN_KEY);
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'too_many_attempts');
    } finally {
      await rig.close();
    }
  });

  test('sign-ins are bounded (console.maxSignIns), and a new admin key signs everyone out', async () => {
    const rig = await startConsoleRig({ console: { maxSignIns: 2 } });
    try {
      const cookie = await signIn(rig.base);
      await signIn(rig.base);
      const third = await fetch(`${rig.base}/console/api/sign-in`, {
        method: 'POST',
        headers: CHANGE,
        body: JSON.stringify({ key: ADMIN_KEY }),
      });
      assert.equal(third.status, 429);
      assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'too_many_sign_ins');
      const me = () => fetch(`${rig.base}/console/api/me`, { headers: { cookie } });
      assert.equal((await me()).status, 200);
      const reloaded = rig.gateway.reload(
        rig.configWith({ admin: { keyHash: `sha256:${hashKey('a-new-admin-key')}` } }),
      );
      assert.ok(reloaded.ok, JSON.stringify(reloaded));
      assert.equal((await me()).status, 401);
    } finally {
      await rig.close();
    }
  });

  test('a console that was not built answers 503 saying how to build it', async () => {
    const rig = await startConsoleRig({}, { consoleDir: mkdtempSync(join(tmpdir(), 'unbuilt-')) });
    try {
      const page = await fetch(`${rig.base}/console/`);
      assert.equal(page.status, 503);
      assert.match(await page.text(), /npm run build/);
    } finally {
      await rig.close();
    }
  });
});

/** The one live session's id, once the sessions of earlier tests have gone. */
async function liveSessionId(base: string): Promise<string> {
  let ids: string[] = [];
  await eventually(
    async () => {
      const list = (await (await fetch(`${base}/admin/sessions`, { headers: bearer() })).json()) as {
        data: { id: string }[];
      };
      ids = list.data.map((session) => session.id);
      return ids.length === 1;
    },
    5000,
    'one live session',
  );
  return ids[0]!;
}

function bearer(): Record<string, string> {
  return { authorization: `Bearer ${ADMIN_KEY}` };
}

describe('the console', () => {
  let rig: ConsoleRig;
  before(async () => {
    rig = await startConsoleRig({
      console: {
        pushIntervalMs: 100,
        maxStreams: 4,
        streamBufferBytes: 16_384,
        eventsPerSession: 50,
        signInAttemptsPerMinute: 1000,
      },
      auth: {
        keys: [{ id: 'team-a', hash: `sha256:${hashKey('rg-team-a')}`, budget: { usd: 5, period: 'day' } }],
      },
    });
  });
  after(() => rig.close());

  const team = { headers: { authorization: 'Bearer rg-team-a' } };

  /** A sign-in, and a client whose session is the only live one. */
  async function signedInWithSession(): Promise<{ cookie: string; client: TestClient; id: string }> {
    const cookie = await signIn(rig.base);
    const client = await connect(`${rig.url}?model=gpt-realtime`, team);
    await client.waitFor('session.created');
    return { cookie, client, id: await liveSessionId(rig.base) };
  }

  test('pages: index.html revalidated, hashed assets cached a year, nothing outside the build', async () => {
    const index = await fetch(`${rig.base}/console/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(
      index.headers.get('content-security-policy') ?? '',
      /default-src 'self'.*frame-ancestors 'none'/,
    );
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${rig.base}${script}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    for (const path of [
      '/console/assets/..%2F..%2Fpackage.json',
      '/console/assets/nope.js',
      '/console/root.js',
    ])
      assert.equal((await fetch(`${rig.base}${path}`)).status, 404, path);
    assert.ok(consoleDir.endsWith('/dist/'));
  });

  test('signing in: the key in a JSON body gives a cookie that is HttpOnly, SameSite=Strict, scoped and expiring', async () => {
    const post = (body: string, headers: Record<string, string> = CHANGE) =>
      fetch(`${rig.base}/console/api/sign-in`, { method: 'POST', headers, body });
    const wrong = await post(JSON.stringify({ key: 'not-the-key' }));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal(
      (await post(JSON.stringify({ key: 'rg-team-a' }))).status,
      403,
      'a gateway key is not the admin key',
    );
    assert.equal((await post(JSON.stringify({}))).status, 400);
    assert.equal((await post('not json')).status, 400);
    assert.equal((await post(JSON.stringify({ key: 'x'.repeat(5000) }))).status, 413);
    assert.equal(
      (
        await post(JSON.stringify({ key: ADMIN_KEY }), {
          'content-type': 'text/plain',
          'x-console-request': '1',
        })
      ).status,
      415,
    );
    const right = await post(JSON.stringify({ key: ADMIN_KEY }));
    assert.equal(right.status, 204);
    const cookie = right.headers.get('set-cookie')!;
    const [pair, ...attributes] = cookie.split('; ');
    assert.match(pair!, /^rg_console=[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=28800', 'Path=/console', 'SameSite=Strict']);
    assert.ok(!cookie.includes(ADMIN_KEY));
    const me = await fetch(`${rig.base}/console/api/me`, { headers: { cookie: pair! } });
    assert.deepEqual([me.status, await me.json()], [200, { signedIn: true }]);
  });

  test('changes from another site are refused: without the console header, or from a foreign Origin', async () => {
    const body = JSON.stringify({ key: ADMIN_KEY });
    const url = `${rig.base}/console/api/sign-in`;
    const plain = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(plain.status, 403);
    assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'cross_site_request');
    const foreign = await fetch(url, {
      method: 'POST',
      headers: { ...CHANGE, origin: 'https://evil.example' },
      body,
    });
    assert.equal(foreign.status, 403);
    const own = await fetch(url, { method: 'POST', headers: { ...CHANGE, origin: rig.base }, body });
    assert.equal(own.status, 204);
  });

  test('the API needs a sign-in: 401 without one, with a made-up cookie, and after signing out', async () => {
    for (const path of ['me', 'session-feed', 'upstream-feed', 'usage', 'sessions/x'])
      assert.equal((await fetch(`${rig.base}/console/api/${path}`)).status, 401, path);
    const madeUp = { cookie: `rg_console=${'A'.repeat(43)}` };
    assert.equal((await fetch(`${rig.base}/console/api/me`, { headers: madeUp })).status, 401);
    assert.equal(
      (await fetch(`${rig.base}/console/api/me`, { headers: bearer() })).status,
      401,
      'no bearer key',
    );
    const cookie = await signIn(rig.base);
    const out = await fetch(`${rig.base}/console/api/sign-out`, {
      method: 'POST',
      headers: { ...CHANGE, cookie },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie')!, /^rg_console=; Path=\/console; Max-Age=0/);
    assert.equal((await fetch(`${rig.base}/console/api/me`, { headers: { cookie } })).status, 401);
  });

  test('the live feed: a snapshot, then a session as it comes, its counters, and its leaving', async () => {
    const cookie = await signIn(rig.base);
    const feed = await openStream(`${rig.base}/console/api/session-feed`, cookie);
    try {
      const first = await feed.until((e) => e.event === 'snapshot');
      assert.deepEqual(first.data.rows, []);
      const client = await connect(`${rig.url}?model=gpt-realtime`, team);
      await client.waitFor('session.created');
      const added = await feed.until((e) => e.event === 'changes' && e.data.changed.length > 0);
      const row = added.data.changed[0];
      assert.equal(row.model, 'gpt-realtime');
      assert.equal(row.upstream, 'engine');
      assert.equal(row.keyId, 'team-a');
      assert.equal(row.transport, 'websocket');
      client.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
      });
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      const spent = await feed.until(
        (e) =>
          e.event === 'changes' && e.data.changed.some((r: { tokens: number | null }) => (r.tokens ?? 0) > 0),
      );
      assert.ok(spent.data.changed[0].clientFrames >= 2);
      client.socket.close();
      await client.closed;
      const gone = await feed.until((e) => e.event === 'changes' && e.data.removed.includes(row.id));
      assert.ok(gone);
    } finally {
      feed.close();
    }
  });

  test("one session's events: its history, then live; audio folded and never shown; secrets redacted", async () => {
    const { cookie, client, id } = await signedInWithSession();
    client.send({ type: 'session.update', session: { type: 'realtime', api_key: SECRET } as object });
    await client.waitFor('session.updated').catch(() => null);
    const events = await openStream(`${rig.base}/console/api/sessions/${id}/events`, cookie);
    try {
      const history = await events.until((e) => e.event === 'history');
      assert.ok(history.data.timeline.some((e: { type: string }) => e.type === 'session.created'));
      speak(client, spokenTurn());
      await client.until('response.done');
      const audio = await events.until(
        (e) => e.event === 'event' && e.data.type === 'response.output_audio.delta',
      );
      assert.equal(audio.data.payload, null, 'audio is never rendered');
      const appends = events.events.filter((e) => e.data.type === 'input_audio_buffer.append');
      assert.ok(appends.length > 0);
      assert.ok(
        appends.some((e) => e.data.frames > 1),
        'consecutive appends fold into one entry',
      );
      const text = JSON.stringify(events.events);
      assert.ok(!text.includes(SECRET), 'the secret is redacted');
      assert.ok(text.includes('[redacted]'));
      const one = await fetch(`${rig.base}/console/api/sessions/${id}`, { headers: { cookie } });
      assert.equal(((await one.json()) as { id: string }).id, id);
      client.socket.close();
      await events.until((e) => e.event === 'ended');
      assert.equal(
        (await fetch(`${rig.base}/console/api/sessions/${id}/events`, { headers: { cookie } })).status,
        404,
      );
    } finally {
      events.close();
    }
  });

  test('terminating: refused without the console header, then the client is closed with the reason', async () => {
    const { cookie, client, id } = await signedInWithSession();
    const url = `${rig.base}/console/api/sessions/${id}/terminate`;
    const body = JSON.stringify({ reason: 'maintenance window' });
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body,
    });
    assert.equal(forged.status, 403);
    const tooLong = await fetch(url, {
      method: 'POST',
      headers: { ...CHANGE, cookie },
      body: JSON.stringify({ reason: 'x'.repeat(200) }),
    });
    assert.equal(tooLong.status, 400);
    assert.equal((await fetch(url, { headers: { cookie } })).status, 405);
    const ended = await fetch(url, { method: 'POST', headers: { ...CHANGE, cookie }, body });
    assert.equal(ended.status, 200);
    assert.deepEqual(await client.closed, { code: 1008, reason: 'maintenance window' });
    assert.equal((await fetch(url, { method: 'POST', headers: { ...CHANGE, cookie }, body })).status, 404);
  });

  test('usage and budgets from the ledger; the upstreams live, with their circuit, sessions and connect latency', async () => {
    const cookie = await signIn(rig.base);
    const client = await connect(`${rig.url}?model=gpt-realtime`, team);
    await client.waitFor('session.created');
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.socket.close();
    await client.closed;
    const read = async (path: string) => {
      const response = await fetch(`${rig.base}/console/api/${path}`, { headers: { cookie } });
      assert.equal(response.status, 200, path);
      return (await response.json()) as { data: Record<string, unknown>[] };
    };
    await eventually(
      async () => (await read('usage?group_by=key')).data.some((row) => row.key === 'team-a'),
      10_000,
      'usage in the ledger',
    );
    const byDay = await read('usage?group_by=day');
    assert.ok((byDay.data[0]!.total_tokens as number) > 0);
    assert.equal(
      (await fetch(`${rig.base}/console/api/usage?group_by=week`, { headers: { cookie } })).status,
      400,
    );
    assert.deepEqual((await read('budgets')).data, [
      { key: 'team-a', budget: { usd: 5, tokens: null, period: 'day', warnAt: 0.8 } },
    ]);
    const upstreams = await openStream(`${rig.base}/console/api/upstream-feed`, cookie);
    try {
      const [upstream] = (await upstreams.until((e) => e.event === 'snapshot')).data.rows;
      assert.equal(upstream.name, 'engine');
      assert.equal(upstream.circuit, 'closed');
      assert.equal(upstream.healthy, true);
      assert.ok(upstream.attempts >= 1);
      assert.equal(typeof upstream.averageLatencyMs, 'number');
      // A new session is a change of the upstream's row, pushed without being asked for.
      const client = await connect(`${rig.url}?model=gpt-realtime`, team);
      await client.waitFor('session.created');
      const changed = await upstreams.until((e) => e.event === 'changes' && e.data.changed[0]?.active === 1);
      assert.deepEqual(changed.data.changed[0].sessionsByNode, { 'this node': 1 });
      client.socket.close();
      await client.closed;
    } finally {
      upstreams.close();
    }
  });

  test('streams are bounded: past console.maxStreams a 503; a page that stops reading loses events, counted', async () => {
    const { cookie, client, id } = await signedInWithSession();
    // A page that reads nothing: its response is paused, so the socket's buffers fill up.
    const stalled = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      httpGet(`${rig.base}/console/api/sessions/${id}/events`, { headers: { cookie } }, (res) => {
        res.pause();
        resolve(res);
      });
    });
    const open = [stalled];
    try {
      for (let i = 0; i < 3; i++)
        open.push(
          await new Promise((resolve) =>
            httpGet(`${rig.base}/console/api/session-feed`, { headers: { cookie } }, resolve),
          ),
        );
      const refused = await fetch(`${rig.base}/console/api/session-feed`, { headers: { cookie } });
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'too_many_streams');
      // Far more than the loopback socket and the 16 KiB allowance hold.
      const text = 'a'.repeat(3000);
      for (let i = 0; i < 3000; i++)
        client.send({
          type: 'conversation.item.create',
          item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
        });
      await client.waitFor('conversation.item.done').catch(() => null);
      let received = '';
      stalled.setEncoding('utf8');
      stalled.on('data', (chunk: string) => {
        received += chunk;
      });
      stalled.resume();
      await eventually(() => /event: dropped\ndata: \{"count":\d+/.test(received), 20_000, 'a dropped event');
      const dropped = JSON.parse(/event: dropped\ndata: (.*)/.exec(received)![1]!) as { count: number };
      assert.ok(dropped.count > 0);
    } finally {
      for (const res of open) res.destroy();
      client.socket.close();
    }
  });
});
