import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGateway } from '../src/gateway.js';
import { connect, delay, eventually, expectRefused, startRig, testConfig } from './support/harness.js';

const MODEL = 'gpt-realtime';

describe('gateway lifecycle', () => {
  it('has no address until it listens, then reports where to connect', async () => {
    const gateway = createGateway({ config: testConfig({}) });
    assert.equal(gateway.address, null);
    const address = await gateway.listen(0, '127.0.0.1');
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.port > 0);
    assert.equal(address.realtimeUrl, `ws://127.0.0.1:${address.port}/v1/realtime`);
    assert.deepEqual(gateway.address, address);
    await gateway.close();
    await gateway.close();
    await assert.rejects(fetch(address.url));
  });

  it('closes without ever listening', async () => {
    const gateway = createGateway({ config: testConfig({}) });
    await gateway.close();
    assert.equal(gateway.accepting, false);
  });

  it('rejects listen on a port in use', async () => {
    const first = createGateway({ config: testConfig({}) });
    const { port } = await first.listen();
    const second = createGateway({ config: testConfig({}) });
    await assert.rejects(second.listen(port, '127.0.0.1'), /EADDRINUSE/);
    await first.close();
    await second.close();
  });

  it('drains: live sessions go on during the drain period, new ones are refused, then error + 1001', async () => {
    const rig = await startRig();
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      await rig.upstream.nextConnection();
      await client.waitFor('session.created');
      const closing = rig.gateway.close({ drainMs: 400 });
      await delay(50);
      assert.equal(rig.gateway.registry.list()[0]?.state, 'draining');
      client.send({ type: 'response.create' });
      await client.waitFor('response.done');
      const shutdownError = await client.waitFor('error');
      assert.equal((shutdownError.error as Record<string, unknown>).code, 'server_shutting_down');
      assert.deepEqual(await client.closed, { code: 1001, reason: 'server shutting down' });
      await closing;
      assert.equal(rig.gateway.registry.size, 0);
    } finally {
      await rig.upstream.close();
    }
  });

  it('refuses with 503 a session whose upstream answered after closing began', async () => {
    const rig = await startRig({}, {}, { upgradeDelayMs: 300 });
    try {
      const pending = expectRefused(`${rig.url}?model=${MODEL}`);
      await eventually(() => rig.upstream.requests.length === 1, 2000, 'upstream dialled');
      const closing = rig.gateway.close();
      const refused = await pending;
      assert.equal(refused.status, 503);
      assert.equal(refused.json.error.code, 'shutting_down');
      await closing;
      assert.equal(rig.gateway.router.status()[0]!.active, 0);
    } finally {
      await rig.upstream.close();
    }
  });

  it('terminates one session on request, with the reason in the close', async () => {
    const rig = await startRig();
    try {
      const client = await connect(`${rig.url}?model=${MODEL}`);
      const conn = await rig.upstream.nextConnection();
      const id = rig.gateway.registry.list()[0]!.id;
      assert.match(id, /^sess_/);
      assert.equal(rig.gateway.registry.terminate(id, 'maintenance'), true);
      assert.deepEqual(await client.closed, { code: 1008, reason: 'maintenance' });
      assert.equal((await conn.closed).code, 1000);
      await eventually(() => rig.gateway.registry.size === 0, 2000, 'session removed');
      assert.equal(rig.gateway.registry.terminate(id, 'again'), false);
      assert.equal(rig.gateway.registry.get(id), null);
    } finally {
      await rig.close();
    }
  });
});
