import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, send } from '../support/accounts.ts';
import {
  CLIENT,
  freshUid,
  type ServiceUnderTest,
  startServiceUnderTest,
} from '../support/running-service.ts';

const APP_LOGIN = '/v1/users/weibo/app-login';
const NATIVE_APP_KEY = '5551234567';
const INVALID = { status: 401, body: { code: 10166, error: 'Invalid Weibo token' } };

let sut: ServiceUnderTest;
beforeAll(async () => {
  sut = await startServiceUnderTest({ WEIBO_APP_KEYS: ` ${NATIVE_APP_KEY} , 777` });
});
afterAll(() => sut.stop());
beforeEach(() => sut.weibo.reset());

function appLogin(body: unknown) {
  return send(sut.browser(), 'POST', APP_LOGIN, undefined, body);
}

async function storedAccounts(uid: string) {
  return sut.database.db.selectFrom('weibo_accounts').selectAll().where('uid', '=', uid).execute();
}

/** A fresh uid signed up from the phone: app login (201), then the bind form. */
async function signUpFromPhone() {
  const uid = freshUid();
  const first = await appLogin({ access_token: sut.weibo.issueAppToken({ uid }), uid });
  expect(first).toMatchObject({ status: 200, body: { code: 201, uid } });
  const username = `app_${uid}`;
  const bound = await sut.browser().post('/v1/users/weibo/users', {
    bind_token: first.body.bind_token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'app@example.com',
  });
  expect(bound.body.code).toBe(200);
  return { uid, username };
}

