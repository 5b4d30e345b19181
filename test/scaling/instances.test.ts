import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo, type FakeWeibo } from '../support/fake-weibo.ts';
import { eventually, jobsIn } from '../support/outbox.ts';
import { Browser, CLIENT, freshUid, weiboEnv } from '../support/running-service.ts';
import {
  type RelayProcess,
  type ServiceProcess,
  spawnRelay,
  spawnService,
  waitForExit,
} from '../support/service-process.ts';

const LIMIT_PER_MINUTE = 12;
const queue = `${inject('runId')}-instances`;
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let weibo: FakeWeibo;
let database: TestDatabase;
let instances: ServiceProcess[] = [];
let relays: RelayProcess[] = [];

/** A client address of its own, as the load balancer reports it: counters apart from others. */
function clientAddress(): string {
  return `2001:db8:${(Math.floor(Math.random() * 0xffff)).toString(16)}:${(Math.floor(Math.random() * 0xffff)).toString(16)}::1`;
}

function browser(instance = 0): Browser {
  return new Browser(instances[instance]?.url ?? '', undefined, {
    'x-forwarded-for': clientAddress(),
  });
}

beforeAll(async () => {
  weibo = createFakeWeibo(CLIENT);
  const weiboUrl = await weibo.start();
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    ...weiboEnv(weiboUrl),
    RATE_LIMIT_PER_MINUTE: String(LIMIT_PER_MINUTE),
    BIND_RATE_LIMIT_PER_HOUR: '0',
    TRUST_PROXY: 'true',
    OUTBOX_QUEUES: queue,
    LOG_LEVEL: 'info',
  };
  // Three instances serving, relays apart, as deploy/kubernetes runs them.
  instances = await Promise.all(
    [1, 2, 3].map(() => spawnService({ ...env, OUTBOX_RELAY: 'false' })),
  );
  relays = await Promise.all([1, 2].map(() => spawnRelay(env)));
});

afterAll(async () => {
  for (const child of [...instances, ...relays].map(({ process }) => process)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child);
  }
  await weibo?.stop();
  await database?.destroy();
  await redis.quit();
});

describe('three instances and two relays on one Postgres and one Redis', () => {
  it('completes a login started on one instance on another, and refuses its state on a third', async () => {
    const uid = freshUid();
    const first = browser(0);
    const state = await first.startLogin();
    const code = weibo.issueCode({ uid });
    const completed = await first.on(instances[1]?.url ?? '').callback(code, state);
    expect(completed.body.code).toBe(201);
    // The same browser, a valid new code: only the state is spent.
    const replayed = await first
      .on(instances[2]?.url ?? '')
      .callback(weibo.issueCode({ uid }), state);
    expect(replayed.status).toBe(403);
    expect(replayed.body.code).toBe(10151);
    // And the bind token from the second instance binds on the third.
    const bound = await first.on(instances[2]?.url ?? '').post('/v1/users/weibo/users', {
      bind_token: completed.body.bind_token,
      username: `inst_${uid}`,
      password: 'correct horse battery',
      phone: '13800138000',
      email: 'instances@example.com',
    });
    expect(bound.body.code).toBe(200);
  });

  it('counts one client across every instance', async () => {
    const minute = () => Math.floor(Date.now() / 60_000);
    for (let attempt = 1; ; attempt++) {
      const client = browser(0);
      const started = minute();
      const answers = [];
      for (let request = 0; request < LIMIT_PER_MINUTE + 3; request++) {
        const on = client.on(instances[request % 3]?.url ?? '');
        answers.push(await on.get('/v1/users/weibo/authorization'));
      }
      // A fixed window that turned over mid-run started the count again: count once more.
      if (minute() !== started && attempt < 3) continue;
      expect(answers.map(({ status }) => status)).toEqual([
        ...Array<number>(LIMIT_PER_MINUTE).fill(200),
        429,
        429,
        429,
      ]);
      expect(answers.at(-1)?.body.code).toBe(10156);
      break;
    }
    // Another client is not held back by the first one's count.
    expect((await browser(1).get('/v1/users/weibo/authorization')).status).toBe(200);
  });

  it('loses no event when one instance is SIGKILLed in the middle of 200 binds', async () => {
    const live = [...instances];
    let next = 0;
    const pick = () => {
      next += 1;
      return live[next % live.length]?.url ?? '';
    };
    const outcomes: Array<{ uid: string; status: number | 'cut' }> = [];
    const bindOne = async () => {
      const uid = freshUid();
      const client = browser(0);
      try {
        const state = await client.on(pick()).startLogin();
        const callback = await client.on(pick()).callback(weibo.issueCode({ uid }), state);
        const bound = await client.on(pick()).post('/v1/users/weibo/users', {
          bind_token: callback.body.bind_token,
          username: `kill_${uid}`,
          password: 'correct horse battery',
          phone: '13800138000',
          email: 'instances@example.com',
        });
        outcomes.push({ uid, status: bound.body?.code === 200 ? 200 : bound.status });
      } catch {
        outcomes.push({ uid, status: 'cut' });
      }
    };
    let started = 0;
    const worker = async () => {
      while (started < 200) {
        started += 1;
        if (started === 100) {
          // A machine dies: no goodbye, requests in flight are cut; the balancer drops it.
          const victim = live.splice(0, 1)[0];
          victim?.process.kill('SIGKILL');
        }
        await bindOne();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const bound = outcomes.filter(({ status }) => status === 200);
    expect(outcomes).toHaveLength(200);
    expect(bound.length).toBeGreaterThan(150);

    // Every bind that committed (each answered 200 is among them) has exactly one event. (A
    // callback alone stores the Weibo grant, unbound; the bind gives it its user.)
    const { rows } = await sql<{ uid: string }>`
      select uid from weibo_accounts
      where user_id is not null and uid = any(${outcomes.map(({ uid }) => uid)})`.execute(
      database.db,
    );
    const committed = new Set(rows.map(({ uid }) => uid));
    for (const { uid } of bound) expect(committed.has(uid)).toBe(true);
    await eventually(async () => {
      const jobs = await jobsIn(redis, queue);
      return [...committed].every((uid) => jobs.some((job) => job.data.data.weiboUid === uid));
    }, 30_000);
    const jobs = await jobsIn(redis, queue);
    const perUid = new Map<string, number>();
    for (const job of jobs)
      perUid.set(job.data.data.weiboUid, (perUid.get(job.data.data.weiboUid) ?? 0) + 1);
    for (const uid of committed) expect(perUid.get(uid), uid).toBe(1);
    console.log(
      `200 binds over 3 instances, one SIGKILLed at the 100th: ${bound.length} answered 200, ` +
        `${outcomes.filter(({ status }) => status === 'cut').length} cut, ${committed.size} committed, ` +
        `each with exactly one event`,
    );
  });
});
