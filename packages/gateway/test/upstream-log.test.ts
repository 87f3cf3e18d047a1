/**
 * What an operator reads when upstreams fail: a line per failed connection attempt, one for a
 * failover, one per circuit change, and the upstream's own session id beside the gateway's.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { connect, eventually, testConfig } from './support/harness.js';
import { startTestUpstream } from './support/test-upstream.js';

test('connect failures, failover, circuit changes and the upstream session id are logged', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const failing = await startTestUpstream({ refuse: { status: 503 } });
  const healthy = await startTestUpstream();
  const config = testConfig({
    upstreams: [
      { name: 'failing', baseUrl: `${failing.httpUrl}/v1`, weight: 1000 },
      { name: 'healthy', baseUrl: `${healthy.httpUrl}/v1`, weight: 1 },
    ],
    routing: { failureThreshold: 1, cooldownMs: 60_000 },
  });
  const gateway = createGateway({ config, log: createLogger('info', sink) });
  try {
    const { realtimeUrl } = await gateway.listen();
    const client = await connect(`${realtimeUrl}?model=gpt-realtime`);
    const created = await client.waitFor('session.created');
    const upstreamId = (created.session as { id: string }).id;
    const find = (msg: string) => lines.find((line) => line.msg === msg);
    await eventually(() => find('upstream session') !== undefined);
    assert.deepEqual(
      pick(find('upstream connect failed'), ['upstream', 'attempt', 'kind', 'status', 'level']),
      { upstream: 'failing', attempt: 1, kind: 'status', status: 503, level: 40 },
    );
    assert.deepEqual(pick(find('upstream circuit open'), ['upstream', 'from', 'to']), {
      upstream: 'failing',
      from: 'closed',
      to: 'open',
    });
    assert.deepEqual(pick(find('failed over to upstream'), ['upstream', 'attempt']), {
      upstream: 'healthy',
      attempt: 2,
    });
    const session = find('upstream session')!;
    assert.equal(session.upstreamSessionId, upstreamId);
    assert.match(String(session.sessionId), /^sess_/);
    assert.notEqual(session.sessionId, upstreamId);
    assert.equal(gateway.registry.get(String(session.sessionId))?.upstreamSessionId, upstreamId);
    client.socket.close();
    await eventually(() => find('session ended') !== undefined);
    assert.equal(find('session ended')!.upstreamSessionId, upstreamId);
  } finally {
    await gateway.close();
    await failing.close();
    await healthy.close();
  }
});

function pick(line: Record<string, unknown> | undefined, keys: string[]): Record<string, unknown> {
  assert.ok(line, 'the line was logged');
  return Object.fromEntries(keys.map((key) => [key, line[key]]));
}
