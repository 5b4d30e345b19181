import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.ts';
import { RateLimiterUnavailable } from '../../src/application/errors.ts';
import type { RateLimiter } from '../../src/application/ports.ts';
import { FakeClock } from '../support/fakes.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { unreachableRedis } from '../support/unreachable-redis.ts';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const implementations: Array<[string, (clock: FakeClock) => RateLimiter]> = [
  [
    'Redis',
    (clock) => new RedisRateLimiter(redis, clock, `${inject('runId')}:rate:${Math.random()}:`),
  ],
  ['in-memory', (clock) => new InMemoryRateLimiter(clock)],
];

describe.each(implementations)('%s rate limiter', (_name, create) => {
  it('allows the limit, then tells how long to wait until the window ends', async () => {
    const clock = new FakeClock(new Date('2026-11-24T08:00:15Z'));
    const limiter = create(clock);
    for (let i = 0; i < 3; i++) expect(await limiter.hit('ip:a', 3, 60)).toBe(0);
    expect(await limiter.hit('ip:a', 3, 60)).toBe(45);
  });

  it('counts keys apart', async () => {
    const limiter = create(new FakeClock());
    expect(await limiter.hit('ip:a', 1, 60)).toBe(0);
    expect(await limiter.hit('ip:b', 1, 60)).toBe(0);
    expect(await limiter.hit('ip:a', 1, 60)).toBeGreaterThan(0);
  });

  it('starts counting again in the next window', async () => {
    const clock = new FakeClock();
    const limiter = create(clock);
    await limiter.hit('ip:a', 1, 60);
    expect(await limiter.hit('ip:a', 1, 60)).toBeGreaterThan(0);
    clock.advance(60);
    expect(await limiter.hit('ip:a', 1, 60)).toBe(0);
  });

  it('takes places up to the limit, then tells how long to wait until the window ends', async () => {
    const clock = new FakeClock(new Date('2026-11-24T08:00:15Z'));
    const limiter = create(clock);
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(0);
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(0);
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(45);
    expect((await limiter.take('login:b', 2, 60)).wait).toBe(0);
    clock.advance(45);
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(0);
  });

  it('counts places and hits of one key together', async () => {
    const limiter = create(new FakeClock());
    await limiter.hit('login:a', 2, 60);
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(0);
    expect(await limiter.hit('login:a', 2, 60)).toBeGreaterThan(0);
  });

  it('frees a place given back, once only however often it is given', async () => {
    const limiter = create(new FakeClock());
    const first = await limiter.take('login:a', 2, 60);
    await limiter.take('login:a', 2, 60);
    await first.giveBack();
    await first.giveBack();
    expect((await limiter.take('login:a', 2, 60)).wait).toBe(0);
    expect((await limiter.take('login:a', 2, 60)).wait).toBeGreaterThan(0);
  });

  it('gives no place back for an attempt that was refused', async () => {
    const limiter = create(new FakeClock());
    await limiter.take('login:a', 1, 60);
    const refused = await limiter.take('login:a', 1, 60);
    expect(refused.wait).toBeGreaterThan(0);
    await refused.giveBack();
    expect((await limiter.take('login:a', 1, 60)).wait).toBeGreaterThan(0);
  });

  it('gives a place back into the window it was taken in, not the next one', async () => {
    const clock = new FakeClock(new Date('2026-11-24T08:00:50Z'));
    const limiter = create(clock);
    const late = await limiter.take('login:a', 1, 60);
    clock.advance(15);
    await limiter.take('login:a', 1, 60);
    await late.giveBack();
    expect((await limiter.take('login:a', 1, 60)).wait).toBeGreaterThan(0);
  });

  it('lets exactly the limit of 40 places taken at once through', async () => {
    const limiter = create(new FakeClock());
    const places = await Promise.all(
      Array.from({ length: 40 }, () => limiter.take('login:c', 10, 3600)),
    );
    expect(places.filter((place) => place.wait === 0)).toHaveLength(10);
  });

  it('counts concurrent hits exactly', async () => {
    const limiter = create(new FakeClock());
    const waits = await Promise.all(Array.from({ length: 30 }, () => limiter.hit('ip:c', 10, 60)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(10);
  });
});

describe('Redis rate limiter with Redis down', () => {
  it('throws RateLimiterUnavailable rather than letting attempts through uncounted', async () => {
    const down = unreachableRedis();
    const limiter = new RedisRateLimiter(down, new FakeClock());
    await expect(limiter.hit('ip:a', 10, 60)).rejects.toThrow(RateLimiterUnavailable);
    await expect(limiter.take('login:a', 10, 60)).rejects.toThrow(RateLimiterUnavailable);
    down.disconnect();
  });

  it('throws RateLimiterUnavailable from a give-back once Redis has gone away', async () => {
    const proxy = await startTcpProxy(inject('redisUrl'));
    const client = new Redis(proxy.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    client.on('error', () => {});
    await client.connect();
    const limiter = new RedisRateLimiter(client, new FakeClock(), `${inject('runId')}:rate:gb:`);
    const place = await limiter.take('login:a', 10, 60);
    expect(place.wait).toBe(0);
    await proxy.cut();
    await expect(place.giveBack()).rejects.toThrow(RateLimiterUnavailable);
    client.disconnect();
    await proxy.stop();
  });
});
