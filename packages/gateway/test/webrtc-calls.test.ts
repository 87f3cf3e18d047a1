/**
 * WebRTC calls terminated by the gateway, node to node: a werift caller posts its offer to a
 * real gateway in front of the real reference engine, over loopback UDP, and talks to it as a
 * browser page would (mint a secret, post the offer, the `oai-events` data channel, Opus both
 * ways). Faults leave nothing allocated.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EmbeddedEngine, startEmbeddedEngine } from '../src/embedded-engine.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { rmsLevel } from '../src/media/opus.js';
import { connect, expectRefused, keyEntry, testConfig } from './support/harness.js';
import { TestCaller, tone } from './support/webrtc-client.js';

const APP = 'sk-app';
const OTHER = 'sk-other';
const SOLO = 'sk-solo';

let engine: EmbeddedEngine;
let gateway: Gateway;
let base: string;
const callers: TestCaller[] = [];

before(async () => {
  engine = (await startEmbeddedEngine())!;
  const config = testConfig({
    upstreams: [{ name: 'engine', baseUrl: engine.baseUrl }],
    auth: {
      keys: [keyEntry('app', APP), keyEntry('other', OTHER), keyEntry('solo', SOLO, { maxCalls: 1 })],
    },
    webrtc: { iceAddresses: ['127.0.0.1'], idleTimeoutMs: 1500, connectTimeoutMs: 3000 },
    log: { level: 'silent' },
  });
  gateway = createGateway({ config });
  base = (await gateway.listen()).url;
});

after(async () => {
  for (const caller of callers) await caller.close().catch(() => {});
  await gateway.close();
  await engine.close();
});

async function mint(
  session: object = { type: 'realtime', model: 'gpt-realtime' },
  key = APP,
): Promise<string> {
  const response = await fetch(`${base}/v1/realtime/client_secrets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ session }),
  });
  const body = (await response.json()) as { value: string };
  assert.equal(response.status, 200);
  return body.value;
}

interface Posted {
  readonly status: number;
  readonly location: string | null;
  readonly text: string;
}

async function post(
  sdp: string,
  credential: string,
  path = '/v1/realtime/calls',
  contentType = 'application/sdp',
): Promise<Posted> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': contentType },
    body: sdp,
  });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

/** The call id in a 201's Location. */
function idOf(posted: Posted): string {
  const id = /\/v1\/realtime\/calls\/(rtc_[A-Za-z0-9]+)$/.exec(posted.location ?? '')?.[1];
  assert.ok(id, `a call location, got ${posted.location}`);
  return id;
}

/** A user message and a response asked for, as a page sends them on the data channel. */
function ask(caller: TestCaller, text: string): void {
  caller.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  caller.send({ type: 'response.create' });
}

/** A caller connected through a freshly minted secret; its call id. */
async function call(session?: object): Promise<{ caller: TestCaller; id: string }> {
  const caller = new TestCaller();
  callers.push(caller);
  const secret = await mint(session);
  const posted = await post(await caller.offer(), secret);
  assert.equal(posted.status, 201, posted.text);
  await caller.accept(posted.text);
  await caller.opened();
  return { caller, id: idOf(posted) };
}

