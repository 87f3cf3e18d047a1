/**
 * The Redis bus against a real redis-server: every subscribed node hears a message (the
 * publisher too), prefixes keep deployments apart, a throwing listener stops nothing, and after
 * a restart of Redis the bus subscribes again by itself while publishing in between fails fast.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { RedisBus, type RedisBusOptions } from '../src/store/redis-bus.js';
import { StoreError } from '../src/store/store.js';
import { eventually } from './support/harness.js';
import { redisOrSkip, type TestRedis } from './support/redis.js';

const TIMEOUT_MS = 500;
let server: TestRedis | null | undefined;
let prefixes = 0;
after(async () => {
  await server?.close();
});

/** `n` buses on the file's server under one fresh prefix, closed after the test; null when skipped. */
async function busesFor(
  t: TestContext,
  n: number,
  options: Partial<RedisBusOptions> = {},
): Promise<RedisBus[] | null> {
  server ??= await redisOrSkip(t);
  if (server === null) return null;
  const keyPrefix = `test-bus-${process.pid}-${++prefixes}:`;
  const made = Array.from(
    { length: n },
    () => new RedisBus({ url: server!.url, keyPrefix, timeoutMs: TIMEOUT_MS, ...options }),
  );
  t.after(() => Promise.all(made.map((bus) => bus.close())));
  await Promise.all(made.map((bus) => bus.ready()));
  return made;
}

describe('RedisBus', () => {
  it('delivers a message to every subscribed bus, the publisher included', async (t) => {
    const buses = await busesFor(t, 2);
    if (buses === null) return;
    const [a, b] = buses as [RedisBus, RedisBus];
    const heard: string[] = [];
    await a.subscribe('news', (message) => heard.push(`a ${message}`));
    await b.subscribe('news', (message) => heard.push(`b ${message}`));
    await b.subscribe('other', (message) => heard.push(`b other ${message}`));
    await a.publish('news', 'one');
    await eventually(() => heard.length === 2, 2000, 'both buses to hear the message');
    assert.deepEqual(heard.sort(), ['a one', 'b one']);
  });

  it('buses under different prefixes do not hear each other', async (t) => {
    const [one] = (await busesFor(t, 1)) ?? [];
    const [two] = (await busesFor(t, 1)) ?? [];
    if (one === undefined || two === undefined) return;
    const heard: string[] = [];
    await two.subscribe('news', (message) => heard.push(message));
    await one.publish('news', 'for the first deployment');
    // Redis delivers in order: the second bus's own message comes after anything leaked before it.
    await two.publish('news', 'for the second');
    await eventually(() => heard.length > 0, 2000, 'the second bus to hear its own message');
    assert.deepEqual(heard, ['for the second']);
  });

  it('a listener that throws does not stop delivery to others or of later messages', async (t) => {
    const errors: [unknown, string][] = [];
    const [bus] =
      (await busesFor(t, 1, { onListenerError: (error, channel) => errors.push([error, channel]) })) ?? [];
    if (bus === undefined) return;
    const heard: string[] = [];
    await bus.subscribe('news', () => {
      throw new Error('listener broke');
    });
    await bus.subscribe('news', (message) => heard.push(message));
    await bus.publish('news', 'one');
    await bus.publish('news', 'two');
    await eventually(() => heard.length === 2, 2000, 'both messages');
    assert.deepEqual(heard, ['one', 'two']);
    assert.equal(errors.length, 2);
    assert.equal((errors[0]![0] as Error).message, 'listener broke');
    assert.equal(errors[0]![1], 'news');
  });

  it('publishing fails fast while Redis is down; after a restart the bus subscribes again by itself', async (t) => {
    const statuses: string[] = [];
    const buses = await busesFor(t, 2, { onStatus: (status) => statuses.push(status) });
    if (buses === null) return;
    const [a, b] = buses as [RedisBus, RedisBus];
    const heard: string[] = [];
    await a.subscribe('news', (message) => heard.push(`a ${message}`));
    await b.subscribe('news', (message) => heard.push(`b ${message}`));

    await server!.stop();
    await eventually(() => !a.available && !b.available, 2000, 'the buses to see Redis gone');
    const started = Date.now();
    await assert.rejects(a.publish('news', 'lost'), StoreError);
    assert.ok(Date.now() - started < 3 * TIMEOUT_MS, 'publish did not hang');
    // Subscribing while down is remembered, and made when Redis is back.
    await b.subscribe('later', (message) => heard.push(`b later ${message}`));
    assert.ok(statuses.includes('reconnecting'), statuses.join(', '));

    await server!.start();
    await eventually(() => a.available && b.available, 10_000, 'the buses to reconnect');
    // Delivery is at most once, and the subscriber may be back a moment after the publisher.
    await eventually(
      async () => {
        await a.publish('news', 'again').catch(() => {});
        return heard.includes('a again') && heard.includes('b again');
      },
      5000,
      'a message published after the restart to reach both buses',
    );
    await eventually(
      async () => {
        await a.publish('later', 'x').catch(() => {});
        return heard.includes('b later x');
      },
      5000,
      'the channel subscribed while Redis was down to be delivered',
    );
    assert.ok(!heard.some((message) => message.includes('lost')));
    assert.ok(statuses.includes('ready'));
  });
});
