import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { RedisStateStore } from '../../src/adapters/redis/redis-state-store.ts';
import { StateStoreUnavailable } from '../../src/application/errors.ts';
import type { PendingLogin, StateStore } from '../../src/application/ports.ts';
import { FakeClock } from '../support/fakes.ts';
import { unreachableRedis } from '../support/unreachable-redis.ts';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const pending: PendingLogin = { returnTo: '/cart', display: 'mobile', browserBindingHash: 'h' };

/** How each implementation lets a state's lifetime pass. */
const implementations: Array<[string, () => { store: StateStore; expire: () => Promise<void> }]> = [
  [
    'Redis',
    () => ({
      store: new RedisStateStore(redis, `${inject('runId')}:state:`),
      expire: () => sleep(1100),
    }),
  ],
  [
    'in-memory',
    () => {
      const clock = new FakeClock();
      return { store: new InMemoryStateStore(clock), expire: async () => clock.advance(1) };
    },
  ],
];

describe.each(implementations)('%s state store', (_name, create) => {
  it('returns a saved state once, then never again', async () => {
    const { store } = create();
    await store.save('s1', pending, 60);
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
    const store = new RedisStateStore(down);
    await expect(store.save('s', pending, 60)).rejects.toThrow(StateStoreUnavailable);
    await expect(store.consume('s')).rejects.toThrow(StateStoreUnavailable);
    down.disconnect();
  });
});
