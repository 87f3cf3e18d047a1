/**
 * Debian's Chromium, driven headless by playwright-core (never a downloaded browser). On a
 * developer machine without it a browser test skips, saying what to install; under CI
 * (`CI=true`) a missing browser is a failure.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser is there; when it is not, skips `t` with what to install (outside CI) or
 * throws (under CI).
 */
export function haveChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `needs Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** Options for {@link launchChromium}. */
export interface LaunchOptions {
  /** A WAV file the fake microphone plays (once, not looped). */
  readonly microphone?: string;
  /**
   * Whether the page's host candidates are hidden behind mDNS names (`….local`), as a browser's
   * are by default for a page without microphone permission (there is no fake microphone then);
   * without it they carry plain loopback addresses.
   */
  readonly mdnsCandidates?: boolean;
}

/**
 * Starts headless Chromium as these machines need it: no sandbox (root), no GPU, no background
 * traffic to Google's hosts (the network is closed), fake media devices, and WebRTC allowed on
 * loopback with plain IP candidates.
 *
 * @example
 * const browser = await launchChromium({ microphone: 'speech.wav' });
 */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A page allowed the microphone sees plain addresses; one not asked for it, mDNS names.
      ...(options.mdnsCandidates
        ? []
        : ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']),
      ...(options.microphone ? [`--use-file-for-fake-audio-capture=${options.microphone}%noloop`] : []),
      '--allow-loopback-in-peer-connection',
      ...(options.mdnsCandidates ? [] : ['--disable-features=WebRtcHideLocalIpsWithMdns']),
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}
