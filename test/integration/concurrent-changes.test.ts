import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, send, signUp, weiboLogin } from '../support/accounts.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
});
afterAll(() => sut.stop());
beforeEach(() => sut.weibo.reset());

async function events(userId: string) {
  const { rows } = await sql<{ type: string; payload: { data: Record<string, unknown> } }>`
    select type, payload from outbox where aggregate_id = ${userId} order by created_at, id`.execute(
    sut.database.db,
  );
  return rows;
}

const revocations = () => sut.weibo.calls.filter((call) => call.path === '/oauth2/revokeoauth2');
const codes = (answers: Array<{ body: { code: number } }>) =>
  answers.map((answer) => answer.body.code).sort((a, b) => a - b);

describe('changes sent several times at once', () => {
  it('unbind: exactly one of 5 wins, writing one event and revoking once; the rest 409 10164', async () => {
    const { browser, uid, token, userId } = await signUp(sut);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => send(browser, 'DELETE', '/v1/users/weibo/binding', token)),
    );
    expect(codes(answers)).toEqual([200, 10164, 10164, 10164, 10164]);
    for (const loser of answers.filter((answer) => answer.status !== 200)) {
      expect(loser).toMatchObject({ status: 409, body: { error: 'No Weibo account bound' } });
    }
    const unbound = (await events(userId)).filter((e) => e.type === 'UserUnboundFromWeibo');
    expect(unbound).toHaveLength(1);
    expect(unbound[0]?.payload.data.weiboUid).toBe(uid);
    expect(revocations()).toHaveLength(1);
  });

  it('delete: exactly one of 5 wins, writing one event with the uid and revoking once; the rest 401 10160', async () => {
    const { browser, uid, token, userId } = await signUp(sut);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        send(browser, 'DELETE', '/v1/users/me', token, { password: PASSWORD }),
      ),
    );
    expect(codes(answers)).toEqual([200, 10160, 10160, 10160, 10160]);
    const deleted = (await events(userId)).filter((e) => e.type === 'UserDeleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]?.payload.data.weiboUid).toBe(uid);
    expect(revocations()).toHaveLength(1);
  });

  it('unbind and delete at once: each change one event, the deletion last, one revocation', async () => {
    const { browser, token, userId } = await signUp(sut);
    const answers = await Promise.all([
      send(browser, 'DELETE', '/v1/users/weibo/binding', token),
      send(browser, 'DELETE', '/v1/users/me', token, { password: PASSWORD }),
      send(browser, 'DELETE', '/v1/users/weibo/binding', token),
      send(browser, 'DELETE', '/v1/users/me', token, { password: PASSWORD }),
    ]);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1);
    const written = await events(userId);
    const types = written.map((event) => event.type);
    expect(types.filter((type) => type === 'UserDeleted')).toHaveLength(1);
    expect(types.at(-1)).toBe('UserDeleted');
    expect(types.filter((type) => type === 'UserUnboundFromWeibo').length).toBeLessThanOrEqual(1);
    expect(revocations()).toHaveLength(1);
  });

  it('link: exactly one of 5 links of one uid to 5 accounts wins, writing one event', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => signUp(sut)));
    for (const user of users) {
      await send(user.browser, 'DELETE', '/v1/users/weibo/binding', user.token);
    }
    const { uid, answer } = await weiboLogin(sut);
    const answers = await Promise.all(
      users.map((user) =>
        send(user.browser, 'POST', '/v1/users/weibo/bindings', undefined, {
          bind_token: answer.body.bind_token,
          username: user.username,
          password: PASSWORD,
        }),
      ),
    );
    expect(codes(answers)).toEqual([200, 10153, 10153, 10153, 10153]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from outbox
      where type = 'UserBoundToWeibo' and payload->'data'->>'weiboUid' = ${uid}`.execute(
      sut.database.db,
    );
    expect(rows[0]?.n).toBe(1);
  });
});
