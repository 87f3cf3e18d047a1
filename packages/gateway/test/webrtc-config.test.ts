/**
 * The configuration of terminated WebRTC calls: per-upstream defaults by kind, the `webrtc`
 * section's defaults and checks, per-key call limits, and the TURN credential kept out of
 * printed configurations.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineUpstream, openAiUpstream } from '../src/config/defaults.js';
import { redactConfig } from '../src/config/redact.js';
import { DEFAULT_WEBRTC, resolveConfig } from '../src/config/resolve.js';

const noFiles = { env: {}, readFile: (): string => assert.fail('no file read expected') };

describe('webrtc configuration', () => {
  test('generic upstreams and the embedded engine terminate calls; openai and azure forward them', () => {
    const result = resolveConfig(
      {
        upstreams: [
          { name: 'self', baseUrl: 'http://127.0.0.1:9/v1' },
          { name: 'oa', baseUrl: 'https://api.openai.com/v1', kind: 'openai' },
          { name: 'az', baseUrl: 'https://x.openai.azure.com/openai/v1', kind: 'azure' },
          { name: 'pinned', baseUrl: 'http://127.0.0.1:9/v1', webrtc: 'forward' },
        ],
      },
      noFiles,
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.config.upstreams.map((upstream) => upstream.webrtc),
      ['terminate', 'forward', 'forward', 'forward'],
    );
    assert.equal(engineUpstream('http://127.0.0.1:9/v1').webrtc, 'terminate');
    assert.equal(openAiUpstream('sk').webrtc, 'forward');
  });

  test('the section defaults, and keys take maxCallsPerKey unless they set maxCalls', () => {
    const result = resolveConfig(
      {
        webrtc: { maxCallsPerKey: 7 },
        auth: {
          keys: [
            { id: 'a', hash: `sha256:${'a'.repeat(64)}` },
            { id: 'b', hash: `sha256:${'b'.repeat(64)}`, maxCalls: 2 },
          ],
        },
      },
      noFiles,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.config.webrtc, {
      iceAddresses: [],
      iceServers: [],
      maxCalls: DEFAULT_WEBRTC.maxCalls,
      maxCallsPerKey: 7,
      idleTimeoutMs: DEFAULT_WEBRTC.idleTimeoutMs,
      connectTimeoutMs: DEFAULT_WEBRTC.connectTimeoutMs,
    });
    assert.deepEqual(
      result.config.auth.keys.map((key) => key.maxCalls),
      [7, 2],
    );
  });

  test('an ICE address that is not an IP, a server URL that is not stun/turn, a missing credential are errors', () => {
    const result = resolveConfig(
      {
        webrtc: {
          iceAddresses: ['127.0.0.1', 'localhost'],
          iceServers: [
            { urls: 'http://stun.example' },
            { urls: 'turn:turn.example:3478', credentialEnv: 'NOPE' },
          ],
        },
      },
      noFiles,
    );
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((error) => error.field),
      ['webrtc.iceAddresses[1]', 'webrtc.iceServers[0].urls', 'webrtc.iceServers[1].credentialEnv'],
    );
  });

  test('a TURN credential comes from the environment and is redacted when printed', () => {
    const result = resolveConfig(
      {
        webrtc: {
          iceServers: [{ urls: 'turn:turn.example:3478', username: 'u', credentialEnv: 'TURN_PASS' }],
        },
      },
      { env: { TURN_PASS: 'hunter2' }, readFile: noFiles.readFile },
    );
    assert.ok(result.ok);
    assert.equal(result.config.webrtc.iceServers[0]?.credential, 'hunter2');
    const printed = JSON.stringify(redactConfig(result.config));
    assert.doesNotMatch(printed, /hunter2/);
    assert.match(printed, /redacted, from TURN_PASS/);
  });
});
