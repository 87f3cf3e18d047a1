/**
 * Operating the gateway: health endpoints, Prometheus metrics, the admin API and log safety,
 * over real sockets against the test upstream.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { hashKey } from '../src/auth/credentials.js';
import { resolveConfig } from '../src/config/resolve.js';
import { createLogger } from '../src/observability/logger.js';
import { typeLabel } from '../src/observability/metrics.js';
import { freePort } from './support/cli.js';
import { connect, delay, expectRefused, keyEntry, startRig } from './support/harness.js';

const ADMIN_KEY = 'rg-admin-secret';

async function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method, headers });
  return { status: response.status, body: await response.text() };
}

/** The value of a sample line, such as `name{label="x"} 3`, or null when absent. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | null {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return null;
}

describe('health', () => {
  test('/healthz is up; /readyz is ready with a healthy upstream', async () => {
    const rig = await startRig();
    try {
      const base = rig.gateway.address!.url;
      assert.deepEqual(await get(`${base}/healthz`), { status: 200, body: '{"status":"ok"}' });
      const ready = await get(`${base}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(JSON.parse(ready.body).upstreams[0].name, 'test');
    } finally {
      await rig.close();
    }
  });

  test('/readyz is 503 once every upstream circuit is open', async () => {
    const rig = await startRig(
      { routing: { failureThreshold: 1, cooldownMs: 60_000 } },
      {},
      { refuse: { status: 503 } },
    );
    try {
      await connect(`${rig.url}?model=gpt-realtime`).catch(() => {});
      const ready = await get(`${rig.gateway.address!.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(JSON.parse(ready.body).reason, 'no_healthy_upstream');
    } finally {
      await rig.close();
    }
  });
});

describe('metrics', () => {
  test('sessions, frames and bytes by type, connect latency, usage tokens, outcomes and refusals', async () => {
    const rig = await startRig(
      { auth: { keys: [keyEntry('team', 'rg-key')] } },
      {},
      {},
      { models: ['gpt-realtime', 'gpt-realtime-*'] },
    );
    try {
      const url = `${rig.gateway.address!.url}/metrics`;
      const client = await connect(`${rig.url}?model=gpt-realtime`, {
        headers: { authorization: 'Bearer rg-key' },
      });
      await client.waitFor('session.created');
      client.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
      client.send({ type: 'vendor.custom_event' });
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      const during = (await get(url)).body;
      assert.equal(
        sample(during, 'realtime_gateway_active_sessions', { model: 'gpt-realtime', upstream: 'test' }),
        1,
      );
      assert.equal(
        sample(during, 'realtime_gateway_frames_total', {
          direction: 'client_to_upstream',
          type: 'input_audio_buffer.append',
        }),
        1,
      );
      assert.equal(
        sample(during, 'realtime_gateway_frames_total', { direction: 'client_to_upstream', type: 'other' }),
        1,
      );
      assert.ok(
        (sample(during, 'realtime_gateway_bytes_total', {
          direction: 'upstream_to_client',
          type: 'response.done',
        }) ?? 0) > 100,
      );
      assert.equal(
        sample(during, 'realtime_gateway_tokens_total', {
          model: 'gpt-realtime',
          kind: 'output_audio',
          key: 'team',
        }),
        15,
      );
      assert.equal(
        sample(during, 'realtime_gateway_tokens_total', { model: 'gpt-realtime', kind: 'cached' }),
        4,
      );
      assert.equal(
        sample(during, 'realtime_gateway_upstream_connect_seconds_count', { upstream: 'test' }),
        1,
      );
      assert.equal(sample(during, 'realtime_gateway_admission_store_seconds_count', {}), 1);
      assert.equal(
        sample(during, 'realtime_gateway_admission_store_seconds_bucket', { le: '1' }),
        1,
        'the memory store answers admission within a second',
      );
      client.socket.close();
      await client.closed;
      await connect(`${rig.url}?model=gpt-realtime`, { headers: { authorization: 'Bearer wrong' } }).catch(
        () => {},
      );
      let after = '';
      for (let k = 0; k < 100; k++) {
        after = (await get(url)).body;
        const settled =
          sample(after, 'realtime_gateway_sessions_total', { outcome: 'client_closed' }) === 1 &&
          sample(after, 'realtime_gateway_active_sessions', { model: 'gpt-realtime' }) === 0 &&
          sample(after, 'realtime_gateway_refusals_total', { status: '401' }) === 1;
        if (settled) break;
        await delay(20);
      }
      assert.equal(
        sample(after, 'realtime_gateway_sessions_total', { outcome: 'client_closed', key: 'team' }),
        1,
      );
      assert.equal(sample(after, 'realtime_gateway_refusals_total', { status: '401' }), 1);
      const text = (await get(url)).body;
      assert.match(text, /# TYPE realtime_gateway_process_cpu_seconds_total counter/);
    } finally {
      await rig.close();
    }
  });

  test('model labels are bounded to the configured names: made-up models are "other"', async () => {
    // The upstream serves every model (`*`), as `npm start` does; only the alias is configured.
    const rig = await startRig({ aliases: { fast: 'gpt-realtime-mini' } });
    try {
      const url = `${rig.gateway.address!.url}/metrics`;
      const made = ['a'.repeat(300), 'model-1', 'model-2'];
      const clients = await Promise.all(
        [...made, 'fast'].map((model) => connect(`${rig.url}?model=${encodeURIComponent(model)}`)),
      );
      await Promise.all(clients.map((client) => client.waitFor('session.created')));
      const text = (await get(url)).body;
      assert.equal(sample(text, 'realtime_gateway_active_sessions', { model: 'other' }), 3);
      assert.equal(sample(text, 'realtime_gateway_active_sessions', { model: 'fast' }), 1);
      for (const model of made) assert.equal(text.includes(`model="${model}"`), false);
      for (const client of clients) client.socket.close();
    } finally {
      await rig.close();
    }
  });

  test('event type labels are bounded to the protocol', () => {
    assert.equal(typeLabel('response.done'), 'response.done');
    assert.equal(typeLabel('attacker.made.up.123'), 'other');
    assert.equal(typeLabel(null), 'none');
  });

  test('metrics can be turned off', async () => {
    const rig = await startRig({ metrics: { enabled: false } });
    try {
      assert.equal((await get(`${rig.gateway.address!.url}/metrics`)).status, 404);
    } finally {
      await rig.close();
    }
  });
});

describe('admin API', () => {
  test('does not exist without an admin key', async () => {
    const rig = await startRig();
    try {
      assert.equal((await get(`${rig.gateway.address!.url}/admin/sessions`)).status, 404);
    } finally {
      await rig.close();
    }
  });

  test('lists, shows and terminates sessions, behind its own key', async () => {
    const rig = await startRig({
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` },
      auth: { keys: [keyEntry('team-a', 'rg-client')] },
    });
    try {
      const base = `${rig.gateway.address!.url}/admin/sessions`;
      const admin = { authorization: `Bearer ${ADMIN_KEY}` };
      assert.equal((await get(base)).status, 401);
      assert.equal(
        (await get(base, { authorization: 'Bearer rg-client' })).status,
        403,
        'a gateway key is not an admin key',
      );
      const client = await connect(`${rig.url}?model=gpt-realtime`, {
        headers: { authorization: 'Bearer rg-client' },
      });
      await client.waitFor('session.created');
      client.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
      await delay(50);
      const list = JSON.parse((await get(base, admin)).body) as { data: Record<string, unknown>[] };
      assert.equal(list.data.length, 1);
      const session = list.data[0]!;
      assert.deepEqual(
        [session.model, session.upstream, session.keyId, session.state],
        ['gpt-realtime', 'test', 'team-a', 'open'],
      );
      assert.equal(session.clientFrames, 1);
      assert.ok((session.upstreamFrames as number) >= 1 && (session.upstreamBytes as number) > 0);
      assert.match(session.startedAt as string, /^\d{4}-\d\d-\d\dT/);
      const one = await get(`${base}/${session.id}`, admin);
      assert.equal(JSON.parse(one.body).id, session.id);
      assert.equal((await get(`${base}/sess_nope`, admin)).status, 404);
      const ended = await get(`${base}/${session.id}?reason=maintenance`, admin, 'DELETE');
      assert.equal(ended.status, 200);
      assert.deepEqual(await client.closed, { code: 1008, reason: 'maintenance' });
      assert.equal((await get(`${base}/${session.id}`, admin, 'DELETE')).status, 404);
    } finally {
      await rig.close();
    }
  });
});

describe('operator listeners', () => {
  test('admin.listen and metrics.listen move both off the client port; /metrics can ask for a key', async () => {
    const METRICS_KEY = 'rg-scraper';
    const rig = await startRig({
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}`, listen: { port: 0 } },
      metrics: { keyHash: `sha256:${hashKey(METRICS_KEY)}`, listen: { host: '127.0.0.1', port: 0 } },
    });
    try {
      const client = rig.gateway.address!.url;
      const { admin, metrics } = rig.gateway.operatorUrls;
      assert.ok(admin && metrics, JSON.stringify({ admin, metrics }));
      assert.ok(
        admin !== client && metrics !== client && admin !== metrics,
        JSON.stringify({ client, admin, metrics }),
      );
      assert.equal((await get(`${client}/metrics`)).status, 404, 'not on the client port');
      assert.equal(
        (await get(`${client}/admin/sessions`, { authorization: `Bearer ${ADMIN_KEY}` })).status,
        404,
      );
      assert.equal((await get(`${client}/healthz`)).status, 200, 'health stays on the client port');
      const scrape = await get(`${metrics}/metrics`, { authorization: `Bearer ${METRICS_KEY}` });
      assert.equal(scrape.status, 200);
      assert.match(scrape.body, /realtime_gateway_/);
      assert.equal((await get(`${metrics}/metrics`)).status, 401);
      assert.equal((await get(`${metrics}/metrics`, { authorization: 'Bearer wrong' })).status, 403);
      assert.equal((await get(`${metrics}/healthz`)).status, 200, 'an operator listener answers health');
      const listed = await get(`${admin}/admin/sessions`, { authorization: `Bearer ${ADMIN_KEY}` });
      assert.equal(listed.status, 200);
      assert.equal((await get(`${admin}/metrics`, { authorization: `Bearer ${METRICS_KEY}` })).status, 404);
      // Nothing but operator endpoints: no REST, no sessions.
      assert.equal((await get(`${admin}/v1/realtime/client_secrets`, {}, 'POST')).status, 404);
      const refused = await expectRefused(`${admin.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`);
      assert.equal(refused.status, 404);
    } finally {
      await rig.close();
    }
  });

  test('one listener when both name the same address; a listen without an admin key is an error', async () => {
    const port = await freePort();
    const rig = await startRig({
      admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}`, listen: { port } },
      metrics: { listen: { port } },
    });
    try {
      const { admin, metrics } = rig.gateway.operatorUrls;
      assert.equal(admin, `http://127.0.0.1:${port}`);
      assert.equal(metrics, admin);
      assert.equal((await get(`${metrics}/metrics`)).status, 200, 'no metrics key, no key asked');
      assert.equal(
        (await get(`${admin}/admin/sessions`, { authorization: `Bearer ${ADMIN_KEY}` })).status,
        200,
      );
    } finally {
      await rig.close();
    }
    const resolved = resolveConfig(
      { admin: { listen: { port: 9100 } }, metrics: { keyHash: 'sha256:nothex' } },
      { env: {}, readFile: () => '' },
    );
    assert.ok(!resolved.ok);
    assert.deepEqual(resolved.errors.map((error) => error.field).sort(), ['admin.listen', 'metrics.keyHash']);
  });
});

describe('logs', () => {
  test('events are logged without audio, images or secrets; credential fields are redacted', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        sessionId: 'sess_1',
        event: { type: 'input_audio_buffer.append', audio: 'AAEC'.repeat(1000) },
        headers: { authorization: 'Bearer rg-secret-key' },
        apiKey: 'sk-upstream-secret',
      },
      'client event',
    );
    log.info(
      {
        event: {
          type: 'session.update',
          session: { tools: [{ type: 'mcp', server_label: 's', authorization: 'tok-secret' }] },
        },
      },
      'update',
    );
    const out = lines.join('');
    assert.ok(!out.includes('AAEC'), 'no audio');
    assert.ok(!out.includes('secret'), out);
    assert.match(out, /\[audio: 3000 bytes\]/);
    assert.match(out, /"sessionId":"sess_1"/);
  });
});