async function hangup(id: string, key = APP): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/v1/realtime/calls/${id}/hangup`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until no session is left in the gateway (the call's slots are free). */
async function drained(timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (gateway.registry.size > 0) {
    if (Date.now() > deadline) throw new Error(`${gateway.registry.size} sessions still open`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a call', () => {
  test('answers with 201, an SDP answer and an rtc_ Location, and the data channel carries the session', async () => {
    const { caller, id } = await call({ type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.' });
    const created = await caller.waitFor('session.created');
    assert.equal((created.session as { instructions?: string }).instructions, 'Be brief.');
    assert.match(id, /^rtc_/);
    assert.equal((await hangup(id)).status, 200);
    await drained();
  });

  test('a text turn is answered in audio the caller hears, with output_audio_buffer started and stopped', async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    ask(caller, 'Say hello.');
    const started = await caller.waitFor('output_audio_buffer.started');
    const stopped = await caller.waitFor('output_audio_buffer.stopped', 20_000);
    assert.equal(stopped.response_id, started.response_id);
    assert.ok(!caller.events.some((event) => event.type === 'response.output_audio.delta'));
    const loud = caller.heard.filter((pcm) => rmsLevel(pcm) > 300);
    assert.ok(loud.length >= 10, `heard ${loud.length} frames with audio energy`);
    assert.equal((await hangup(id)).status, 200);
    await drained();
  });

  test('a secret minted for G.711 still gives the caller Opus audio: a call pins PCM16 upstream', async () => {
    const { caller, id } = await call({
      type: 'realtime',
      model: 'gpt-realtime',
      audio: { output: { format: { type: 'audio/pcmu' } } },
    });
    await caller.waitFor('session.created');
    ask(caller, 'Say hello.');
    await caller.waitFor('output_audio_buffer.stopped', 20_000);
    const loud = caller.heard.filter((pcm) => rmsLevel(pcm) > 300);
    assert.ok(loud.length >= 10, `heard ${loud.length} frames with audio energy`);
    await hangup(id);
    await drained();
  });

  test("the caller's microphone reaches the engine's voice activity detection", async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    await caller.speak(tone(600));
    await caller.waitFor('input_audio_buffer.speech_started');
    await hangup(id);
    await drained();
  });
});

describe('interruption', () => {
  test('speech over the assistant clears the output buffer and truncates the item at the point played', async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    const long = 'This is a long answer that goes on for a while so that it can be interrupted. '.repeat(3);
    ask(caller, long);
    await caller.waitFor('output_audio_buffer.started');
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const speaking = caller.speak(tone(600));
    const cleared = await caller.waitFor('output_audio_buffer.cleared');
    const playedMs = Date.now() - startedAt;
    const truncated = await caller.waitFor('conversation.item.truncated');
    await speaking;
    const audioEndMs = truncated.audio_end_ms as number;
    // What the gateway played, within pacing and loopback delays of what the caller timed.
    assert.ok(
      audioEndMs > 400 && audioEndMs <= playedMs + 100,
      `truncated at ${audioEndMs} ms, played ${playedMs} ms`,
    );
    assert.ok(typeof cleared.response_id === 'string');
    await hangup(id);
    await drained();
  });

  test("the client's output_audio_buffer.clear is honoured and truncates too", async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    ask(caller, 'Talk for a while. '.repeat(8));
    await caller.waitFor('output_audio_buffer.started');
    await new Promise((resolve) => setTimeout(resolve, 300));
    caller.send({ type: 'output_audio_buffer.clear' });
    await caller.waitFor('output_audio_buffer.cleared');
    const truncated = await caller.waitFor('conversation.item.truncated');
    assert.ok((truncated.audio_end_ms as number) >= 200);
    // The engine never saw the WebRTC-only event, so no error came back for it.
    assert.ok(
      !caller.events.some((event) => event.type === 'error'),
      JSON.stringify(caller.events.filter((e) => e.type === 'error')),
    );
    await hangup(id);
    await drained();
  });
});

describe('call control', () => {
  test('hangup ends the call and frees its slots; a second hangup is a 404', async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    assert.equal(gateway.registry.size, 1);
    assert.deepEqual(await hangup(id), { status: 200, body: {} });
    await drained();
    await caller.until(() => caller.channel.readyState === 'closed', 5000, 'the data channel to close');
    const again = await hangup(id);
    assert.equal(again.status, 404);
    assert.equal((again.body.error as { code: string }).code, 'call_not_found');
  });

  test("an unknown call id, or another key's call, is a 404 with OpenAI's error body", async () => {
    const unknown = await hangup('rtc_doesnotexist');
    assert.equal(unknown.status, 404);
    assert.deepEqual(Object.keys(unknown.body.error as object).sort(), ['code', 'message', 'param', 'type']);
    const { id } = await call();
    const foreign = await hangup(id, OTHER);
    assert.equal(foreign.status, 404);
    assert.equal(gateway.registry.size, 1);
    await hangup(id);
    await drained();
  });

  test('reject ends a call whose peer has not connected yet', async () => {
    const caller = new TestCaller();
    callers.push(caller);
    const posted = await post(await caller.offer(), await mint());
    assert.equal(posted.status, 201);
    const response = await fetch(`${base}${posted.location}/reject`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(response.status, 200);
    await drained();
  });

  test('reject is refused (409) for a connected call', async () => {
    const { id } = await call();
    const response = await fetch(`${base}/v1/realtime/calls/${id}/reject`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal(response.status, 409);
    await hangup(id);
    await drained();
  });

  test('a gateway key may post a multipart offer whose session part configures the call', async () => {
    const caller = new TestCaller();
    callers.push(caller);
    const boundary = 'gatewaytest';
    const part = (name: string, body: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${body}\r\n`;
    const session = JSON.stringify({
      type: 'realtime',
      model: 'gpt-realtime',
      instructions: 'From the form.',
    });
    const body = `${part('sdp', await caller.offer())}${part('session', session)}--${boundary}--\r\n`;
    const posted = await post(body, APP, '/v1/realtime/calls', `multipart/form-data; boundary=${boundary}`);
    assert.equal(posted.status, 201, posted.text);
    await caller.accept(posted.text);
    await caller.opened();
    const created = await caller.waitFor('session.created');
    assert.equal((created.session as { instructions?: string }).instructions, 'From the form.');
    await hangup(idOf(posted));
    await drained();
  });
});

