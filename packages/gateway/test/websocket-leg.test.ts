/** The WebSocket leg over real sockets on loopback. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { LegListener } from '../src/legs/leg.js';
import { clampReason, FrameMasks, WebSocketLeg } from '../src/legs/websocket-leg.js';

/** A listener that records what the leg reports. */
function recorder() {
  const events: string[] = [];
  const listener: LegListener = {
    frame: (data, isBinary) => events.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`),
    closed: (code, reason, lost) => events.push(`closed:${code}:${reason}:${lost}`),
    error: (error) => events.push(`error:${error.message}`),
    alive: () => events.push('alive'),
  };
  return { events, listener };
}

describe('WebSocketLeg', () => {
  let wss: WebSocketServer;
  let url: string;
  const peers: WebSocket[] = [];

  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket) => peers.push(socket));
    await once(wss, 'listening');
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const peer of peers) peer.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });

  /** A leg on a fresh connection, and the server-side peer. */
  async function pair(masks: FrameMasks | null = null): Promise<{ leg: WebSocketLeg; peer: WebSocket }> {
    const connected = once(wss, 'connection') as Promise<[WebSocket]>;
    const socket = new WebSocket(url, masks === null ? {} : { generateMask: masks.generate });
    await once(socket, 'open');
    const leg = new WebSocketLeg(socket, masks);
    const [peer] = await connected;
    return { leg, peer };
  }

  it('holds what the peer sends until attached, then delivers it first and in order', async () => {
    const { leg, peer } = await pair();
    peer.send('one');
    peer.send(Buffer.from([1, 2]), { binary: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { events, listener } = recorder();
    leg.attach(listener);
    peer.send('three');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(events, ['text:one', 'binary:\u0001\u0002', 'text:three']);
    leg.close(1000, '');
  });

  it('chooses a zero mask for large frames and a fixed non-zero one for small frames; both arrive intact', async () => {
    const masks = new FrameMasks();
    const mask = Buffer.alloc(4, 0xff);
    masks.next(16 * 1024);
    masks.generate(mask);
    assert.deepEqual([...mask], [0, 0, 0, 0]);
    masks.next(1300);
    masks.generate(mask);
    const fixed = Buffer.from(mask);
    assert.notDeepEqual([...fixed], [0, 0, 0, 0]);
    masks.next(10);
    masks.generate(mask);
    assert.deepEqual(mask, fixed);

    const { leg, peer } = await pair(masks);
    leg.attach(recorder().listener);
    const received: Buffer[] = [];
    peer.on('message', (data: Buffer) => received.push(data));
    const large = Buffer.alloc(100_000, 'QUJD');
    const small = Buffer.from('{"type":"input_audio_buffer.append","audio":"QUJD"}');
    const written: Promise<void>[] = [];
    for (const frame of [large, small, large]) {
      written.push(new Promise<void>((resolve) => leg.send(frame, false, resolve)));
    }
    await Promise.all(written);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(received, [large, small, large]);
    // The leg never changed the Buffers it was given.
    assert.ok(large.equals(Buffer.alloc(100_000, 'QUJD')));
    leg.close(1000, '');
  });

  it('reports a close that came before the attach when it is attached', async () => {
    const { leg, peer } = await pair();
    peer.close(4001, 'early');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { events, listener } = recorder();
    leg.attach(listener);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(events, ['closed:4001:early:false']);
    assert.equal(leg.isClosed, true);
  });

  it('sends text and binary, probes, closes with a code and reason cut to 123 bytes', async () => {
    const { leg, peer } = await pair();
    const { events, listener } = recorder();
    leg.attach(listener);
    const received: string[] = [];
    peer.on('message', (data: Buffer, isBinary) => received.push(`${isBinary}:${data.toString()}`));
    const written = new Promise<void>((resolve) => leg.send('hello', false, resolve));
    leg.send(Buffer.from('bytes'), true);
    await written;
    leg.probe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(received, ['false:hello', 'true:bytes']);
    assert.deepEqual(events, ['alive']);
    const closed = once(peer, 'close') as Promise<[number, Buffer]>;
    leg.close(4002, 'é'.repeat(100));
    const [code, reason] = await closed;
    assert.equal(code, 4002);
    assert.equal(reason.toString(), 'é'.repeat(61));
  });

  it('once detached, holds what comes for the next attach; a destroyed leg is reported lost', async () => {
    const { leg, peer } = await pair();
    const first = recorder();
    leg.attach(first.listener);
    leg.detach();
    peer.send('between owners');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(first.events, []);
    const second = recorder();
    leg.attach(second.listener);
    // A detached leg stops reading: the frame is read once the next owner is attached.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(second.events, ['text:between owners'], 'the second owner hears it');
    leg.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(second.events, ['text:between owners', 'closed:1006::true']);
  });

  it('holds a close that comes while detached, and keeps nothing once closed with no listener', async () => {
    const held = await pair();
    held.leg.attach(recorder().listener);
    held.leg.detach();
    held.peer.close(1011, 'gone');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = recorder();
    held.leg.attach(next.listener);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(next.events, ['closed:1011:gone:false']);

    const dropped = await pair();
    dropped.leg.attach(recorder().listener);
    dropped.leg.detach();
    dropped.peer.on('close', () => {});
    dropped.peer.send('late');
    dropped.leg.close(1000, 'replaced');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = recorder();
    dropped.leg.attach(after.listener);
    assert.deepEqual(after.events, [], 'a leg let go keeps nothing');
  });

  it('clampReason keeps short reasons and cuts long ones on a character boundary', () => {
    assert.equal(clampReason('bye'), 'bye');
    assert.equal(Buffer.byteLength(clampReason('€'.repeat(60))), 123);
  });
});
