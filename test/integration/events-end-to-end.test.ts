import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  consumeUserBoundEvents,
  type UserBoundToWeibo,
} from '../../examples/user-bound-consumer.ts';
import { eventually, jobsIn } from '../support/outbox.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const queues = [`${inject('runId')}-e2e-billing`, `${inject('runId')}-e2e-crm`];
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let sut: ServiceUnderTest;

beforeAll(async () => {
  sut = await startServiceUnderTest({ OUTBOX_QUEUES: queues.join(',') });
});
afterAll(async () => {
  await sut.stop();
  await redis.quit();
});

async function bind(username: string) {
  const uid = freshUid();
  const browser = sut.browser();
  const callback = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: callback.body.bind_token,
    username,
    password: 'correct horse battery',
    phone: '13800138000',
    email: 'e2e@example.com',
  });
  expect(bound.body.code).toBe(200);
  return uid;
}

describe('events from a bind', () => {
  it('reach every configured queue moments after the bind', async () => {
    const uid = await bind('queued_user');
    for (const queue of queues) {
      await eventually(async () => (await jobsIn(redis, queue)).length === 1, 2_000);
      const [job] = await jobsIn(redis, queue);
      expect(job?.name).toBe('UserBoundToWeibo');
      expect(job?.data).toMatchObject({
        specversion: '1.0',
        source: 'weibo-auth',
        type: 'UserBoundToWeibo',
        id: job?.id,
        data: { username: 'queued_user', weiboUid: uid },
      });
      expect(JSON.stringify(job?.data)).not.toMatch(/password|token|argon2/i);
      // Events are keyed by time-ordered ids; a user's id tells nothing of its creation.
      expect(job?.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(job?.data.subject).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]/);
    }
  });

  it('are handled once by the example consumer, even when delivered twice', async () => {
    const handled: UserBoundToWeibo[] = [];
    const consumer = consumeUserBoundEvents({
      redisUrl: inject('redisUrl'),
      queue: queues[1] ?? '',
      handle: async (event) => {
        handled.push(event);
      },
    });
    const uid = await bind('consumed_user');
    await eventually(async () => handled.some((event) => event.data.weiboUid === uid));
    const event = handled.find((candidate) => candidate.data.weiboUid === uid);

    const queue = new Queue(queues[1] ?? '', { connection: redis });
    await queue.add('UserBoundToWeibo', event, { jobId: `redelivery-${event?.id}` });
    await eventually(
      async () => (await queue.getJobState(`redelivery-${event?.id}`)) === 'completed',
    );
    await queue.close();
    await consumer.close();
    expect(handled.filter((candidate) => candidate.id === event?.id)).toHaveLength(1);
  });
});
