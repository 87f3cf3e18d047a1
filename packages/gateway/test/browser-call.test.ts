/**
 * A real browser calls through the gateway: Debian's Chromium, headless, opens the example
 * voice-call page from another origin than the gateway, and calls `realtime-gateway` run as
 * `npm start` runs it (the embedded reference engine, no keys). The page mints a client secret,
 * posts its offer and talks on the data channel; its fake microphone plays a recording.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type PageServer, serveVoiceCallPage } from '../examples/voice-call-page.js';
import { haveChromium, launchChromium } from './support/browser.js';
import { freePort, type Running, startCli } from './support/cli.js';
import { connect, delay } from './support/harness.js';

const SPEECH = fileURLToPath(new URL('../examples/speech.wav', import.meta.url));

/** The fields of a WebRTC stats report the test reads (the page's types are the browser's). */
interface AudioReport {
  readonly type: string;
  readonly kind?: string;
  readonly packetsReceived?: number;
  readonly totalAudioEnergy?: number;
}

type PageEvent = { type: string } & Record<string, unknown>;

/** The part of the page's RTCPeerConnection the mDNS test drives (the tests compile without DOM types). */
interface PagePeer {
  readonly iceGatheringState: string;
  readonly connectionState: string;
  readonly localDescription: { readonly sdp: string } | null;
  onicegatheringstatechange: (() => void) | null;
  createDataChannel(label: string): { onmessage: ((message: { data: unknown }) => void) | null };
  addTransceiver(kind: string, init: { direction: string }): unknown;
  createOffer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(description: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(description: { type: string; sdp: string }): Promise<void>;
  close(): void;
}

let running: Running | null = null;
let pageServer: PageServer | null = null;
let browser: Browser | null = null;
let gatewayUrl = '';

before(async () => {
  const port = await freePort();
  running = await startCli({
    server: { port },
    log: { level: 'warn' },
    webrtc: { iceAddresses: ['127.0.0.1'] },
  });
  gatewayUrl = `http://127.0.0.1:${port}`;
  pageServer = await serveVoiceCallPage(0);
});

after(async () => {
  await browser?.close();
  await pageServer?.close();
  if (running !== null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
});

/** The page's events of `type`, waiting up to `timeoutMs` for at least `count` of them. */
async function eventsOf(page: Page, type: string, count = 1, timeoutMs = 15_000): Promise<PageEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await page.evaluate(
      (wanted) =>
        (globalThis as unknown as { voiceCall: { events: PageEvent[] } }).voiceCall.events.filter(
          (e) => e.type === wanted,
        ),
      type,
    )) as PageEvent[];
    if (events.length >= count) return events;
    if (Date.now() > deadline) {
      const seen = await page.evaluate(
        () => (globalThis as unknown as { voiceCall: { events: PageEvent[]; errors: unknown[] } }).voiceCall,
      );
      throw new Error(
        `no ${count} × ${type}; saw ${seen.events.map((e) => e.type).join(', ')} ${JSON.stringify(seen.errors)}`,
      );
    }
    await delay(50);
  }
}

/** What the page's peer connection has received on its audio track. */
function inboundAudio(page: Page): Promise<{ packets: number; energy: number }> {
  return page.evaluate(async () => {
    const peer = (
      globalThis as unknown as { voiceCall: { peer: { getStats(): Promise<Map<string, AudioReport>> } } }
    ).voiceCall.peer;
    let packets = 0;
    let energy = 0;
    (await peer.getStats()).forEach((report: AudioReport) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') {
        packets += report.packetsReceived ?? 0;
        energy += report.totalAudioEnergy ?? 0;
      }
    });
    return { packets, energy };
  });
}

const send = (page: Page, event: object) =>
  page.evaluate((e) => (globalThis as unknown as { voiceCallSend(e: object): void }).voiceCallSend(e), event);