describe('POST /v1/users/weibo/app-login', () => {
  it('answers 201 with a bind token for an unbound uid, then 200 with a session once bound', async () => {
    const { uid, username } = await signUpFromPhone();
    const again = await appLogin({ access_token: sut.weibo.issueAppToken({ uid }), uid });
    expect(again).toMatchObject({ status: 200, body: { code: 200, username, expires_in: 3600 } });
    expect(again.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(again.body).not.toHaveProperty('return_to');
    expect(again.headers.get('cache-control')).toBe('no-store');
    const me = await send(sut.browser(), 'GET', '/v1/users/me', again.body.token);
    expect(me.body.weibo).toMatchObject({ uid, authorization: 'valid' });
  });

  it('asks Weibo whose the token is with get_token_info, before storing anything', async () => {
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid, screenName: 'Phone User' });
    const answer = await appLogin({ access_token: token, uid });
    expect(answer.body).toMatchObject({ code: 201, profile: { screen_name: 'Phone User' } });
    const [check] = sut.weibo.calls;
    expect(check).toMatchObject({ method: 'POST', path: '/oauth2/get_token_info' });
    expect(check?.form).toEqual({ access_token: token });
    const [stored] = await storedAccounts(uid);
    expect(stored?.access_token_encrypted).not.toContain(token);
    const lifetime = (stored?.access_token_expires_at?.getTime() ?? 0) - Date.now();
    expect(lifetime / 1000).toBeGreaterThan(157_679_999 - 60);
  });

  it("accepts a native app's own key from WEIBO_APP_KEYS", async () => {
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid }, { appKey: NATIVE_APP_KEY });
    expect(await appLogin({ access_token: token, uid })).toMatchObject({ body: { code: 201 } });
  });

  it('reads uid and appkey sent as strings, and the lifetime as expires_in', async () => {
    const uid = freshUid();
    sut.weibo.failNext('tokenInfoAnswer', {
      answer: { uid, appkey: CLIENT.clientId, scope: null, create_at: 1, expires_in: '3600' },
    });
    const answer = await appLogin({ access_token: 'a-token-weibo-vouches-for', uid });
    expect(answer).toMatchObject({ status: 200, body: { code: 201, uid } });
    const [stored] = await storedAccounts(uid);
    const lifetime = (stored?.access_token_expires_at?.getTime() ?? 0) - Date.now();
    expect(Math.round(lifetime / 1000)).toBeGreaterThan(3590);
    expect(Math.round(lifetime / 1000)).toBeLessThanOrEqual(3600);
  });

  it('refuses a token another app obtained from the same user, though Weibo says it is valid', async () => {
    const { uid } = await signUpFromPhone();
    const ours = sut.weibo.issueAppToken({ uid });
    expect(await appLogin({ access_token: ours, uid })).toMatchObject({ body: { code: 200 } });
    const before = await storedAccounts(uid);

    const foreign = sut.weibo.issueAppToken({ uid }, { appKey: '3000000001' });
    const info = await fetch(`${sut.weibo.url()}/oauth2/get_token_info`, {
      method: 'POST',
      body: new URLSearchParams({ access_token: foreign }),
    });
    expect(JSON.parse(await info.text())).toMatchObject({ uid: Number(uid), appkey: 3000000001 });
    const answer = await appLogin({ access_token: foreign, uid });
    expect(answer).toMatchObject(INVALID);
    expect(answer.body).not.toHaveProperty('token');
    expect(await storedAccounts(uid)).toEqual(before);
  });

  it('refuses a token of another uid than the one sent', async () => {
    const { uid } = await signUpFromPhone();
    const token = sut.weibo.issueAppToken({ uid });
    expect(await appLogin({ access_token: token, uid })).toMatchObject({ body: { code: 200 } });
    const other = freshUid();
    expect(await appLogin({ access_token: token, uid: other })).toMatchObject(INVALID);
    expect(await storedAccounts(other)).toEqual([]);
  });

  it.each([
    [21327, 'expired'],
    [21332, 'invalid'],
    [21319, 'revoked'],
    [21301, 'refused'],
  ])('answers 401 10166 when Weibo says %i (%s), storing nothing', async (errorCode) => {
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid });
    sut.weibo.failNext('tokenInfoExpired', { errorCode });
    expect(await appLogin({ access_token: token, uid })).toMatchObject(INVALID);
    expect(await storedAccounts(uid)).toEqual([]);
    expect(await appLogin({ access_token: token, uid })).toMatchObject({ body: { code: 201 } });
  });

  it('answers 401 10166 for a token past its expiry and for one Weibo never issued', async () => {
    const uid = freshUid();
    const spent = sut.weibo.issueAppToken({ uid }, { expiresIn: 0 });
    expect(await appLogin({ access_token: spent, uid })).toMatchObject(INVALID);
    sut.weibo.failNext('tokenInfoAnswer', {
      answer: { uid: Number(uid), appkey: CLIENT.clientId, create_at: 1, expire_in: 0 },
    });
    expect(await appLogin({ access_token: 'expired-by-a-hair', uid })).toMatchObject(INVALID);
    expect(await appLogin({ access_token: '2.00made-up', uid })).toMatchObject(INVALID);
    expect(await storedAccounts(uid)).toEqual([]);
  });

  it('answers 502 10142 when Weibo fails or answers nonsense, 503 10167 when rate limited', async () => {
    const uid = freshUid();
    const token = sut.weibo.issueAppToken({ uid });
    sut.weibo.failNext('tokenInfoDown');
    expect(await appLogin({ access_token: token, uid })).toMatchObject({
      status: 502,
      body: { code: 10142 },
    });
    sut.weibo.failNext('tokenInfoAnswer', { answer: { uid, appkey: CLIENT.clientId } });
    expect(await appLogin({ access_token: token, uid })).toMatchObject({ status: 502 });
    sut.weibo.failNext('tokenInfoRateLimited', { errorCode: 10023 });
    const limited = await appLogin({ access_token: token, uid });
    expect(limited).toMatchObject({ status: 503, body: { code: 10167 } });
    expect(Number(limited.headers.get('retry-after'))).toBe(60);
    expect(await storedAccounts(uid)).toEqual([]);
  });

  it.each([
    ['no access_token', { uid: '1404376560' }],
    ['an empty access_token', { access_token: '', uid: '1404376560' }],
    ['a numeric uid', { access_token: 't', uid: 1404376560 }],
    ['a uid with letters', { access_token: 't', uid: '14043x' }],
    ['an access_token that is not a string', { access_token: ['t'], uid: '1404376560' }],
  ])('refuses %s with 400 10100, asking Weibo nothing', async (_case, body) => {
    expect(await appLogin(body)).toMatchObject({ status: 400, body: { code: 10100 } });
    expect(sut.weibo.calls).toEqual([]);
  });

  it('refuses a body that is not JSON with 400 10155', async () => {
    expect(await appLogin('{"access_token":')).toMatchObject({
      status: 400,
      body: { code: 10155 },
    });
  });

  it('leaves the stored token of a bound uid fresh and valid after each app login', async () => {
    const { uid } = await signUpFromPhone();
    await sql`update weibo_accounts set authorization_state = 'revoked' where uid = ${uid}`.execute(
      sut.database.db,
    );
    await appLogin({ access_token: sut.weibo.issueAppToken({ uid }), uid });
    const [stored] = await storedAccounts(uid);
    expect(stored?.authorization_state).toBe('valid');
  });
});
