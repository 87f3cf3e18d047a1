/**
 * The pure parts of a call's media: SDP offer checks and candidate limiting, the offer request
 * parser, PCM framing, the Opus round trip through libopus, and the playout queue's accounting
 * of what was played (the truncate point) and the output_audio_buffer events.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pinnedAudio, pinnedEvent } from '../src/calls/audio-formats.js';
import { readOffer } from '../src/calls/offer-request.js';
import { type AudioSource, PlayoutQueue, samplesToMs } from '../src/calls/playout.js';
import { checkOffer, limitCandidates, mediaSections } from '../src/calls/sdp.js';
import { createOpusCodec, FRAME_BYTES, FRAME_SAMPLES, PcmFramer, rmsLevel } from '../src/media/opus.js';
import { tone } from './support/webrtc-client.js';

const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host',
  'a=candidate:2 1 udp 2116026367 10.1.2.3 50001 typ host',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:1',
  'a=sctp-port:5000',
  '',
].join('\r\n');

describe('SDP offers', () => {
  test('an offer with Opus audio and a data channel is accepted', () => {
    assert.equal(checkOffer(OFFER), null);
    assert.deepEqual(
      mediaSections(OFFER)?.map((section) => section.kind),
      ['audio', 'application'],
    );
  });

  test('text that is not SDP is refused with 400 invalid_offer', () => {
    for (const bad of ['', 'hello', 'v=0\r\nnot a line', '{"sdp":1}', 'v=0\r\no=x\r\nm=audio x RTP 0']) {
      const problem = checkOffer(bad);
      assert.equal(problem?.status, 400, bad);
      assert.equal(problem?.code, 'invalid_offer');
    }
  });

  test('an offer without audio, without Opus or without the data channel is refused', () => {
    const noAudio = OFFER.replace(/m=audio[\s\S]*?(?=m=application)/, '');
    assert.match(checkOffer(noAudio)?.message ?? '', /no audio/);
    const noOpus = OFFER.replace('a=rtpmap:111 opus/48000/2\r\n', '');
    assert.match(checkOffer(noOpus)?.message ?? '', /Opus/);
    const noData = OFFER.replace(/m=application[\s\S]*$/, '');
    assert.match(checkOffer(noData)?.message ?? '', /data channel/);
  });

  test('candidates are limited to the allowed addresses, and kept whole when none are configured', () => {
    const limited = limitCandidates(OFFER, ['127.0.0.1']);
    assert.match(limited, /127\.0\.0\.1 50000/);
    assert.doesNotMatch(limited, /10\.1\.2\.3/);
    assert.equal(limitCandidates(OFFER, []), OFFER);
  });
});

describe('offer requests', () => {
  const query = (model?: string) => new URLSearchParams(model === undefined ? {} : { model });

  test('raw application/sdp takes its model from the query', () => {
    const offer = readOffer(Buffer.from(OFFER), 'application/sdp', query('gpt-realtime'));
    assert.ok(!('status' in offer));
    assert.equal(offer.model, 'gpt-realtime');
    assert.equal(offer.session, null);
  });

  test('multipart sdp and session parts: the session is checked and names the model', () => {
    const boundary = 'xyz';
    const part = (name: string, body: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${body}\r\n`;
    const body = Buffer.from(
      `${part('sdp', OFFER)}${part('session', JSON.stringify({ type: 'realtime', model: 'my-model', instructions: 'Hi.' }))}--${boundary}--\r\n`,
    );
    const offer = readOffer(body, `multipart/form-data; boundary=${boundary}`, query());
    assert.ok(!('status' in offer), JSON.stringify(offer));
    assert.equal(offer.model, 'my-model');
    assert.equal(offer.session?.instructions, 'Hi.');
    const bad = Buffer.from(
      `${part('sdp', OFFER)}${part('session', '{"instructions": 5}')}--${boundary}--\r\n`,
    );
    const refused = readOffer(bad, `multipart/form-data; boundary=${boundary}`, query());
    assert.ok('status' in refused);
    assert.equal(refused.status, 400);
    const noSdp = Buffer.from(`${part('session', '{}')}--${boundary}--\r\n`);
    const missing = readOffer(noSdp, `multipart/form-data; boundary=${boundary}`, query());
    assert.ok('status' in missing);
    assert.equal(missing.param, 'sdp');
  });

  test('another content type is refused', () => {
    const refused = readOffer(Buffer.from(OFFER), 'application/json', query());
    assert.ok('status' in refused);
    assert.equal(refused.code, 'invalid_content_type');
  });
});

describe('PCM framing and Opus', () => {
  test('chunks of any size become whole 20 ms frames, the tail padded and counted', () => {
    const framer = new PcmFramer();
    assert.equal(framer.push(Buffer.alloc(FRAME_BYTES - 1)).length, 0);
    const frames = framer.push(Buffer.alloc(FRAME_BYTES + 11));
    assert.equal(frames.length, 2);
    assert.ok(frames.every((frame) => frame.length === FRAME_BYTES));
    const tail = framer.flush();
    assert.equal(tail?.frame.length, FRAME_BYTES);
    assert.equal(tail?.samples, 5);
    assert.equal(framer.flush(), null);
  });

  test('a tone survives the Opus round trip at its level', () => {
    const codec = createOpusCodec();
    const pcm = tone(400);
    const decoded: Buffer[] = [];
    for (let at = 0; at + FRAME_BYTES <= pcm.length; at += FRAME_BYTES)
      decoded.push(codec.decode(codec.encode(pcm.subarray(at, at + FRAME_BYTES))));
    codec.close();
    assert.ok(decoded.every((frame) => frame.length === FRAME_BYTES));
    // After the codec's first frames of delay, the level is the tone's (0.3 of full scale).
    const level = rmsLevel(Buffer.concat(decoded.slice(5)));
    const expected = rmsLevel(pcm);
    assert.ok(Math.abs(level - expected) / expected < 0.1, `level ${level}, expected about ${expected}`);
  });
});

describe('playout', () => {
  const source = (responseId: string, itemId = `item_${responseId}`): AudioSource => ({
    responseId,
    itemId,
    contentIndex: 0,
  });
  const frame = (from: AudioSource, samples = FRAME_SAMPLES) => ({
    pcm: Buffer.alloc(FRAME_BYTES),
    samples,
    source: from,
  });

  test('started on the first frame, stopped once the finished response has played out', () => {
    const playout = new PlayoutQueue();
    playout.push(frame(source('r1')));
    playout.push(frame(source('r1'), 240));
    assert.deepEqual(playout.tick().events, [{ type: 'output_audio_buffer.started', response_id: 'r1' }]);
    assert.deepEqual(playout.tick().events, []);
    // Ran dry before the response finished: an underrun, not a stop.
    assert.deepEqual(playout.tick(), { frame: null, events: [] });
    assert.ok(playout.isPlaying);
    playout.finish('r1');
    assert.deepEqual(playout.tick().events, [{ type: 'output_audio_buffer.stopped', response_id: 'r1' }]);
    assert.ok(!playout.isPlaying);
  });

  test('a second response stops the first and starts itself', () => {
    const playout = new PlayoutQueue();
    playout.push(frame(source('r1')));
    playout.push(frame(source('r2')));
    playout.tick();
    assert.deepEqual(playout.tick().events, [
      { type: 'output_audio_buffer.stopped', response_id: 'r1' },
      { type: 'output_audio_buffer.started', response_id: 'r2' },
    ]);
  });

  test('clearing truncates the playing item where its played samples end, and later frames of it are refused', () => {
    const playout = new PlayoutQueue();
    for (let i = 0; i < 10; i++) playout.push(frame(source('r1')));
    for (let i = 0; i < 3; i++) playout.tick();
    const { events, truncate } = playout.clear();
    assert.deepEqual(events, [{ type: 'output_audio_buffer.cleared', response_id: 'r1' }]);
    assert.deepEqual(truncate, { itemId: 'item_r1', contentIndex: 0, audioEndMs: 60 });
    assert.equal(playout.length, 0);
    assert.ok(!playout.accepts('r1'));
    assert.ok(playout.accepts('r2'));
    assert.deepEqual(playout.clear(), { events: [], truncate: null });
  });

  test('dropping a playing response clears it: its frames go, later ones are refused, the next plays', () => {
    const playout = new PlayoutQueue();
    for (let i = 0; i < 5; i++) playout.push(frame(source('r1')));
    playout.tick();
    assert.deepEqual(playout.drop('r1'), [{ type: 'output_audio_buffer.cleared', response_id: 'r1' }]);
    assert.equal(playout.length, 0);
    assert.ok(!playout.isPlaying);
    assert.ok(!playout.accepts('r1'));
    // A cleared response is not also stopped, and the next one starts afresh.
    assert.deepEqual(playout.tick(), { frame: null, events: [] });
    playout.push(frame(source('r2')));
    assert.deepEqual(playout.tick().events, [{ type: 'output_audio_buffer.started', response_id: 'r2' }]);
  });

  test('dropping a response that has only waited clears it; one with no audio is refused without a word', () => {
    const playout = new PlayoutQueue();
    playout.push(frame(source('r1')));
    playout.push(frame(source('r2')));
    playout.tick();
    assert.deepEqual(playout.drop('r2'), [{ type: 'output_audio_buffer.cleared', response_id: 'r2' }]);
    assert.ok(playout.isPlaying, 'the response playing goes on');
    assert.equal(playout.length, 0);
    assert.deepEqual(playout.drop('r3'), []);
    assert.ok(!playout.accepts('r3'));
    assert.ok(playout.accepts('r1'));
  });

  test('finished responses are remembered up to a bound, the oldest forgotten first', () => {
    const playout = new PlayoutQueue();
    for (let i = 0; i < 70; i++) playout.finish(`text_${i}`);
    assert.ok(playout.accepts('text_0'));
    assert.ok(!playout.accepts('text_69'));
  });

  test('the truncate point counts only the current item, not earlier items of the response', () => {
    const playout = new PlayoutQueue();
    playout.push(frame(source('r1', 'item_a')));
    playout.push(frame(source('r1', 'item_b'), 120));
    playout.push(frame(source('r1', 'item_b')));
    for (let i = 0; i < 3; i++) playout.tick();
    assert.deepEqual(playout.clear().truncate, {
      itemId: 'item_b',
      contentIndex: 0,
      audioEndMs: samplesToMs(600),
    });
  });
});

describe('audio formats in a call', () => {
  test('a session.update or response.create asking for G.711 is pinned to PCM16 at 24 kHz', () => {
    const update = pinnedEvent({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { format: { type: 'audio/pcmu' } }, output: { voice: 'alloy' } },
      },
    });
    assert.deepEqual(update, {
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 } }, output: { voice: 'alloy' } },
      },
    });
    const response = pinnedEvent({
      type: 'response.create',
      response: { audio: { output: { format: { type: 'audio/pcma' } } } },
    });
    assert.deepEqual(response, {
      type: 'response.create',
      response: { audio: { output: { format: { type: 'audio/pcm', rate: 24000 } } } },
    });
  });

  test('PCM formats, no formats and other events go as they are', () => {
    assert.equal(pinnedAudio({ input: { format: { type: 'audio/pcm', rate: 24000 } } }), null);
    assert.equal(
      pinnedEvent({ type: 'session.update', session: { type: 'realtime', instructions: 'x' } }),
      null,
    );
    assert.equal(pinnedEvent({ type: 'response.create' }), null);
    assert.equal(pinnedEvent({ type: 'input_audio_buffer.commit' }), null);
  });
});
