import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  consumeUserBoundEvents,
  type UserBoundToWeibo,
} from '../../examples/user-bound-consumer.ts';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.ts';
import { RedisStateStore } from '../../src/adapters/redis/redis-state-store.ts';
import { RedisWeiboPause } from '../../src/adapters/redis/redis-weibo-pause.ts';
import { loadConfig } from '../../src/infrastructure/config.ts';
import { createBullMqRedis, createRedis, quit, whenReady } from '../../src/infrastructure/redis.ts';
import type { RedisTarget } from '../../src/infrastructure/redis-target.ts';
import { FakeClock } from '../support/fakes.ts';
import { eventually } from '../support/outbox.ts';
import { startRedisCluster, startSentinelGroup } from '../support/redis-topology.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';
import { silentLogger } from '../support/silent-logger.ts';

interface Topology {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const modes: Array<[string, () => Promise<Topology>]> = [
  [
    'Sentinel (a primary, a replica, three sentinels)',
    async () => {
      const group = await startSentinelGroup();
      return {
        env: { REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_MASTER: group.name },
        stop: group.stop,
      };
    },
  ],
  [
    'Redis Cluster (three primaries with a replica each)',
    async () => {
      const cluster = await startRedisCluster();
      return { env: { REDIS_CLUSTER_NODES: cluster.nodeList }, stop: cluster.stop };
    },
  ],
];

describe.each(modes)('under %s', (_name, start) => {
  let topology: Topology;
  let sut: ServiceUnderTest;
  let target: RedisTarget;
  let prefix: string;
  const queue = `${inject('runId')}-modes`;

  beforeAll(async () => {
    topology = await start();
    // REDIS_URL empty: the test's single Redis is not used at all.
    const env = { REDIS_URL: '', OUTBOX_QUEUES: queue, ...topology.env };
    sut = await startServiceUnderTest(env);
    const config = loadConfig(env);
    if (!config.redis) throw new Error('no Redis target');
    target = config.redis;
    prefix = config.bullmqPrefix;
  });
  afterAll(async () => {
    await sut?.stop();
    await topology?.stop();
  });

  it('signs up, binds and signs in, and a BullMQ Worker with the same prefix gets the event', async () => {
    // The README's example consumer, on the mode's connection and the service's prefix.
    const received: UserBoundToWeibo[] = [];
    const consumer = consumeUserBoundEvents({
      connection: createBullMqRedis(target, silentLogger),
      queue,
      prefix,
      handle: async (event) => {
        received.push(event);
      },
    });
    try {
      const uid = freshUid();
      const browser = sut.browser();
      const state = await browser.startLogin();
      const callback = await browser.callback(sut.weibo.issueCode({ uid }), state);
      expect(callback.body.code).toBe(201);
      const bound = await browser.post('/v1/users/weibo/users', {
        bind_token: callback.body.bind_token,
        username: `modes_${uid}`,
        password: 'correct horse battery',
        phone: '13800138000',
        email: 'modes@example.com',
      });
      expect(bound.body.code).toBe(200);
      await eventually(async () => received.some((event) => event.data.weiboUid === uid), 15_000);
      const event = received.find((candidate) => candidate.data.weiboUid === uid);
      expect(event?.type).toBe('UserBoundToWeibo');
      expect(event?.data.username).toBe(`modes_${uid}`);

      // The same Weibo user again: a login token, and the state is one-time.
      const again = await browser.callback(
        sut.weibo.issueCode({ uid }),
        await browser.startLogin(),
      );
      expect(again.body.code).toBe(200);
      expect(typeof again.body.token).toBe('string');
      const replayed = await browser.callback(sut.weibo.issueCode({ uid }), state);
      expect(replayed.status).toBe(403);
      expect(replayed.body.code).toBe(10151);

      const ready = await fetch(`${sut.service.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await consumer.close();
    }
  });

  it('counts rate limits, writes a state with its count in one script, and shares the Weibo pause', async () => {
    const redis = createRedis(target, silentLogger);
    try {
      expect(await whenReady(redis, 5_000)).toBe(true);
      const clock = new FakeClock();
      const runPrefix = `${inject('runId')}:${freshUid()}:`;
      const limiter = new RedisRateLimiter(redis, clock, `${runPrefix}rate:`);
      const states = new RedisStateStore(redis, clock, {
        keyPrefix: `${runPrefix}state:`,
        ratePrefix: `${runPrefix}rate:`,
      });
      // Clients whose counters land on different primaries: each script stays in one slot.
      for (const client of [
        'ip:203.0.113.1',
        'ip:203.0.113.2',
        'ip:198.51.100.7',
        'ip:2001:db8::',
      ]) {
        const count = { key: client, limit: 2, windowSeconds: 60 };
        expect(await limiter.hit(client, 2, 60)).toBe(0);
        const saved = await states.save(
          `nonce-${client}`,
          { returnTo: '/', browserBindingHash: 'h' },
          60,
          count,
        );
        expect(saved.wait).toBe(0);
        expect(await states.consume(saved.state ?? '')).toEqual({
          returnTo: '/',
          browserBindingHash: 'h',
        });
        expect(
          (await states.save('over', { returnTo: '/', browserBindingHash: 'h' }, 60, count)).wait,
        ).toBeGreaterThan(0);
        const place = await limiter.take(`${client}:take`, 1, 60);
        expect(place.wait).toBe(0);
        await place.giveBack();
        expect((await limiter.take(`${client}:take`, 1, 60)).wait).toBe(0);
        expect((await limiter.take(`${client}:take`, 1, 60)).wait).toBeGreaterThan(0);
      }
      const pauseKey = `${runPrefix}weibo-pause`;
      await new RedisWeiboPause(redis, clock, pauseKey).start(30);
      expect(await new RedisWeiboPause(redis, clock, pauseKey).secondsLeft()).toBeGreaterThan(25);
    } finally {
      await quit(redis);
    }
  });
});
