import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { CompleteWeiboLogin } from '../../src/application/complete-weibo-login.ts';
import { OAuthCodeRejected } from '../../src/application/errors.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { StartWeiboLogin } from '../../src/application/start-weibo-login.ts';
import { WeiboSignIn } from '../../src/application/weibo-sign-in.ts';
import { StateInvalid } from '../../src/domain/errors.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  FakeClock,
  FakeOAuthProvider,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const UID = '1404376560';
const BROWSER = 'Mozilla/5.0 (Macintosh) Safari/18.0';

describe('CompleteWeiboLogin', () => {
  let clock: FakeClock;
  let oauth: FakeOAuthProvider;
  let store: InMemoryStore;
  let sessions: InMemorySessionRepository;
  let startLogin: StartWeiboLogin;
  let completeLogin: CompleteWeiboLogin;

  beforeEach(() => {
    clock = new FakeClock();
    oauth = new FakeOAuthProvider();
    oauth.grants.set('code-1', { uid: UID, accessToken: 'token-1', expiresAt: null });
    store = new InMemoryStore();
    sessions = new InMemorySessionRepository(store);
    const states = new InMemoryStateStore(clock);
    const tokens = new FakeTokenIssuer();
    startLogin = new StartWeiboLogin(oauth, states, 600);
    const signIn = new WeiboSignIn(
      oauth,
      store.weiboAccountRepository,
      tokens,
      new Sessions(tokens, sessions, clock, new SequentialIds(), {
        loginTtlSeconds: 3600,
        refreshTtlSeconds: 86_400,
      }),
    );
    completeLogin = new CompleteWeiboLogin(oauth, states, signIn);
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

  it('starts no session for an unbound uid', async () => {
    const { state, browserSecret } = await begin();
    await completeLogin.execute({ code: 'code-1', state, browserSecret }, { userAgent: BROWSER });
    expect(sessions.all()).toEqual([]);
  });

  it('answers without a profile when Weibo does not give one', async () => {
    oauth.profile = null;
    const { state, browserSecret } = await begin();
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret });
    expect(result).toMatchObject({ kind: 'needs-bind', profile: null });
  });

  async function bindAlice() {
    await store.userRepository.add(aUserProfile({ id: 'user-1', username: 'alice' }));
    await store.weiboAccountRepository.saveGrant({ uid: UID, accessToken: 'old', expiresAt: null });
    await store.weiboAccountRepository.bindIfUnbound(UID, 'user-1');
  }

  it('signs in a bound uid and refreshes its stored token', async () => {
    await bindAlice();
    const { state, browserSecret } = await begin('/home');
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret });
    expect(result).toMatchObject({ kind: 'signed-in', username: 'alice', returnTo: '/home' });
    expect(store.weiboAccounts.get(UID)?.accessToken).toBe('token-1');
  });

  it('starts a session with the browser’s user agent for a bound uid and answers its tokens', async () => {
    await bindAlice();
    const { state, browserSecret } = await begin('/home');
    const requester = { ip: '203.0.113.5', userAgent: BROWSER };
    const result = await completeLogin.execute({ code: 'code-1', state, browserSecret }, requester);
    expect(sessions.all()).toHaveLength(1);
    const [session] = sessions.all();
    expect(session).toMatchObject({
      userId: 'user-1',
      createdAt: clock.now(),
      userAgent: BROWSER,
      revokedAt: null,
    });
    expect(result).toEqual({
      kind: 'signed-in',
      username: 'alice',
      token: `login:user-1:alice:${session?.id}`,
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: 3600,
      returnTo: '/home',
    });
    expect(store.auditEntries).toEqual([
      expect.objectContaining({
        userId: 'user-1',
        action: 'signed_in',
        actor: 'user',
        ip: '203.0.113.5',
        userAgent: BROWSER,
        sessionId: session?.id,
        detail: { method: 'weibo' },
      }),
    ]);
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

  it('starts no session for a bound uid when the state is refused', async () => {
    await bindAlice();
    const { state } = await begin();
    await expect(completeLogin.execute({ code: 'code-1', state })).rejects.toThrow(StateInvalid);
    expect(sessions.all()).toEqual([]);
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
