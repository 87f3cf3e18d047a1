/**
 * Hostile request targets (bad percent-escapes, targets `new URL` cannot parse) are 400s with
 * an OpenAI-shaped body on every route, and no answer ever carries an exception's text: a
 * handler that throws gets the client a generic 500 while the error goes to the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashKey } from '../src/auth/credentials.js';
import type { SessionLog } from '../src/session/observer.js';
import { type Rig, startRig } from './support/harness.js';
import { errorOf, plainRequest, rawRequest, upgradeRequest } from './support/raw-http.js';

const ADMIN_KEY = 'rg-admin-secret';
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };
/** What exception texts from URL parsing and decoding look like. */
const EXCEPTION_TEXT = /URI malformed|Invalid URL|TypeError|URIError|ERR_|at .*\.ts:\d+/;

describe('hostile request targets', () => {
  let rig: Rig;
  let port: number;
  before(async () => {
    rig = await startRig({ admin: { keyHash: `sha256:${hashKey(ADMIN_KEY)}` } });
    port = rig.gateway.address!.port;
  });
  after(() => rig.close());

  it('GET /admin/sessions/%E0%A4%A is a 400 with an OpenAI-shaped body', async () => {
    const answer = await rawRequest(port, plainRequest('/admin/sessions/%E0%A4%A', ADMIN));
    assert.equal(answer.status, 400);
    assert.equal(answer.headers['content-type'], 'application/json');
    const error = errorOf(answer.body);
    assert.equal(error.code, 'invalid_path');
    assert.equal(error.type, 'invalid_request_error');
  });

  it('a percent-escape that is not UTF-8 is a 400 too, for DELETE as for GET', async () => {
    for (const method of ['GET', 'DELETE']) {
      const answer = await rawRequest(port, plainRequest('/admin/sessions/%FF', ADMIN, method));
      assert.equal(answer.status, 400, method);
      assert.equal(errorOf(answer.body).code, 'invalid_path');
    }
  });

  const hostile = [
    '/admin/sessions/%E0%A4%A',
    '/admin/sessions/%',
    '/admin/sessions/%ZZ?reason=%E0',
    '//[',
    '//[/admin/sessions',
    '/v1/realtime/calls/%E0%A4%A/accept',
    '/v1/realtime/sessions/%',
    '/healthz%',
    '/metrics/%C0%AF',
  ];

  it('no hostile target, on any route, with or without the admin key, gets a 500 or exception text', async () => {
    for (const target of hostile) {
      for (const headers of [{}, ADMIN]) {
        const answer = await rawRequest(port, plainRequest(target, headers));
        assert.ok(answer.status >= 400 && answer.status < 500, `${target}: status ${answer.status}`);
        assert.doesNotMatch(answer.body, EXCEPTION_TEXT, target);
        errorOf(answer.body);
      }
    }
  });

  it('a WebSocket upgrade with a bad percent-escape in its path is a 400 too; in its query, read leniently', async () => {
    for (const target of ['/v1/realtime%E0%A4%A?model=gpt-realtime', '/v1/%?model=gpt-realtime']) {
      const answer = await rawRequest(port, upgradeRequest(target));
      assert.equal(answer.status, 400, target);
      assert.equal(errorOf(answer.body).code, 'invalid_path');
    }
    // The query is decoded leniently: the bad intent is what the client is told about.
    const answer = await rawRequest(port, upgradeRequest('/v1/realtime?model=%E0%A4%A&intent=%'));
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer.body).code, 'invalid_value');
    assert.doesNotMatch(answer.body, EXCEPTION_TEXT);
    assert.equal(rig.upstream.requests.length, 0);
  });
});

describe('a handler that throws', () => {
  const logged: { fields: Record<string, unknown>; message: string }[] = [];
  const log: SessionLog = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (fields, message) => logged.push({ fields: fields as Record<string, unknown>, message }),
  };
  let rig: Rig;
  before(async () => {
    rig = await startRig(
      {},
      {
        log,
        handlers: [
          (req) => {
            if (!req.url?.startsWith('/boom')) return false;
            throw new Error('secret internal detail at /srv/gateway/handler.ts:12');
          },
        ],
      },
    );
  });
  after(() => rig.close());

  it('answers a generic 500 and logs the error with the path cut short', async () => {
    const longPath = `/boom/${'a'.repeat(5000)}`;
    const answer = await rawRequest(rig.gateway.address!.port, plainRequest(longPath));
    assert.equal(answer.status, 500);
    const error = errorOf(answer.body);
    assert.equal(error.code, 'internal_error');
    assert.equal(error.type, 'server_error');
    assert.doesNotMatch(answer.body, /secret|handler\.ts/);
    const entry = logged.find((e) => e.message === 'request failed');
    assert.ok(entry, 'the failure is logged');
    assert.match(String(entry.fields.err), /secret internal detail/);
    assert.equal(entry.fields.method, 'GET');
    const path = String(entry.fields.path);
    assert.ok(path.startsWith('/boom/aaa') && path.length <= 201, `logged path of ${path.length} chars`);
  });
});
