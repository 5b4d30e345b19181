import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.ts';
import { RedisStateStore } from '../../src/adapters/redis/redis-state-store.ts';
import { StateStoreUnavailable } from '../../src/application/errors.ts';
import type {
  PendingLogin,
  RateCount,
  RateLimiter,
  StateStore,
} from '../../src/application/ports.ts';
import { FakeClock } from '../support/fakes.ts';
import { unreachableRedis } from '../support/unreachable-redis.ts';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const pending: PendingLogin = { returnTo: '/cart', display: 'mobile', browserBindingHash: 'h' };

interface Subject {
  store: StateStore;
  /** The limiter whose windows `save` counts in. */
  limiter: RateLimiter;
  /** Lets a state's lifetime pass. */
  expire: () => Promise<void>;
}

let created = 0;
const implementations: Array<[string, () => Subject]> = [
  [
    'Redis',
    () => {
      // A fixed clock keeps every count of a test in one window; each store its own keys.
      const clock = new FakeClock();
      created += 1;
      const prefix = `${inject('runId')}:${created}:`;
      return {
        store: new RedisStateStore(redis, clock, {
          keyPrefix: `${prefix}state:`,
          ratePrefix: `${prefix}rate:`,
        }),
        limiter: new RedisRateLimiter(redis, clock, `${prefix}rate:`),
        expire: () => sleep(1100),
      };
    },
  ],
  [
    'in-memory',
    () => {
      const clock = new FakeClock();
      const limiter = new InMemoryRateLimiter(clock);
      return {
        store: new InMemoryStateStore(clock, { limiter }),
        limiter,
        expire: async () => clock.advance(1),
      };
    },
  ],
];

/** Saves under a fresh nonce and resolves the state to hand out, or the wait when refused. */
async function saved(store: StateStore, ttlSeconds = 60, count?: RateCount) {
  return store.save(`nonce-${Math.random().toString(36).slice(2)}`, pending, ttlSeconds, count);
}

describe.each(implementations)('%s state store', (_name, create) => {
  it('returns a saved state once, then never again', async () => {
    const { store } = create();
    const { state } = await store.save('s1', pending, 60);
    expect(state).toBe('s1');
    expect(await store.consume('s1')).toEqual(pending);
    expect(await store.consume('s1')).toBeNull();
  });

  it('returns null for a state it never saw', async () => {
    const { store } = create();
    expect(await store.consume('never-saved')).toBeNull();
  });

  it('forgets a state after its lifetime', async () => {
    const { store, expire } = create();
    await store.save('short-lived', pending, 1);
    await expire();
    expect(await store.consume('short-lived')).toBeNull();
  });

  it('counts the request with the save: under the limit it saves, over it saves nothing', async () => {
    const { store } = create();
    const count = { key: 'ip:203.0.113.1', limit: 2, windowSeconds: 60 };
    const first = await saved(store, 60, count);
    const second = await saved(store, 60, count);
    expect([first.wait, second.wait]).toEqual([0, 0]);
    const third = await saved(store, 60, count);
    expect(third.state).toBeNull();
    expect(third.wait).toBeGreaterThanOrEqual(1);
    expect(third.wait).toBeLessThanOrEqual(60);
    expect(await store.consume(second.state ?? '')).toEqual(pending);
    expect(await store.consume(first.state ?? '')).toEqual(pending);
    // Another client has a count of its own.
    expect((await saved(store, 60, { ...count, key: 'ip:203.0.113.2' })).wait).toBe(0);
  });

  it('hands out a state that is the nonce, at most behind a short prefix of its own', async () => {
    const { store } = create();
    const count = { key: 'ip:203.0.113.9', limit: 5, windowSeconds: 60 };
    const { state } = await store.save('the-nonce', pending, 60, count);
    expect(state).toMatch(/^[A-Za-z0-9_-]{0,4}the-nonce$/);
    expect(await store.consume(state ?? '')).toEqual(pending);
  });

  it("counts in the limiter's own window, with the client's other requests", async () => {
    const { store, limiter } = create();
    const count = { key: 'ip:203.0.113.3', limit: 3, windowSeconds: 60 };
    expect(await limiter.hit(count.key, count.limit, count.windowSeconds)).toBe(0);
    expect((await saved(store, 60, count)).wait).toBe(0);
    expect(await limiter.hit(count.key, count.limit, count.windowSeconds)).toBe(0);
    expect((await saved(store, 60, count)).wait).toBeGreaterThan(0);
    expect(await limiter.hit(count.key, count.limit, count.windowSeconds)).toBeGreaterThan(0);
  });

  it('hands a state to exactly one of many concurrent consumers', async () => {
    const { store } = create();
    await store.save('raced', pending, 60);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consume('raced')));
    expect(results.filter((result) => result !== null)).toHaveLength(1);
  });
});

describe('Redis state store with Redis down', () => {
  it('fails with StateStoreUnavailable', async () => {
    const down = unreachableRedis();
    const store = new RedisStateStore(down, new FakeClock());
    await expect(store.save('s', pending, 60)).rejects.toThrow(StateStoreUnavailable);
    const count = { key: 'ip:1', limit: 5, windowSeconds: 60 };
    await expect(store.save('s', pending, 60, count)).rejects.toThrow(StateStoreUnavailable);
    await expect(store.consume('s')).rejects.toThrow(StateStoreUnavailable);
    down.disconnect();
  });
});
