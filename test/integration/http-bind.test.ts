import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
});
afterAll(() => sut.stop());

const BIND = '/v1/users/weibo/users';

/** Runs the callback for a fresh Weibo uid and returns what the bind form needs. */
async function unboundWeiboUser() {
  const uid = freshUid();
  const browser = sut.browser();
  const answer = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
  expect(answer.body.code).toBe(201);
  return { browser, uid, bindToken: answer.body.bind_token as string };
}

const form = (bindToken: string, overrides: Record<string, unknown> = {}) => ({
  bind_token: bindToken,
  username: `user_${freshUid()}`,
  password: 'correct horse battery',
  phone: '+86 138-0013-8000',
  email: 'someone@example.com',
  ...overrides,
});

async function counts() {
  const { rows } = await sql<{ users: number; bound: number; events: number }>`
    select (select count(*)::int from users) as users,
           (select count(*)::int from weibo_accounts where user_id is not null) as bound,
           (select count(*)::int from outbox) as events`.execute(sut.database.db);
  return rows[0];
}

describe('POST /v1/users/weibo/users', () => {
  it('creates the user, binds the uid and writes one UserBoundToWeibo outbox row', async () => {
    const { browser, uid, bindToken } = await unboundWeiboUser();
    const before = await counts();
    const answer = await browser.post(BIND, form(bindToken, { username: 'Binder_1', uid }));
    expect(answer).toMatchObject({ status: 200, body: { code: 200, username: 'Binder_1' } });
    expect(await counts()).toEqual({
      users: (before?.users ?? 0) + 1,
      bound: (before?.bound ?? 0) + 1,
      events: (before?.events ?? 0) + 1,
    });
    const event = await sut.database.db
      .selectFrom('outbox')
      .selectAll()
      .where(sql<string>`payload->'data'->>'weiboUid'`, '=', uid)
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({
      type: 'UserBoundToWeibo',
      data: { username: 'Binder_1' },
    });
  });

  // The body builder comes last: printf-style titles consume the tuple in order.
  const rows: Array<[string, number, number, string, (token: string) => unknown]> = [
    ['a body that is not JSON', 400, 10155, 'Invalid request body', () => '{"username":'],
    ['a JSON array', 400, 10155, 'Invalid request body', () => '[]'],
    [
      'a body over 16 KiB',
      400,
      10155,
      'Invalid request body',
      (t) => form(t, { pad: 'x'.repeat(16 * 1024) }),
    ],
    [
      'an invalid username',
      400,
      10150,
      'Invalid username',
      (t) => form(t, { username: 'no spaces' }),
    ],
    ['a short password', 400, 10108, 'Invalid password', (t) => form(t, { password: 'short' })],
    ['an invalid email', 400, 10126, 'Invalid email', (t) => form(t, { email: 'a@b' })],
    ['an invalid phone', 400, 10117, 'Invalid phone number', (t) => form(t, { phone: '12345' })],
    [
      'no bind token',
      401,
      10130,
      'Invalid access token',
      (t) => form(t, { bind_token: undefined }),
    ],
    [
      'a forged bind token',
      401,
      10130,
      'Invalid access token',
      (t) => form(`${t.slice(0, -4)}AAAA`),
    ],
    [
      'a uid other than the token’s',
      401,
      10130,
      'Invalid access token',
      (t) => form(t, { uid: '1' }),
    ],
  ];
  it.each(rows)(
    'refuses %s with %i %i and leaves nothing behind',
    async (_case, status, code, error, body) => {
      const { browser, bindToken } = await unboundWeiboUser();
      const before = await counts();
      const answer = await browser.post(BIND, body(bindToken));
      expect(answer).toMatchObject({ status, body: { code, error } });
      expect(Object.keys(answer.body)).toEqual(['code', 'error']);
      expect(await counts()).toEqual(before);
    },
  );

  it('refuses a login token used as a bind token', async () => {
    const { browser, bindToken } = await unboundWeiboUser();
    const login = await browser.post(BIND, form(bindToken));
    // Without a real login token the misuse below would send no token at all and prove nothing.
    expect(login).toMatchObject({ status: 200, body: { code: 200, token: expect.any(String) } });
    const loginToken: string = login.body.token;
    expect(loginToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const other = await unboundWeiboUser();
    const before = await counts();
    const answer = await other.browser.post(BIND, form(loginToken, { uid: other.uid }));
    expect(answer).toMatchObject({
      status: 401,
      body: { code: 10130, error: 'Invalid access token' },
    });
    expect(await counts()).toEqual(before);
  });

  it('refuses a username taken in another letter case with 409 10152', async () => {
    const first = await unboundWeiboUser();
    await first.browser.post(BIND, form(first.bindToken, { username: 'CaseName' }));
    const second = await unboundWeiboUser();
    const before = await counts();
    const answer = await second.browser.post(
      BIND,
      form(second.bindToken, { username: 'casename' }),
    );
    expect(answer).toMatchObject({
      status: 409,
      body: { code: 10152, error: 'Username already exists' },
    });
    expect(await counts()).toEqual(before);
  });

  it('lets exactly one of 20 concurrent binds of one uid win, leaving no orphan user', async () => {
    const { browser, uid, bindToken } = await unboundWeiboUser();
    const before = await counts();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        browser.post(BIND, form(bindToken, { username: `racer_${i}` })),
      ),
    );
    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((answer) => answer.status !== 200)) {
      expect(loser).toMatchObject({
        status: 409,
        body: { code: 10153, error: 'Weibo account already bound' },
      });
    }
    expect(await counts()).toEqual({
      users: (before?.users ?? 0) + 1,
      bound: (before?.bound ?? 0) + 1,
      events: (before?.events ?? 0) + 1,
    });
    const owner = await sut.database.db
      .selectFrom('weibo_accounts')
      .innerJoin('users', 'users.id', 'weibo_accounts.user_id')
      .select('users.username')
      .where('uid', '=', uid)
      .executeTakeFirstOrThrow();
    expect(owner.username).toBe(winners[0]?.body.username);
  });

  it('keeps no plaintext password or Weibo access token in the database', async () => {
    const { browser, bindToken } = await unboundWeiboUser();
    await browser.post(BIND, form(bindToken, { password: 'PlainTextPassw0rd!' }));
    const { rows } = await sql<{ dump: string }>`
      select string_agg(t::text, '\n') as dump from (
        select row_to_json(u)::text as t from users u
        union all select row_to_json(w)::text from weibo_accounts w
        union all select row_to_json(o)::text from outbox o) rows`.execute(sut.database.db);
    const dump = rows[0]?.dump ?? '';
    expect(dump).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
    expect(dump).not.toContain('PlainTextPassw0rd!');
    expect(dump).not.toMatch(/2\.00[0-9a-f]{16}/);
    expect(dump).not.toMatch(/"access_token_encrypted":"(?!v1\.)/);
  });
});
