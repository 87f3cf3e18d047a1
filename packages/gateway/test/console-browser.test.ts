/**
 * The web console in a real browser: Debian's Chromium, headless, signs in with the keyboard,
 * watches sessions of real WebSocket clients (the reference engine as their upstream) come and
 * go, follows one session's events and conversation during a turn, terminates one, and reads
 * the usage chart. Screenshots go to test-artifacts/console/ (two of them are in the README).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { hashKey } from '../src/auth/credentials.js';
import { spokenTurn } from './support/audio.js';
import { haveChromium, launchChromium } from './support/browser.js';
import { ADMIN_KEY, type ConsoleRig, startConsoleRig } from './support/console.js';
import { connect, startRig, type TestClient } from './support/harness.js';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));
const TEAM = { headers: { authorization: 'Bearer rg-team-a' } };

let rig: ConsoleRig;
let browser: Browser | null = null;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  rig = await startConsoleRig({
    console: { pushIntervalMs: 200, signInAttemptsPerMinute: 100 },
    auth: {
      keys: [
        { id: 'team-a', hash: `sha256:${hashKey('rg-team-a')}`, budget: { usd: 0.05, period: 'day' } },
        { id: 'team-b', hash: `sha256:${hashKey('rg-team-b')}` },
      ],
    },
    recording: { dir: await mkdtemp(join(tmpdir(), 'console-recordings-')), include: 'audio' },
  });
});

after(async () => {
  await browser?.close();
  await rig.close();
});

/** A page of the console, signed in with the keyboard as an operator would. */
async function signedInPage(): Promise<Page> {
  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${rig.base}/console/`);
  await page.getByLabel('Admin key').waitFor();
  await page.keyboard.type(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Live sessions/ }).waitFor();
  return page;
}

function speak(client: TestClient, pcm: Buffer): void {
  for (let k = 0; k < pcm.length; k += 4800)
    client.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(k, k + 4800).toString('base64') });
}

async function textTurn(client: TestClient, text: string): Promise<void> {
  client.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  client.send({ type: 'response.create' });
  await client.waitFor('response.done');
}

describe('the console in Chromium', () => {
  test('a wrong key is refused at sign-in, and the page says so', async (t) => {
    if (!haveChromium(t)) return;
    browser ??= await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${rig.base}/console/`);
    await page.getByLabel('Admin key').fill('not-the-admin-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the admin key.' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: /Live sessions/ }).count(), 0);
    assert.deepEqual(await page.context().cookies(), []);
    await page.screenshot({ path: join(ARTIFACTS, 'sign-in-refused.png') });
    await page.close();
  });

  test('a live session appears within a second of its start and disappears when it ends', async (t) => {
    if (!haveChromium(t)) return;
    const page = await signedInPage();
    await page.getByText('No live sessions.').waitFor();
    const client = await connect(`${rig.url}?model=gpt-realtime`, TEAM);
    await client.waitFor('session.created');
    const row = page.locator('tr[data-session]');
    // The feed pushes every 200 ms here: a second is the promise, with room to spare.
    await row.waitFor({ timeout: 1000 });
    assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 5), [
      'gpt-realtime',
      'engine',
      'team-a',
      'websocket',
    ]);
    client.socket.close();
    await client.closed;
    await row.waitFor({ state: 'detached', timeout: 5000 });
    await page.close();
  });

  test("a session's events stream into its page during a turn, with the conversation", async (t) => {
    if (!haveChromium(t)) return;
    const page = await signedInPage();
    const client = await connect(`${rig.url}?model=gpt-realtime`, TEAM);
    await client.waitFor('session.created');
    const other = await connect(`${rig.url}?model=gpt-realtime-mini`, {
      headers: { authorization: 'Bearer rg-team-b' },
    });
    await other.waitFor('session.created');
    await textTurn(other, 'Good morning');
    await page.locator('tr[data-session]').nth(1).waitFor();
    await page.getByPlaceholder('id, model, upstream, key…').fill('team-a');
    await page.locator('tr[data-session]').nth(1).waitFor({ state: 'detached' });
    const link = page.locator('tr[data-session] a');
    const id = (await link.textContent())!.trim();
    await link.click();
    await page.getByRole('heading', { name: id }).waitFor();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await page.locator('tr[data-type="session.created"]').waitFor();
    assert.equal(await page.locator('tr[data-type="response.done"]').count(), 0);
    await textTurn(client, 'What is the weather like?');
    speak(client, spokenTurn());
    await client.until('response.done');
    await page.locator('tr[data-type="response.done"]').nth(1).waitFor();
    const audio = page.locator('tr[data-type="response.output_audio.delta"]').first();
    assert.equal((await audio.locator('td').last().textContent())!.trim(), 'audio');
    await page
      .locator('.transcript li.speaker-user')
      .filter({ hasText: 'What is the weather like?' })
      .waitFor();
    await page.locator('.transcript li.speaker-assistant').first().waitFor();
    const shown = (await page.locator('.timeline').textContent())!;
    assert.ok(!shown.includes(spokenTurn().subarray(19_200, 19_260).toString('base64')), 'no audio bytes');
    // A payload opened, as an operator would: rendered log-safe.
    const transcript = page.locator('tr[data-type="response.output_audio_transcript.done"]').first();
    await transcript.getByRole('button', { name: 'payload' }).click();
    assert.match((await page.locator('tr.payload pre').textContent())!, /"transcript":/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-session.png'), fullPage: true });
    // Its end: the page says so, and its recording is there to play, with its waveform.
    client.socket.close();
    await client.closed;
    await page.getByRole('status').filter({ hasText: 'Ended' }).waitFor();
    await page.locator('audio[src^="blob:"]').waitFor({ timeout: 15_000 });
    other.socket.close();
    await other.closed;
    await page.close();
  });

  test('a session terminated from the table ends with the reason given', async (t) => {
    if (!haveChromium(t)) return;
    const page = await signedInPage();
    const clients = await Promise.all(
      ['gpt-realtime', 'gpt-realtime-mini'].map(async (model, i) => {
        const client = await connect(
          `${rig.url}?model=${model}`,
          i === 0 ? TEAM : { headers: { authorization: 'Bearer rg-team-b' } },
        );
        await client.waitFor('session.created');
        await textTurn(client, 'Hello there');
        return client;
      }),
    );
    await page.locator('tr[data-session]').nth(1).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-sessions.png') });
    const row = page.locator('tr[data-session]').filter({ hasText: 'team-b' });
    await row.getByRole('button', { name: 'Terminate…' }).click();
    const reason = row.getByLabel('Reason');
    await reason.fill('maintenance window');
    await reason.press('Enter');
    assert.deepEqual(await clients[1]!.closed, { code: 1008, reason: 'maintenance window' });
    await row.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await page.locator('tr[data-session]').count(), 1);
    clients[0]!.socket.close();
    await clients[0]!.closed;
    await page.close();
  });

  test('the usage page charts spend per day from the ledger, with the daily budget drawn in', async (t) => {
    if (!haveChromium(t)) return;
    const page = await signedInPage();
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Spend per day (USD)' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    assert.ok(await page.getByText('budget of team-a').isVisible(), 'the budget is in the legend');
    await page.locator('.bars li').filter({ hasText: 'team-a' }).waitFor();
    await page.locator('.bars li').filter({ hasText: 'gpt-realtime' }).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-usage.png'), fullPage: true });
    await page.getByRole('link', { name: 'Upstreams' }).click();
    await page.getByRole('cell', { name: 'engine' }).waitFor();
    assert.deepEqual((await page.locator('tbody tr td').allTextContents()).slice(1, 3), [
      '● healthy',
      'closed',
    ]);
    await page.close();
  });

  test('without the admin API there is no console', async (t) => {
    if (!haveChromium(t)) return;
    browser ??= await launchChromium();
    const bare = await startRig();
    try {
      const page = await browser.newPage();
      const response = await page.goto(`${bare.gateway.address!.url}/console/`);
      assert.equal(response?.status(), 404);
      await page.close();
    } finally {
      await bare.close();
    }
  });
});
