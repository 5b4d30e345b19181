import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmail, parsePhone, parseUsername } from '../../src/domain/user-profile.ts';
import { PASSWORD, signUp } from '../support/accounts.ts';
import {
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

// Every status and code pair SPEC allows on these endpoints.
const ERRORS: Record<number, number[]> = {
  400: [10100, 10108, 10117, 10126, 10150, 10155, 12345],
  401: [10130, 10160, 10162],
  403: [10151],
  404: [404],
  409: [10152, 10153, 10163],
  429: [10156],
};
const SEED = 20_261_130;

let sut: ServiceUnderTest;
const bindTokens: string[] = [];
let account: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  sut = await startServiceUnderTest({ BIND_RATE_LIMIT_PER_HOUR: '0' });
  account = await signUp(sut);
  for (let i = 0; i < 12; i += 1) {
    const browser = sut.browser();
    const answer = await browser.callback(
      sut.weibo.issueCode({ uid: freshUid() }),
      await browser.startLogin(),
    );
    bindTokens.push(answer.body.bind_token);
  }
});
afterAll(() => sut.stop());

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '/', '//evil.com', '/.//x', '%2e', '\u0000', '\u202e', 'true', 'mobile'),
);
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
const headers = fc.dictionary(
  fc.constantFrom('cookie', 'x-forwarded-for', 'content-type', 'accept', 'origin', 'x-request-id'),
  headerValue,
  { maxKeys: 4 },
);
const query = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('return_to', 'display', 'forcelogin', 'language', 'code', 'state'),
        text,
      ),
      text,
    ),
    { maxLength: 5 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: valid },
    fc.jsonValue({ maxDepth: 2 }),
    text,
    fc.constant(undefined),
  );
const bindForm = fc.record({
  bind_token: field(
    fc.constantFrom(...Array.from({ length: 12 }, (_, i) => i)).map((i) => bindTokens[i]),
  ),
  username: field(fc.stringMatching(/^[A-Za-z0-9_]{3,32}$/)),
  password: field(fc.string({ unit: 'grapheme', minLength: 8, maxLength: 30 })),
  phone: field(fc.constantFrom('+8613800138000', '138 0013 8000', '+1-202-555-0101')),
  // Any code point in the local part: controls and NUL included.
  email: field(
    fc
      .tuple(
        fc
          .array(
            fc.oneof(
              fc.constantFrom('\u0000', '\u0085', '\u202e', 'a'),
              fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
            ),
            { minLength: 1, maxLength: 3 },
          )
          .map((parts) => parts.join('')),
        fc.constantFrom('b.cn', 'mail.example.com'),
      )
      .map(([local, domain]) => `${local}@${domain}`),
  ),
  uid: fc.option(text, { nil: undefined, freq: 2 }),
});
const body = fc.oneof(
  { weight: 4, arbitrary: bindForm.map((form) => JSON.stringify(form)) },
  fc.json({ maxDepth: 3 }),
  text,
);
/** Strings no username or password can be, and that a database may choke on. */
const hostile = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'ab\udc00c', '\udfff\ud800', '\u202e', '\uffff'),
  fc
    .tuple(fc.stringMatching(/^[a-z]{3,8}$/), fc.constantFrom('\u0000', '\ud83d', '\u0085'))
    .map(([name, bad]) => `${name}${bad}`),
  fc.integer({ min: 33, max: 12_000 }).map((length) => 'a'.repeat(length)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const credential = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 3, arbitrary: field(valid) }, { weight: 3, arbitrary: hostile });
const credentialsBody = fc
  .record({
    bind_token: field(
      fc.constantFrom(...Array.from({ length: 12 }, (_, i) => i)).map((i) => bindTokens[i]),
    ),
    username: credential(
      fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9_]{3,32}$/),
        fc.constant(null).map(() => account.username),
      ),
    ),
    password: credential(fc.oneof(fc.string({ maxLength: 30 }), fc.constant(PASSWORD))),
  })
  .map((form) => JSON.stringify(form));