describe('faults', () => {
  test('a malformed offer is a 400 that does not use up the secret', async () => {
    const secret = await mint();
    for (const sdp of [
      'not sdp',
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n',
    ]) {
      const refused = await post(sdp, secret);
      assert.equal(refused.status, 400);
      assert.equal((JSON.parse(refused.text) as { error: { code: string } }).error.code, 'invalid_offer');
    }
    const caller = new TestCaller();
    callers.push(caller);
    const posted = await post(await caller.offer(), secret);
    assert.equal(posted.status, 201);
    await caller.accept(posted.text);
    await caller.opened();
    await hangup(idOf(posted));
    await drained();
  });

  test('a client secret opens one call: reusing it is a 401, an unknown one too', async () => {
    const secret = await mint();
    const first = new TestCaller();
    const second = new TestCaller();
    callers.push(first, second);
    const opened = await post(await first.offer(), secret);
    assert.equal(opened.status, 201);
    const reused = await post(await second.offer(), secret);
    assert.equal(reused.status, 401);
    assert.equal((JSON.parse(reused.text) as { error: { code: string } }).error.code, 'invalid_api_key');
    assert.equal((await post(await second.offer(), 'ek_made_up')).status, 401);
    await first.accept(opened.text);
    await first.opened();
    await hangup(idOf(opened));
    await drained();
  });

  test("a key's call limit refuses the next call with 429 and gives its secret back", async () => {
    const first = new TestCaller();
    const second = new TestCaller();
    callers.push(first, second);
    const opened = await post(await first.offer(), await mint(undefined, SOLO));
    assert.equal(opened.status, 201);
    const secret = await mint(undefined, SOLO);
    const refused = await post(await second.offer(), secret);
    assert.equal(refused.status, 429);
    assert.equal((JSON.parse(refused.text) as { error: { code: string } }).error.code, 'too_many_calls');
    assert.equal(gateway.registry.size, 1);
    await first.accept(opened.text);
    await first.opened();
    await hangup(idOf(opened), SOLO);
    await drained();
    // The refused call did not cost the secret.
    const third = new TestCaller();
    callers.push(third);
    const reopened = await post(await third.offer(), secret);
    assert.equal(reopened.status, 201, reopened.text);
    await third.accept(reopened.text);
    await third.opened();
    await hangup(idOf(reopened), SOLO);
    await drained();
  });

  test('an answered call whose peer never connects ends at its connect timeout', {
    timeout: 15_000,
  }, async () => {
    const caller = new TestCaller();
    callers.push(caller);
    const posted = await post(await caller.offer(), await mint());
    assert.equal(posted.status, 201);
    // The answer is never applied: no ICE, no DTLS.
    assert.equal(gateway.registry.size, 1);
    await drained(10_000);
    assert.equal((await hangup(idOf(posted))).status, 404);
  });

  test('a peer that vanishes (its process killed) ends the call and frees its slots', {
    timeout: 20_000,
  }, async () => {
    const secret = await mint();
    const script = fileURLToPath(new URL('./support/vanishing-caller.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, base, secret], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const location = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`the caller exited (${code}) before connecting`)));
    });
    const id = /rtc_[A-Za-z0-9]+/.exec(location)![0];
    assert.equal(gateway.registry.size, 1);
    child.kill('SIGKILL');
    await drained(10_000);
    assert.equal((await hangup(id)).status, 404);
  });
});

