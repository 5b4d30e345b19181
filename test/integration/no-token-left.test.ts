import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const PASSWORD = 'correct horse battery';

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest();
});
afterAll(() => sut.stop());

/** A new account bound to a fresh Weibo uid: its browser, uid and login token. */
async function newUser() {
  const uid = freshUid();
  const browser = sut.browser();
  const login = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
  expect(login.body.code).toBe(201);
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: login.body.bind_token,
    username: `left_${freshUid()}`,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'left@example.com',
  });
  expect(bound.body.code).toBe(200);
  return { browser, uid, token: bound.body.token as string };
}

function send(browser: Browser, method: string, path: string, token: string, body?: unknown) {
  return browser.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The Weibo token the service holds for the user, as the fake Weibo saw it in a friends call. */
async function plainWeiboToken(user: { browser: Browser; uid: string; token: string }) {
  const answer = await send(user.browser, 'GET', '/v1/users/weibo/friends', user.token);
  expect(answer.status).toBe(200);
  const calls = sut.weibo.calls.filter(
    (call) => call.path === '/2/friendships/friends.json' && call.query.uid === user.uid,
  );
  const token = calls.at(-1)?.query.access_token ?? '';
  expect(token).toMatch(/.{8,}/);
  return token;
}

async function storedCiphertext(uid: string): Promise<string> {
  const row = await sut.database.db
    .selectFrom('weibo_accounts')
    .select('access_token_encrypted')
    .where('uid', '=', uid)
    .executeTakeFirstOrThrow();
  return row.access_token_encrypted ?? '';
}

/** The ciphertext, and each of its random parts (IV, ciphertext, tag) long enough to be unique. */
function needlesOf(ciphertext: string): string[] {
  return [ciphertext, ...ciphertext.split('.').filter((part) => part.length >= 16)];
}

/** `table.column` for every column of every table of the test's schema holding any needle. */
async function whereStored(needles: string[]): Promise<string[]> {
  const db = sut.database.db;
  const { rows: schema } = await sql<{ name: string }>`select current_schema() as name`.execute(db);
  expect(schema[0]?.name).toMatch(/^test_/);
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'`.execute(db);
  expect(columns.map((c) => c.table_name)).toEqual(
    expect.arrayContaining(['users', 'weibo_accounts', 'outbox']),
  );
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    for (const needle of needles) {
      const { rows } = await sql<{ hits: number }>`
        select count(*)::int as hits from ${sql.table(table)}
        where strpos(${sql.ref(column)}::text, ${needle}) > 0`.execute(db);
      if ((rows[0]?.hits ?? 0) > 0) found.push(`${table}.${column}`);
    }
  }
  return [...new Set(found)];
}

describe('no Weibo token is left in the database', () => {
  it('stores the token only encrypted, where the scan finds its ciphertext', async () => {
    const user = await newUser();
    const ciphertext = await storedCiphertext(user.uid);
    const plain = await plainWeiboToken(user);
    expect(ciphertext).not.toContain(plain);
    expect(await whereStored(needlesOf(ciphertext))).toEqual([
      'weibo_accounts.access_token_encrypted',
    ]);
    expect(await whereStored([plain])).toEqual([]);
  });

  it('after unbinding: neither its ciphertext nor the plain token anywhere', async () => {
    const user = await newUser();
    const ciphertext = await storedCiphertext(user.uid);
    const plain = await plainWeiboToken(user);
    expect(await whereStored(needlesOf(ciphertext))).not.toEqual([]);

    const unbound = await send(user.browser, 'DELETE', '/v1/users/weibo/binding', user.token);
    expect(unbound).toMatchObject({ status: 200, body: { code: 200 } });
    const revoked = sut.weibo.calls.filter(
      (call) => call.path === '/oauth2/revokeoauth2' && call.form.access_token === plain,
    );
    expect(revoked).toHaveLength(1);
    expect(await whereStored([...needlesOf(ciphertext), plain])).toEqual([]);
  });

  it('after deleting the account: neither its ciphertext nor the plain token anywhere', async () => {
    const user = await newUser();
    const ciphertext = await storedCiphertext(user.uid);
    const plain = await plainWeiboToken(user);
    expect(await whereStored(needlesOf(ciphertext))).not.toEqual([]);

    const deleted = await send(user.browser, 'DELETE', '/v1/users/me', user.token, {
      password: PASSWORD,
    });
    expect(deleted).toMatchObject({ status: 200, body: { code: 200 } });
    const revoked = sut.weibo.calls.filter(
      (call) => call.path === '/oauth2/revokeoauth2' && call.form.access_token === plain,
    );
    expect(revoked).toHaveLength(1);
    expect(await whereStored([...needlesOf(ciphertext), plain])).toEqual([]);
  });
});