const request = fc.oneof(
  fc.record({
    method: fc.constant('GET'),
    path: fc.constant('/v1/users/weibo/authorization'),
    query,
    headers,
  }),
  fc.record({
    method: fc.constant('GET'),
    path: fc.constant('/v1/users/weibo/users'),
    query,
    headers,
  }),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/v1/users/weibo/users'),
    query,
    headers,
    body,
  }),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constantFrom('/v1/tokens', '/v1/users/weibo/bindings'),
    query,
    headers,
    body: fc.oneof({ weight: 4, arbitrary: credentialsBody }, body),
  }),
  fc.record({
    method: fc.constant('DELETE'),
    path: fc.constant('/v1/users/me'),
    query,
    headers: headers.map((chosen) => ({
      ...chosen,
      authorization: `Bearer ${account.token}`,
    })),
    body: credentialsBody,
  }),
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
    path: fc.constantFrom(
      '/v1/users/weibo',
      '/v1/users/weibo/users/1',
      '/v2',
      '/v1/users/weibo/authorization/x',
    ),
    query,
    headers,
  }),
);

/** The callback after a real authorize call, its code valid or not, its cookie kept or not. */
const callbackFlow = fc.record({
  validCode: fc.boolean(),
  code: text,
  keepCookie: fc.boolean(),
  headers,
});

async function runCallbackFlow(flow: {
  validCode: boolean;
  code: string;
  keepCookie: boolean;
  headers: Record<string, string>;
}): Promise<Response> {
  const app = sut.service.app;
  const authorize = await app.request('/v1/users/weibo/authorization');
  const { oauth_url } = (await authorize.json()) as { oauth_url: string };
  const state = new URL(oauth_url).searchParams.get('state') ?? '';
  const cookie = authorize.headers.get('set-cookie')?.split(';')[0] ?? '';
  const code = flow.validCode ? sut.weibo.issueCode({ uid: freshUid() }) : flow.code;
  const headers = { ...flow.headers, ...(flow.keepCookie && { cookie }) };
  return app.request(`/v1/users/weibo/users?${new URLSearchParams({ code, state })}`, { headers });
}

describe('a seeded fuzz of the login and credentials endpoints', () => {
  it('never answers 5xx, always a contract body, and stores only valid rows', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: request }, callbackFlow), async (r) => {
        const response =
          'validCode' in r
            ? await runCallbackFlow(r)
            : await sut.service.app.request(`${r.path}?${r.query}`, {
                method: r.method,
                headers: r.headers,
                body: 'body' in r ? r.body : undefined,
              });
        const answer = JSON.parse(await response.text());
        const key = `${response.status} ${answer.code}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        expect(response.status, JSON.stringify(answer)).toBeLessThan(500);
        if (response.status === 200) {
          expect([200, 201]).toContain(answer.code);
          return;
        }
        expect(ERRORS[response.status]).toContain(answer.code);
        expect(Object.keys(answer)).toEqual(['code', 'error']);
        expect(typeof answer.error).toBe('string');
      }),
      { seed: SEED, numRuns: 3_000 },
    );
    // The run reached every branch, successes and binds included.
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining([
        '200 200',
        '200 201',
        '400 10100',
        '400 10155',
        '401 10130',
        '401 10162',
        '403 10151',
        '404 404',
        '409 10153',
      ]),
    );

    const users = await sut.database.db.selectFrom('users').selectAll().execute();
    expect(users.length).toBeGreaterThan(0);
    for (const user of users) {
      expect(() => parseUsername(user.username)).not.toThrow();
      expect(() => parseEmail(user.email)).not.toThrow();
      expect(`${user.username}${user.email}${user.phone}`).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      expect(parsePhone(user.phone)).toBe(user.phone);
      expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    }
    const { rows } = await sql<{ orphans: number }>`
      select count(*)::int as orphans from users u
      where not exists (select 1 from weibo_accounts w where w.user_id = u.id)
         or not exists (select 1 from outbox o where o.aggregate_id = u.id::text)`.execute(
      sut.database.db,
    );
    expect(rows[0]?.orphans).toBe(0);
  });
});