describe('a sideband connection', () => {
  test("joins a live call by its id with the owner's key: it hears the call's events and speaks into its session", async () => {
    const { caller, id } = await call({ type: 'realtime', model: 'gpt-realtime' });
    await caller.waitFor('session.created');
    const ws = base.replace('http', 'ws');
    const sideband = await connect(`${ws}/v1/realtime?call_id=${id}`, {
      headers: { authorization: `Bearer ${APP}` },
    });
    // What the sideband sends goes into the call's session: the caller sees its answer.
    sideband.send({
      type: 'session.update',
      session: { type: 'realtime', instructions: 'From the back office.' },
    });
    const updated = await caller.waitFor('session.updated');
    assert.equal((updated.session as { instructions?: string }).instructions, 'From the back office.');
    ask(caller, 'hello');
    await sideband.waitFor('response.done');
    // The gateway's own playout events reach the sideband too, as OpenAI's do, the same ones.
    const stopped = await sideband.waitFor('output_audio_buffer.stopped');
    const types = (client: typeof sideband) =>
      client.frames.map((frame) => JSON.parse(frame.data.toString()) as { type: string; event_id: string });
    const started = types(sideband).find((event) => event.type === 'output_audio_buffer.started');
    assert.ok(started, 'the sideband heard the playout start');
    await caller.waitFor('output_audio_buffer.stopped');
    const seen = caller.events.filter((event) => String(event.type).startsWith('output_audio_buffer.'));
    assert.deepEqual(
      seen.map((event) => event.event_id),
      [started.event_id, stopped.event_id],
      'the caller and the sideband hear the same events',
    );
    // Its leaving does not end the call.
    sideband.socket.close();
    await sideband.closed;
    ask(caller, 'still there?');
    await caller.waitFor('response.done');
    assert.equal((await hangup(id)).status, 200);
    await drained();
  });

  test('a hangup closes the sideband connections with the call', async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    const sideband = await connect(`${base.replace('http', 'ws')}/v1/realtime?call_id=${id}`, {
      headers: { authorization: `Bearer ${APP}` },
    });
    assert.equal((await hangup(id)).status, 200);
    const { code } = await sideband.closed;
    assert.equal(code, 1000, 'the sideband is told the call ended normally');
    await drained();
  });

  test("another key's call, or none at all, is not joined", async () => {
    const { caller, id } = await call();
    await caller.waitFor('session.created');
    const ws = base.replace('http', 'ws');
    const foreign = await expectRefused(`${ws}/v1/realtime?call_id=${id}`, {
      headers: { authorization: `Bearer ${OTHER}` },
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.error.code, 'call_not_found');
    const anonymous = await expectRefused(`${ws}/v1/realtime?call_id=${id}`);
    assert.equal(anonymous.status, 401);
    assert.equal((await hangup(id)).status, 200);
    await drained();
    // No upstream here runs calls of its own, so an id the gateway does not hold opens nothing.
    for (const unknown of [id, 'rtc_none']) {
      const gone = await expectRefused(`${ws}/v1/realtime?call_id=${unknown}`, {
        headers: { authorization: `Bearer ${APP}` },
      });
      assert.equal(gone.status, 404, unknown);
      assert.equal(gone.json.error.code, 'call_not_found');
    }
    assert.equal(gateway.registry.size, 0);
  });
});
