import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.ts';
import type { RateLimiter } from '../../src/application/ports.ts';
import { FakeClock } from '../support/fakes.ts';
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

  it('checks without counting: waits once the limit is reached, not before', async () => {
    const clock = new FakeClock(new Date('2026-11-24T08:00:15Z'));
    const limiter = create(clock);
    expect(await limiter.check('login:a', 2, 60)).toBe(0);
    await limiter.hit('login:a', 2, 60);
    expect(await limiter.check('login:a', 2, 60)).toBe(0);
    expect(await limiter.check('login:a', 2, 60)).toBe(0);
    await limiter.hit('login:a', 2, 60);
    expect(await limiter.check('login:a', 2, 60)).toBe(45);
    expect(await limiter.check('login:b', 2, 60)).toBe(0);
    clock.advance(45);
    expect(await limiter.check('login:a', 2, 60)).toBe(0);
  });

  it('counts concurrent hits exactly', async () => {
    const limiter = create(new FakeClock());
    const waits = await Promise.all(Array.from({ length: 30 }, () => limiter.hit('ip:c', 10, 60)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(10);
  });
});

describe('Redis rate limiter with Redis down', () => {
  it('lets requests through rather than failing them', async () => {
    const down = unreachableRedis();
    expect(await new RedisRateLimiter(down, new FakeClock()).hit('ip:a', 0, 60)).toBe(0);
    down.disconnect();
  });
});
