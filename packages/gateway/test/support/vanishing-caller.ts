/**
 * A caller in a process of its own, for the test of a peer that vanishes: it posts its offer,
 * connects, prints the call's Location and waits, until the test kills it (no DTLS close, no
 * SCTP abort: the gateway hears nothing more from it, as from a browser tab that crashed).
 *
 *   node --import tsx vanishing-caller.ts <gateway base URL> <client secret>
 */
import { TestCaller } from './webrtc-client.js';

const [base, secret] = process.argv.slice(2);
const caller = new TestCaller();
const response = await fetch(`${base}/v1/realtime/calls`, {
  method: 'POST',
  headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/sdp' },
  body: await caller.offer(),
});
await caller.accept(await response.text());
await caller.opened();
process.stdout.write(`${response.headers.get('location')}\n`);
setInterval(() => {}, 1000);
