import { describe, expect, it } from 'vitest';
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
