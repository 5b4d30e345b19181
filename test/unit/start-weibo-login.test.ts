import { describe, expect, it } from 'vitest';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { bindingHash } from '../../src/application/browser-binding.ts';
import { RateLimited } from '../../src/application/errors.ts';
import { StartWeiboLogin } from '../../src/application/start-weibo-login.ts';
import { InvalidReturnTo } from '../../src/domain/errors.ts';
import { FakeClock, FakeOAuthProvider } from '../support/fakes.ts';

function setup() {
  const clock = new FakeClock();
  const states = new InMemoryStateStore(clock, { limiter: new InMemoryRateLimiter(clock) });
  const startLogin = new StartWeiboLogin(new FakeOAuthProvider(), states, 600);
  const stateOf = (oauthUrl: string) => new URL(oauthUrl).searchParams.get('state') ?? '';
  return { clock, states, startLogin, stateOf };
}

describe('StartWeiboLogin', () => {
  it('stores a one-time state bound to the browser secret and puts it in the URL', async () => {
    const { states, startLogin, stateOf } = setup();
    const { oauthUrl, browserSecret } = await startLogin.execute({
      returnTo: '/cart',
      forceLogin: false,
    });
    const state = stateOf(oauthUrl);
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await states.consume(state)).toEqual({
      returnTo: '/cart',
      browserBindingHash: bindingHash(browserSecret),
    });
    expect(await states.consume(state)).toBeNull();
  });

  it('counts the request with the state write, and over the limit refuses it, saving nothing', async () => {
    const { states, startLogin } = setup();
    const rateCount = { key: 'ip:198.51.100.1', limit: 1, windowSeconds: 60 };
    await startLogin.execute({ forceLogin: false, rateCount });
    expect(states.size).toBe(1);
    const refused = startLogin.execute({ forceLogin: false, rateCount });
    await expect(refused).rejects.toBeInstanceOf(RateLimited);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 60 });
    expect(states.size).toBe(1);
  });

  it('creates a different state and secret on every call', async () => {
    const { startLogin, stateOf } = setup();
    const first = await startLogin.execute({ forceLogin: false });
    const second = await startLogin.execute({ forceLogin: false });
    expect(stateOf(first.oauthUrl)).not.toBe(stateOf(second.oauthUrl));
    expect(first.browserSecret).not.toBe(second.browserSecret);
  });

  it('reuses a well-formed secret the browser already holds, so two tabs can log in', async () => {
    const { startLogin } = setup();
    const first = await startLogin.execute({ forceLogin: false });
    const second = await startLogin.execute({
      forceLogin: false,
      browserSecret: first.browserSecret,
    });
    expect(second.browserSecret).toBe(first.browserSecret);
    const fresh = await startLogin.execute({ forceLogin: false, browserSecret: 'short' });
    expect(fresh.browserSecret).not.toBe('short');
  });

  it('expires the state after its lifetime', async () => {
    const { clock, states, startLogin, stateOf } = setup();
    const { oauthUrl } = await startLogin.execute({ forceLogin: false });
    clock.advance(601);
    expect(await states.consume(stateOf(oauthUrl))).toBeNull();
  });

  it('defaults return_to to /', async () => {
    const { states, startLogin, stateOf } = setup();
    const { oauthUrl } = await startLogin.execute({ forceLogin: false });
    expect((await states.consume(stateOf(oauthUrl)))?.returnTo).toBe('/');
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    'https://evil.com',
    'evil',
    '/a\\b',
    '/a\nb',
    '/a\u0000',
    `/${'a'.repeat(2048)}`,
  ])('refuses return_to %j without storing a state', async (returnTo) => {
    const { states, startLogin } = setup();
    await expect(startLogin.execute({ returnTo, forceLogin: false })).rejects.toThrow(
      InvalidReturnTo,
    );
    expect(states.size).toBe(0);
  });
});
