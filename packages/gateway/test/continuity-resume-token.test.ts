/**
 * Resume tokens: minted for a session and a key, refused when forged, altered, expired, from
 * another process or presented by another key, and refused over HTTP in OpenAI's shape.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../protocol/test/support/hostile.js';
import {
  createResumeTokens,
  deploymentResumeSecret,
  type ResumeCheck,
  resumeRefusal,
} from '../src/continuity/resume-token.js';
import { resumeRequestOf } from '../src/http/resume-request.js';
import { refusalBody } from '../src/refusal.js';

const SECRET = new Uint8Array(32).fill(7);
const NOW = 1_760_000_000_000;

function mintOne(options: { sessionId?: string; keyId?: string; ttlMs?: number } = {}) {
  const tokens = createResumeTokens({ secret: SECRET });
  const token = tokens.mint(options.sessionId ?? 'sess_A1', options.keyId ?? 'key_1', {
    ttlMs: options.ttlMs ?? 60_000,
    now: NOW,
  });
  return { tokens, token };
}

describe('resume tokens', () => {
  test('a fresh token checks out for its key, with the session and expiry it was minted for', () => {
    const { tokens, token } = mintOne();
    assert.deepEqual(tokens.check(token, 'key_1', NOW + 1), {
      ok: true,
      sessionId: 'sess_A1',
      keyId: 'key_1',
      expiresAt: NOW + 60_000,
    });
  });

  test('is opaque about the key: the key id does not appear in it', () => {
    const { token } = mintOne({ keyId: 'key_very_recognisable' });
    assert.equal(token.includes('key_very'), false);
    assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').toString().includes('key_very'), false);
    assert.match(token, /^rt1\.[A-Za-z0-9_.-]+$/);
  });

  test('expires: valid until just before expiresAt, expired from it on', () => {
    const { tokens, token } = mintOne({ ttlMs: 1000 });
    assert.equal(tokens.check(token, 'key_1', NOW + 999).ok, true);
    assert.deepEqual(tokens.check(token, 'key_1', NOW + 1000), {
      ok: false,
      reason: 'expired',
      sessionId: 'sess_A1',
      expiredAt: NOW + 1000,
    });
  });

  test('another key gets other_key, even once the token has expired', () => {
    const { tokens, token } = mintOne({ ttlMs: 1000 });
    assert.deepEqual(tokens.check(token, 'key_2', NOW), { ok: false, reason: 'other_key' });
    assert.deepEqual(tokens.check(token, 'key_2', NOW + 5000), { ok: false, reason: 'other_key' });
  });

  test('a token from another process (another secret) is unknown', () => {
    const { token } = mintOne();
    const other = createResumeTokens();
    assert.deepEqual(other.check(token, 'key_1', NOW), { ok: false, reason: 'unknown' });
    const fresh = createResumeTokens();
    assert.notEqual(
      fresh.mint('s', 'k', { ttlMs: 1, now: 0 }),
      createResumeTokens().mint('s', 'k', { ttlMs: 1, now: 0 }),
    );
  });

  test('processes of one deployment share the secret derived from its forwarding token', () => {
    const forwarding = 'a-forwarding-token-of-the-deployment-0123456789';
    const onA = createResumeTokens({ secret: deploymentResumeSecret(forwarding) });
    const onB = createResumeTokens({ secret: deploymentResumeSecret(forwarding) });
    const token = onA.mint('sess_A1', 'key_1', { ttlMs: 60_000, now: NOW });
    assert.equal(onB.check(token, 'key_1', NOW).ok, true);
    const elsewhere = createResumeTokens({ secret: deploymentResumeSecret(`${forwarding}-other`) });
    assert.deepEqual(elsewhere.check(token, 'key_1', NOW), { ok: false, reason: 'unknown' });
    assert.notDeepEqual(deploymentResumeSecret(forwarding), Buffer.from(forwarding));
  });

  test('sessionOf names the session of a genuine token, whoever holds it and however old', () => {
    const { tokens, token } = mintOne({ ttlMs: 1 });
    assert.equal(tokens.sessionOf(token), 'sess_A1');
    assert.equal(createResumeTokens().sessionOf(token), null, 'another secret');
    assert.equal(tokens.sessionOf(`${token.slice(0, -2)}AA`), null, 'an altered signature');
    assert.equal(tokens.sessionOf('rt1.bm9wZQ'), null, 'a malformed token');
  });

  test('any altered part makes the token unknown', () => {
    const { tokens, token } = mintOne();
    const parts = token.split('.');
    const swaps: string[][] = [
      ['rt2', ...parts.slice(1)],
      [parts[0]!, Buffer.from('sess_B2').toString('base64url'), ...parts.slice(2)],
      [...parts.slice(0, 2), Buffer.alloc(12).toString('base64url'), ...parts.slice(3)],
      [...parts.slice(0, 3), (NOW + 10_000_000).toString(36), parts[4]!],
      [...parts.slice(0, 4), Buffer.alloc(32).toString('base64url')],
    ];
    for (const swapped of swaps)
      assert.deepEqual(tokens.check(swapped.join('.'), 'key_1', NOW), { ok: false, reason: 'unknown' });
    // Flipping one character of the signature, wherever it is.
    const signature = parts[4]!;
    for (let i = 0; i < signature.length; i++) {
      const c = signature[i] === 'A' ? 'B' : 'A';
      const altered = [...parts.slice(0, 4), signature.slice(0, i) + c + signature.slice(i + 1)].join('.');
      assert.equal(tokens.check(altered, 'key_1', NOW).ok, false, `signature character ${i}`);
    }
  });

  test('malformed input is unknown, never an exception', () => {
    const { tokens, token } = mintOne();
    const inputs: unknown[] = [
      '',
      'rt1',
      'rt1....',
      `${token}.extra`,
      token.slice(0, -1),
      token.replace(/\./g, '..'),
      `rt1.${'A'.repeat(600)}.A.1.A`,
      'rt1.!!.AA.1.AA',
      'rt1.AA.AA.ZZ.AA',
      'rt1.AA.AA.1234567890123.AA',
      undefined,
      42,
    ];
    for (const input of inputs)
      assert.deepEqual(tokens.check(input as string, 'key_1', NOW), { ok: false, reason: 'unknown' });
  });

  test('session ids of any characters survive the round trip', () => {
    for (const sessionId of ['sess_x', 'ümlaut.session', 'a.b.c', 's'.repeat(200)]) {
      const { tokens, token } = mintOne({ sessionId });
      const result = tokens.check(token, 'key_1', NOW);
      assert.equal(result.ok && result.sessionId, sessionId);
    }
  });

  test('keys whose ids share a prefix are told apart', () => {
    const { tokens, token } = mintOne({ keyId: 'key_1' });
    assert.equal(tokens.check(token, 'key_10', NOW).ok, false);
    assert.equal(tokens.check(token, 'key_', NOW).ok, false);
  });

  test('refuses a short secret, a ttl that is not positive and an empty session id', () => {
    assert.throws(() => createResumeTokens({ secret: new Uint8Array(16) }), RangeError);
    const tokens = createResumeTokens();
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => tokens.mint('s', 'k', { ttlMs, now: NOW }), RangeError);
    assert.throws(() => tokens.mint('', 'k', { ttlMs: 1, now: NOW }), RangeError);
    assert.throws(() => tokens.mint('s'.repeat(400), 'k', { ttlMs: 1, now: NOW }), RangeError);
  });
});

describe('resumeRefusal', () => {
  const refused = (result: ResumeCheck) => {
    assert.equal(result.ok, false);
    return result.ok ? assert.fail() : resumeRefusal(result);
  };

  test('an expired token says so', () => {
    const r = refused({ ok: false, reason: 'expired', sessionId: 's', expiredAt: 0 });
    assert.equal(r.status, 401);
    assert.equal(r.code, 'resume_token_expired');
    assert.deepEqual(JSON.parse(refusalBody(r)), {
      error: {
        message: 'The resume token has expired; open a new session.',
        type: 'invalid_request_error',
        param: 'resume_token',
        code: 'resume_token_expired',
      },
    });
  });

  test('unknown and other_key read the same, so a token cannot probe another key', () => {
    const unknown = refused({ ok: false, reason: 'unknown' });
    const otherKey = refused({ ok: false, reason: 'other_key' });
    assert.deepEqual(unknown, otherKey);
    assert.equal(unknown.code, 'invalid_resume_token');
    assert.equal(unknown.status, 401);
  });
});

describe('resume tokens under hostile input (fuzzed)', () => {
  test('no string, nor any edit of a valid token, checks out or throws', () => {
    const { tokens, token } = mintOne();
    const edits = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      // One character of the valid token replaced, dropped or added.
      fc
        .tuple(fc.nat({ max: token.length - 1 }), fc.string({ minLength: 0, maxLength: 2 }))
        .map(([at, put]) => token.slice(0, at) + put + token.slice(at + 1))
        .filter((edited) => edited !== token),
      // Its parts shuffled or repeated.
      fc.shuffledSubarray(token.split('.'), { minLength: 1 }).map((parts) => parts.join('.')),
    );
    fc.assert(
      fc.property(edits, fc.string({ maxLength: 40 }), (candidate, keyId) => {
        const result: ResumeCheck = tokens.check(candidate, keyId, NOW + 1);
        assert.equal(result.ok, false);
      }),
      fuzzParameters(500),
    );
  });
});

describe('resume requests under hostile headers (fuzzed)', () => {
  test('any header or subprotocol value is read without a throw, the event id bounded', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constant(''),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    fc.assert(
      fc.property(value, value, fc.array(value, { maxLength: 5 }), (token, lastEvent, protocols) => {
        const req = {
          headers: {
            'x-realtime-gateway-resume': token,
            'x-realtime-gateway-last-event-id': lastEvent,
            'sec-websocket-protocol': protocols.join(', '),
          },
        } as unknown as IncomingMessage;
        const parsed = resumeRequestOf(req);
        if (parsed === null) return;
        assert.equal(typeof parsed.token, 'string');
        assert.ok(parsed.lastEventId === null || parsed.lastEventId.length <= 128);
      }),
      fuzzParameters(500),
    );
  });
});
