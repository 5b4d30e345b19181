import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { CompleteWeiboLogin } from '../../src/application/complete-weibo-login.ts';
import { OAuthCodeRejected } from '../../src/application/errors.ts';
import { StartWeiboLogin } from '../../src/application/start-weibo-login.ts';
import { StateInvalid } from '../../src/domain/errors.ts';
import { aUserProfile } from '../support/builders.ts';
import { FakeClock, FakeOAuthProvider, FakeTokenIssuer, InMemoryStore } from '../support/fakes.ts';

const UID = '1404376560';

describe('CompleteWeiboLogin', () => {
  let clock: FakeClock;
  let oauth: FakeOAuthProvider;
  let store: InMemoryStore;
  let startLogin: StartWeiboLogin;
  let completeLogin: CompleteWeiboLogin;

  beforeEach(() => {
    clock = new FakeClock();
    oauth = new FakeOAuthProvider();
    oauth.grants.set('code-1', { uid: UID, accessToken: 'token-1', expiresAt: null });
    store = new InMemoryStore();
    const states = new InMemoryStateStore(clock);
    startLogin = new StartWeiboLogin(oauth, states, 600);
    completeLogin = new CompleteWeiboLogin(
      oauth,
      states,
      store.weiboAccountRepository,
      store.userRepository,
      new FakeTokenIssuer(),
    );
  });

  async function begin(returnTo = '/') {
    const { oauthUrl, browserSecret } = await startLogin.execute({ returnTo, forceLogin: false });
    return { state: new URL(oauthUrl).searchParams.get('state') ?? '', browserSecret };
  }

  it('hands out a bind token and the Weibo profile for an unbound uid', async () => {
    const { state, browserSecret } = await begin('/orders');
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret });
    expect(result).toEqual({
      kind: 'needs-bind',
      uid: UID,
      bindToken: `bind:${UID}`,
      returnTo: '/orders',
      profile: { screenName: 'Weibo User', avatar: 'https://tva1.example/a.jpg' },
    });
    expect(store.weiboAccounts.get(UID)?.accessToken).toBe('token-1');
  });

  it('answers without a profile when Weibo does not give one', async () => {
    oauth.profile = null;
    const { state, browserSecret } = await begin();
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret });
    expect(result).toMatchObject({ kind: 'needs-bind', profile: null });
  });

  it('signs in a bound uid and refreshes its stored token', async () => {
    await store.userRepository.add(aUserProfile({ id: 'user-1', username: 'alice' }));
    await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken: 'old', expiresAt: null });
    await store.weiboAccountRepository.bindIfUnbound(UID, 'user-1');
    const { state, browserSecret } = await begin('/home');
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret });
    expect(result).toEqual({
      kind: 'signed-in',
      username: 'alice',
      token: 'login:user-1:alice',
      returnTo: '/home',
    });
    expect(store.weiboAccounts.get(UID)?.accessToken).toBe('token-1');
  });

  it('rejects an unknown state without calling Weibo', async () => {
    const { browserSecret } = await begin();
    await expect(
      completeLogin.execute({ code: 'code-1', state: 'made-up', browserSecret }),
    ).rejects.toThrow(StateInvalid);
    expect(oauth.exchanged).toEqual([]);
  });

  it('rejects a reused state nonce', async () => {
    const { state, browserSecret } = await begin();
    await completeLogin.execute({ code: 'code-1', state, browserSecret });
    await expect(completeLogin.execute({ code: 'code-1', state, browserSecret })).rejects.toThrow(
      StateInvalid,
    );
    expect(oauth.exchanged).toEqual(['code-1']);
  });

  it('rejects an expired state', async () => {
    const { state, browserSecret } = await begin();
    clock.advance(601);
    await expect(completeLogin.execute({ code: 'code-1', state, browserSecret })).rejects.toThrow(
      StateInvalid,
    );
  });

  it('rejects a state presented by another browser and burns it for the right one too', async () => {
    const { state, browserSecret } = await begin();
    const other = await begin();
    await expect(
      completeLogin.execute({ code: 'code-1', state, browserSecret: other.browserSecret }),
    ).rejects.toThrow(StateInvalid);
    await expect(completeLogin.execute({ code: 'code-1', state, browserSecret })).rejects.toThrow(
      StateInvalid,
    );
    expect(oauth.exchanged).toEqual([]);
  });

  it('rejects a state presented without the binding cookie', async () => {
    const { state } = await begin();
    await expect(completeLogin.execute({ code: 'code-1', state })).rejects.toThrow(StateInvalid);
  });

  it('passes on a code Weibo refuses and stores nothing', async () => {
    oauth.failure = new OAuthCodeRejected('error 21325');
    const { state, browserSecret } = await begin();
    await expect(completeLogin.execute({ code: 'code-1', state, browserSecret })).rejects.toThrow(
      OAuthCodeRejected,
    );
    expect(store.weiboAccounts.size).toBe(0);
  });
});
