/**
 * The session's seam between middleware and a client transport that plays audio itself (a
 * WebRTC call's leg), over scripted legs: what the leg played and announced reaches the
 * middleware that watch for it, and a middleware's `clearOutputAudio` reaches the leg, only
 * while the session relays.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LegReport, Middleware, MiddlewareContext } from '../src/session/middleware.js';
import { sessionRig } from './support/session-rig.js';

/** A middleware that keeps every report, and the context to act through. */
function watcher(): { middleware: Middleware; reports: LegReport[]; context: () => MiddlewareContext } {
  const reports: LegReport[] = [];
  let ctx: MiddlewareContext | null = null;
  const middleware: Middleware = {
    name: 'watcher',
    open: (context) => {
      ctx = context;
    },
    onClientLeg: (report) => {
      reports.push(report);
    },
  };
  return { middleware, reports, context: () => ctx! };
}

test("a client leg's played audio and own events reach the middleware that watch; clearOutputAudio reaches the leg", async () => {
  const { middleware, reports, context } = watcher();
  const bystander: Middleware = { name: 'bystander' };
  const { client, session } = sessionRig([() => bystander, () => middleware]);
  const pcm = Buffer.alloc(960);
  client.play(pcm, false);
  client.play(pcm, true);
  client.announce({ type: 'output_audio_buffer.started', response_id: 'resp_1' });
  assert.deepEqual(reports, [
    { type: 'played', pcm, continued: false },
    { type: 'played', pcm, continued: true },
    { type: 'announced', text: '{"type":"output_audio_buffer.started","response_id":"resp_1"}' },
  ]);
  context().clearOutputAudio('resp_1');
  assert.deepEqual(client.cleared, ['resp_1']);

  // Once the session ends, nothing more is reported nor cleared.
  assert.ok(session.terminate('done'));
  client.play(pcm, true);
  context().clearOutputAudio('resp_2');
  assert.equal(reports.length, 3);
  assert.deepEqual(client.cleared, ['resp_1']);
});
