import { beforeEach, describe, expect, it } from 'vitest';
import { createWeiboSandbox } from '../../src/adapters/weibo/sandbox/weibo-sandbox.ts';

const client = {
  clientId: 'app',
  clientSecret: 'secret',
  redirectUri: 'http://localhost:8000/callback.html',
};
const { app } = createWeiboSandbox(client, 'http://localhost:8000/sandbox/weibo');
const authorize = `/oauth2/authorize?client_id=app&redirect_uri=${encodeURIComponent(client.redirectUri)}&state=s1`;

async function approve(uid: string, screenName = '') {
  const response = await app.request(authorize, {
    method: 'POST',
    body: new URLSearchParams({ uid, screen_name: screenName, decision: 'approve' }),
  });
  return new URL(response.headers.get('location') ?? '');
}

function exchange(code: string) {
  return app.request('/oauth2/access_token', {
    method: 'POST',
    body: new URLSearchParams({
      ...{ client_id: 'app', client_secret: 'secret' },
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
    }),
  });
}

describe('the sandbox Weibo', () => {
  it('shows an authorize page offering test users', async () => {
    const response = await app.request(authorize);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('1000000001');
    expect(page).toContain('value="approve"');
  });

  it('refuses an unknown client or redirect URI like Weibo', async () => {
    const response = await app.request('/oauth2/authorize?client_id=other&redirect_uri=x');
    expect(response.status).toBe(400);
    expect(JSON.parse(await response.text())).toMatchObject({ error_code: 21324 });
  });

  it('redirects an approval to the client with a code and the state', async () => {
    const back = await approve('1000000002');
    expect(back.origin + back.pathname).toBe(client.redirectUri);
    expect(back.searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('redirects a refusal with access_denied', async () => {
    const response = await app.request(authorize, {
      method: 'POST',
      body: new URLSearchParams({ uid: '1000000002', decision: 'deny' }),
    });
    const back = new URL(response.headers.get('location') ?? '');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_code: '21330',
      state: 's1',
    });
  });

  it('exchanges a code once, answering JSON as text/plain, and shows the profile', async () => {
    const code = (await approve('1234567', 'Typed Name')).searchParams.get('code') ?? '';
    const answer = await exchange(code);
    expect(answer.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    const grant = JSON.parse(await answer.text());
    expect(grant).toMatchObject({ uid: '1234567', access_token: expect.stringMatching(/^2\.00/) });
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(JSON.parse(await again.text())).toMatchObject({
      error: 'invalid_grant',
      error_code: 21325,
    });

    const profile = await app.request(
      `/2/users/show.json?access_token=${grant.access_token}&uid=1234567`,
    );
    expect(JSON.parse(await profile.text())).toMatchObject({
      idstr: '1234567',
      screen_name: 'Typed Name',
      avatar_large: 'http://localhost:8000/sandbox/weibo/avatar/1234567.svg',
    });
  });
});

describe('the sandbox Weibo friendships/friends.json and revokeoauth2', () => {
  type Sandbox = ReturnType<typeof createWeiboSandbox>;
  let sandbox: Sandbox;
  const [ming, alice, tester] = ['1000000001', '1000000002', '1000000003'];

  beforeEach(() => {
    sandbox = createWeiboSandbox(client, 'http://localhost:8000/sandbox/weibo');
  });

  async function tokenFor(code: string): Promise<string> {
    const answer = await sandbox.app.request('/oauth2/access_token', {
      method: 'POST',
      body: new URLSearchParams({
        ...{ client_id: 'app', client_secret: 'secret' },
        grant_type: 'authorization_code',
        code,
        redirect_uri: client.redirectUri,
      }),
    });
    return JSON.parse(await answer.text()).access_token;
  }

  /** Signs `uid` in through the authorize page, as a developer picking it would; its token. */
  async function signIn(uid: string): Promise<string> {
    const approval = await sandbox.app.request(authorize, {
      method: 'POST',
      body: new URLSearchParams({ uid, screen_name: '', decision: 'approve' }),
    });
    const back = new URL(approval.headers.get('location') ?? '');
    return tokenFor(back.searchParams.get('code') ?? '');
  }

  async function friends(query: Record<string, string>) {
    const answer = await sandbox.app.request(
      `/2/friendships/friends.json?${new URLSearchParams({ trim_status: '1', ...query })}`,
    );
    return {
      status: answer.status,
      type: answer.headers.get('content-type'),
      body: JSON.parse(await answer.text()),
    };
  }

  function revoke(token: string) {
    return sandbox.app.request('/oauth2/revokeoauth2', {
      method: 'POST',
      body: new URLSearchParams({ access_token: token }),
    });
  }

  it('lists only the friends who approved the app, as text/plain JSON', async () => {
    const token = await signIn(ming);
    expect(await friends({ access_token: token, uid: ming })).toEqual({
      status: 200,
      type: 'text/plain;charset=UTF-8',
      body: { users: [], next_cursor: 0, previous_cursor: 0, total_number: 0, hasvisible: false },
    });
    await signIn(tester);
    const { body } = await friends({ access_token: token, uid: ming });
    expect(body.total_number).toBe(1);
    expect(body.users).toEqual([
      expect.objectContaining({
        id: 1000000003,
        idstr: tester,
        screen_name: '测试用户 Tester',
        description: 'I test things.',
        avatar_large: `http://localhost:8000/sandbox/weibo/avatar/${tester}.svg`,
      }),
    ]);
  });

  it('gives each preset user the other preset users as friends', async () => {
    const token = await signIn(alice);
    await signIn(ming);
    await signIn(tester);
    const { body } = await friends({ access_token: token, uid: alice });
    expect(body.users.map((user: { idstr: string }) => user.idstr)).toEqual([ming, tester]);
    expect(body.users[0]).toMatchObject({ gender: 'm', location: '北京 海淀区', verified: false });
  });

  it('gives a user typed in by hand no friends', async () => {
    await signIn(ming);
    const token = await signIn('4242');
    const { body } = await friends({ access_token: token, uid: '4242' });
    expect(body).toMatchObject({ users: [], total_number: 0 });
  });

  it('pages through the friends with count and cursor', async () => {
    const token = await signIn(ming);
    await signIn(alice);
    await signIn(tester);
    const first = await friends({ access_token: token, uid: ming, count: '1', cursor: '0' });
    expect(first.body).toMatchObject({ next_cursor: 1, previous_cursor: 0, total_number: 2 });
    expect(first.body.users.map((user: { idstr: string }) => user.idstr)).toEqual([alice]);
    const second = await friends({ access_token: token, uid: ming, count: '1', cursor: '1' });
    expect(second.body).toMatchObject({ next_cursor: 0, previous_cursor: 0, total_number: 2 });
    expect(second.body.users.map((user: { idstr: string }) => user.idstr)).toEqual([tester]);
    const past = await friends({ access_token: token, uid: ming, count: '1', cursor: '5' });
    expect(past.body).toMatchObject({ users: [], next_cursor: 0, previous_cursor: 4 });
  });

  it('sends at most 5 friends a page, whatever count asks', async () => {
    const uids = ['1', '2', '3', '4', '5', '6'];
    const token = await tokenFor(sandbox.issueCode({ uid: '7', friends: uids }));
    for (const uid of uids) await signIn(uid);
    const page = await friends({ access_token: token, uid: '7', count: '200' });
    expect(page.body).toMatchObject({ next_cursor: 5, previous_cursor: 0, total_number: 6 });
    expect(page.body.users).toHaveLength(5);
  });

  it('refuses an unknown token with 21332 as Weibo does', async () => {
    expect(await friends({ access_token: '2.00forged', uid: ming })).toMatchObject({
      status: 403,
      body: {
        error: 'invalid_access_token',
        error_code: 21332,
        request: '/2/friendships/friends.json',
      },
    });
  });

  it('refuses the friends of another user than the token’s', async () => {
    const token = await signIn(ming);
    const answer = await friends({ access_token: token, uid: alice });
    expect(answer).toMatchObject({ status: 403, body: { error_code: 10014 } });
  });

  it.each([
    ['count', 'abc'],
    ['count', '0'],
    ['cursor', '-1'],
  ])('refuses a %s of %j with 10017', async (name, value) => {
    const token = await signIn(ming);
    const answer = await friends({ access_token: token, uid: ming, [name]: value });
    expect(answer).toMatchObject({ status: 400, body: { error_code: 10017 } });
  });

  it('revokes a token: result "true", then 21332 for it, and its user no longer listed', async () => {
    const mingToken = await signIn(ming);
    const aliceToken = await signIn(alice);
    const answer = await revoke(aliceToken);
    expect(answer.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(JSON.parse(await answer.text())).toEqual({ result: 'true' });
    expect(await friends({ access_token: aliceToken, uid: alice })).toMatchObject({
      status: 403,
      body: { error_code: 21332 },
    });
    const profile = await sandbox.app.request(
      `/2/users/show.json?access_token=${aliceToken}&uid=${alice}`,
    );
    expect(JSON.parse(await profile.text())).toMatchObject({ error_code: 21332 });
    const { body } = await friends({ access_token: mingToken, uid: ming });
    expect(body).toMatchObject({ users: [], total_number: 0 });
  });

  it('refuses to revoke an unknown or already revoked token with 21332', async () => {
    const token = await signIn(ming);
    await revoke(token);
    const again = await revoke(token);
    expect(again.status).toBe(403);
    expect(JSON.parse(await again.text())).toMatchObject({ error_code: 21332 });
  });
});