describe('a browser call through npm start', () => {
  test('mint, offer, data channel; the microphone reaches the VAD; an answer is heard; an interruption truncates at the played point; a sideband joins', async (t) => {
    if (!haveChromium(t)) return;
    browser = await launchChromium({ microphone: SPEECH });
    const page = await browser.newPage();
    await page.goto(`${pageServer!.url}/?gateway=${encodeURIComponent(gatewayUrl)}`);
    await page.click('#call');
    await page.waitForFunction(
      () => (globalThis as unknown as { voiceCall: { state: string } }).voiceCall.state === 'connected',
      null,
      {
        timeout: 15_000,
      },
    );
    await eventsOf(page, 'session.created');

    // The recording on the fake microphone is speech to the engine: a turn, answered in audio.
    await eventsOf(page, 'input_audio_buffer.speech_started');
    await eventsOf(page, 'response.done');
    await eventsOf(page, 'output_audio_buffer.stopped');
    const heard = await inboundAudio(page);
    assert.ok(heard.packets > 20, `audio packets received: ${heard.packets}`);
    assert.ok(heard.energy > 0, 'the page heard sound, not silence');

    const callId = (await page.evaluate(
      () => (globalThis as unknown as { voiceCall: { callId: string } }).voiceCall.callId,
    )) as string;
    assert.match(callId, /^rtc_/);
    // A sideband connection (no key: npm start has none) joins the call by its id.
    const sideband = await connect(`${gatewayUrl.replace('http', 'ws')}/v1/realtime?call_id=${callId}`);

    // A text turn, answered in audio; the page interrupts it while it plays.
    await send(page, {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'tell me everything about the long history of the sea and its ships' },
        ],
      },
    });
    await send(page, { type: 'response.create' });
    await sideband.waitFor('response.created');
    const started = await eventsOf(page, 'output_audio_buffer.started', 2);
    await delay(600);
    await send(page, { type: 'output_audio_buffer.clear' });
    await eventsOf(page, 'output_audio_buffer.cleared');
    const [truncated] = await eventsOf(page, 'conversation.item.truncated');
    const played = truncated!.audio_end_ms as number;
    assert.ok(played >= 300 && played <= 3000, `truncated at ${played} ms of audio, about what was played`);
    assert.equal(truncated!.item_id, started.at(-1)!.item_id ?? truncated!.item_id);
    await sideband.waitFor('conversation.item.truncated');
    sideband.socket.close();
    await page.click('#hangup');
  });

  test('an offer whose candidates are mDNS names, as browsers hide their addresses by default, still connects', async (t) => {
    if (!haveChromium(t)) return;
    const hiding = await launchChromium({ mdnsCandidates: true });
    try {
      const page = await hiding.newPage();
      await page.goto(`${pageServer!.url}/`);
      // Unlike the example page (which posts at once, as OpenAI's examples do, so its offer has
      // no candidates at all), this caller waits for its candidates, and they are `….local`.
      const outcome = await page.evaluate(async (gateway) => {
        const minted = await fetch(`${gateway}/v1/realtime/client_secrets`, { method: 'POST', body: '{}' });
        const { value } = (await minted.json()) as { value: string };
        const { RTCPeerConnection } = globalThis as unknown as { RTCPeerConnection: new () => PagePeer };
        const peer = new RTCPeerConnection();
        const channel = peer.createDataChannel('oai-events');
        peer.addTransceiver('audio', { direction: 'sendrecv' });
        const created = new Promise<string>((resolve) => {
          channel.onmessage = (message: { data: unknown }) => {
            const event = JSON.parse(message.data as string) as { type: string };
            if (event.type === 'session.created') resolve(event.type);
          };
        });
        await peer.setLocalDescription(await peer.createOffer());
        await new Promise<void>((resolve) => {
          if (peer.iceGatheringState === 'complete') return resolve();
          peer.onicegatheringstatechange = () => {
            if (peer.iceGatheringState === 'complete') resolve();
          };
        });
        const offer = peer.localDescription!.sdp;
        const answer = await fetch(`${gateway}/v1/realtime/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${value}`, 'content-type': 'application/sdp' },
          body: offer,
        });
        await peer.setRemoteDescription({ type: 'answer', sdp: await answer.text() });
        const first = await Promise.race([
          created,
          new Promise<string>((resolve) =>
            setTimeout(() => resolve(`timed out: ${peer.connectionState}`), 10_000),
          ),
        ]);
        peer.close();
        return { offer, status: answer.status, first };
      }, gatewayUrl);
      const candidates = outcome.offer
        .split(/\r?\n/)
        .filter((line: string) => line.startsWith('a=candidate:'));
      assert.ok(candidates.length > 0, 'the offer has candidates');
      assert.ok(
        candidates.every((line: string) => / [0-9a-f-]+\.local /.test(line)),
        `only mDNS candidates: ${candidates.join(' | ')}`,
      );
      assert.equal(outcome.status, 201);
      // The gateway cannot resolve the names; it learns the browser's address from its checks.
      assert.equal(outcome.first, 'session.created');
    } finally {
      await hiding.close();
    }
  });
});
