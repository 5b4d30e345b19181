import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createFakeWeibo } from '../support/fake-weibo.ts';
import { type Answer, Browser, freshUid } from '../support/running-service.ts';
import { type ServiceProcess, spawnService, waitForExit } from '../support/service-process.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const client = {
  clientId: 'outage',
  clientSecret: 'outage-secret',
  redirectUri: 'http://127.0.0.1/cb',
};
const BIND = '/v1/users/weibo/users';
const UNAVAILABLE = { status: 503, body: { code: 10154, error: 'Service unavailable' } };
const IN_FLIGHT = 10;

const weibo = createFakeWeibo(client);
let database: TestDatabase;
let proxy: TcpProxy;
let service: ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  // The service's only way to its schema: the proxy, with the schema's search_path kept.
  proxy = await startTcpProxy(database.url);
  service = await spawnService({
    DATABASE_URL: proxy.url,
    REDIS_URL: inject('redisUrl'),
    WEIBO_CLIENT_ID: client.clientId,
    WEIBO_CLIENT_SECRET: client.clientSecret,
    WEIBO_REDIRECT_URI: client.redirectUri,
    WEIBO_API_BASE_URL: await weibo.start(),
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOX_QUEUES: `${inject('runId')}-outage-events`,
  });
});
afterAll(async () => {
  if (service && isAlive(service)) {
    service.process.kill('SIGTERM');
    await waitForExit(service.process);
  }
  await proxy?.stop();
  await weibo.stop();
  await database?.destroy();
});

/** The service's last log lines, to say why it died. */
function lastLogs(): string {
  return `the service's last log lines:\n${service.logs.slice(-16).join('\n')}`;
}

function isAlive({ process: child }: ServiceProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** A browser that has been through Weibo's callback, with the bind form's token. */
async function unboundWeiboUser() {
  const uid = freshUid();
  const browser = new Browser(service.url);
  const answer = await browser.callback(weibo.issueCode({ uid }), await browser.startLogin());
  expect(answer.body.code).toBe(201);
  return { browser, uid, bindToken: answer.body.bind_token as string };
}

function bind({ browser, uid, bindToken }: Awaited<ReturnType<typeof unboundWeiboUser>>) {
  return browser.post(BIND, {
    bind_token: bindToken,
    username: `outage_${uid}`,
    password: 'correct horse battery',
    phone: '13800138000',
    email: 'outage@example.com',
  });
}

/** The answer, or how the request failed when there was none (a reset, a refused connect). */
async function settle(request: Promise<Answer>): Promise<Answer | string> {
  return request.catch((error: Error) => `${error.message}: ${String(error.cause)}`);
}

describe('Postgres dropping while binds are in flight', () => {
  it('answers 503 10154 while it is away, recovers without a restart, leaves no half bind', async () => {
    const users = await Promise.all(Array.from({ length: IN_FLIGHT + 2 }, unboundWeiboUser));
    const inFlight = users.slice(0, IN_FLIGHT);
    const [whileCut, afterRestore] = users.slice(IN_FLIGHT) as [
      (typeof users)[number],
      (typeof users)[number],
    ];
    // A callback needs its state and Weibo's answer first, then the database.
    const cutCallback = new Browser(service.url);
    const cutState = await cutCallback.startLogin();

    const requests = inFlight.map((user) => settle(bind(user)));
    const answers = Promise.all(requests);
    // Once the first bind has committed, the link stalls: the others hold pooled clients
    // halfway through their transactions (or wait for one) when it is cut.
    await Promise.race([...requests, sleep(2_000)]);
    proxy.pause();
    await sleep(250);
    await proxy.cut();

    const settled = await answers;
    for (const answer of settled) {
      expect(answer, `a bind in flight when Postgres went away; ${lastLogs()}`).toSatisfy(
        (a: Answer | string) =>
          typeof a !== 'string' &&
          ((a.status === 200 && a.body.code === 200) ||
            (a.status === UNAVAILABLE.status &&
              JSON.stringify(a.body) === JSON.stringify(UNAVAILABLE.body))),
      );
    }
    expect(settled.filter((a) => typeof a !== 'string' && a.status === 503).length).toBeGreaterThan(
      0,
    );
    expect(isAlive(service), lastLogs()).toBe(true);

    // While the database is away, both endpoints that need it say so.
    const callback = await settle(
      cutCallback.callback(weibo.issueCode({ uid: freshUid() }), cutState),
    );
    expect(callback).toMatchObject(UNAVAILABLE);
    expect(await settle(bind(whileCut))).toMatchObject(UNAVAILABLE);
    expect(isAlive(service), lastLogs()).toBe(true);

    // Back: the pool opens new connections by itself.
    await proxy.restore();
    const deadline = Date.now() + 5_000;
    let recovered = await settle(bind(afterRestore));
    while (typeof recovered === 'string' || recovered.status !== 200) {
      expect(
        Date.now(),
        `no successful bind after the restore: ${JSON.stringify(recovered)}`,
      ).toBeLessThan(deadline);
      await sleep(100);
      recovered = await settle(bind(afterRestore));
    }
    expect(recovered.body).toMatchObject({ code: 200, username: `outage_${afterRestore.uid}` });
    expect(isAlive(service), lastLogs()).toBe(true);
    expect(service.logs.join('\n')).not.toMatch(/Unhandled 'error' event|uncaught/i);

    // Every bind is whole: a user has its Weibo account bound and its one event; a bound
    // account has its user. Each 200 answered is among them.
    const { rows } = await sql<{ username: string; bound: number; events: number }>`
      select u.username,
             (select count(*)::int from weibo_accounts w where w.user_id = u.id) as bound,
             (select count(*)::int from outbox o where o.aggregate_id = u.id::text) as events
      from users u`.execute(database.db);
    for (const row of rows) expect(row).toMatchObject({ bound: 1, events: 1 });
    const unmatched = await sql<{ n: number }>`
      select count(*)::int as n from weibo_accounts w
      where w.user_id is not null and not exists (select 1 from users u where u.id = w.user_id)`.execute(
      database.db,
    );
    expect(unmatched.rows[0]?.n).toBe(0);
    const succeeded = [...settled, recovered]
      .filter((a): a is Answer => typeof a !== 'string' && a.status === 200)
      .map((a) => a.body.username as string);
    expect(rows.map((row) => row.username)).toEqual(expect.arrayContaining(succeeded));
  });
});
