/**
 * Translation sessions go only to upstreams that speak GA: the beta protocol had none. Two
 * reference engines on loopback, one speaking beta and configured `dialect: beta`, one GA; the
 * gateway puts every translation session on the GA one, and, when only beta upstreams serve
 * the model, refuses the upgrade with an OpenAI-shaped error that says why, while conversation
 * sessions still reach the beta upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningEngine, startEngine } from '@realtime-gateway/engine';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connect, expectRefused, type TestClient, testConfig } from './support/harness.js';

const MODEL = 'gpt-realtime-translate';

describe('routing translation sessions', () => {
  let gaEngine: RunningEngine;
  let betaEngine: RunningEngine;
  const translated = { ga: 0, beta: 0 };
  const gateways: Gateway[] = [];

  const upstream = (engine: RunningEngine, name: string, dialect: 'ga' | 'beta') => ({
    name,
    baseUrl: `http://127.0.0.1:${engine.port}/v1`,
    kind: 'generic' as const,
    dialect,
  });

  async function gatewayOver(upstreams: ReturnType<typeof upstream>[]): Promise<string> {
    const gateway = createGateway({ config: testConfig({ upstreams }) });
    gateways.push(gateway);
    return (await gateway.listen()).url.replace(/^http/, 'ws');
  }

  before(async () => {
    gaEngine = await startEngine({ onTranslationEvent: () => translated.ga++ });
    betaEngine = await startEngine({ dialect: 'beta', onTranslationEvent: () => translated.beta++ });
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await gaEngine.close();
    await betaEngine.close();
  });

  test('every translation session goes to the GA upstream, though the beta one is less loaded', async () => {
    // The beta upstream comes first and would win every tie of the least-loaded ranking.
    const base = await gatewayOver([upstream(betaEngine, 'beta', 'beta'), upstream(gaEngine, 'ga', 'ga')]);
    const clients: TestClient[] = [];
    for (let k = 0; k < 3; k++) {
      const client = await connect(`${base}/v1/realtime/translations?model=${MODEL}`);
      const created = await client.next();
      assert.equal(created.type, 'session.created');
      assert.equal((created.session as Record<string, unknown>).type, 'translation');
      clients.push(client);
    }
    assert.deepEqual(translated, { ga: 3, beta: 0 });
    for (const client of clients) client.socket.close();
  });

  test('with only beta upstreams, the upgrade is refused saying why; conversations still go there', async () => {
    const base = await gatewayOver([upstream(betaEngine, 'old-azure', 'beta')]);
    const refused = await expectRefused(`${base}/v1/realtime/translations?model=${MODEL}`);
    assert.equal(refused.status, 503);
    assert.match(refused.contentType ?? '', /application\/json/);
    const { error } = refused.json;
    assert.deepEqual(
      [error.type, error.code, error.param],
      ['server_error', 'no_compatible_upstream', 'model'],
    );
    assert.match(error.message, /speaks the GA protocol/);
    assert.match(error.message, /exist only in the GA protocol/);
    assert.match(error.message, /'old-azure' \(dialect: beta\)/);
    assert.equal(translated.beta, 0);
    const conversation = await connect(`${base}/v1/realtime?model=gpt-realtime`);
    assert.equal((await conversation.next()).type, 'session.created');
    conversation.socket.close();
  });

  test("translation sessions' client secrets and calls are routed the same way", async () => {
    const post = (base: string, path: string, body: string, type: string) =>
      fetch(`${base.replace(/^ws/, 'http')}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
    const secretBody = JSON.stringify({ session: { model: MODEL } });
    const betaOnly = await gatewayOver([upstream(betaEngine, 'old-azure', 'beta')]);
    for (const [path, body, type] of [
      ['/v1/realtime/translations/client_secrets', secretBody, 'application/json'],
      [`/v1/realtime/translations/calls?model=${MODEL}`, 'v=0\r\n', 'application/sdp'],
    ] as const) {
      const refused = await post(betaOnly, path, body, type);
      assert.equal(refused.status, 503, path);
      const { error } = (await refused.json()) as { error: { code: string } };
      assert.equal(error.code, 'no_compatible_upstream', path);
    }
    // Beside a GA upstream, the secret is minted for the session that will go there.
    const mixed = await gatewayOver([upstream(betaEngine, 'beta', 'beta'), upstream(gaEngine, 'ga', 'ga')]);
    const minted = await post(
      mixed,
      '/v1/realtime/translations/client_secrets',
      secretBody,
      'application/json',
    );
    assert.equal(minted.status, 200);
    const { value } = (await minted.json()) as { value: string };
    const client = await connect(`${mixed}/v1/realtime/translations`, {
      headers: { authorization: `Bearer ${value}` },
    });
    assert.equal((await client.next()).type, 'session.created');
    client.socket.close();
  });
});
