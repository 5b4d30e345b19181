import { describe, expect, it } from 'vitest';
import { AuthorizeUrls } from '../../src/adapters/weibo/authorize-urls.ts';

const OPTIONS = {
  clientId: 'app-1',
  redirectUri: 'https://shop.example/callback.html',
  scope: 'email',
  authorizeUrl: 'https://api.weibo.com/oauth2/authorize',
  mobileAuthorizeUrl: 'https://open.weibo.cn/oauth2/authorize',
};

/** What the URL must be: built from scratch with URL and URLSearchParams. */
function expected(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

describe('AuthorizeUrls', () => {
  const urls = new AuthorizeUrls(OPTIONS);
  const common = { client_id: 'app-1', redirect_uri: OPTIONS.redirectUri, response_type: 'code' };

  it('puts each state in the URL of its options, the same as building it from scratch', () => {
    for (const state of ['s1-AbC_d', 's2-XyZ_e']) {
      expect(urls.for({ state, forceLogin: false })).toBe(
        expected(OPTIONS.authorizeUrl, { ...common, state, scope: 'email' }),
      );
      expect(urls.for({ state, display: 'mobile', forceLogin: true, language: 'en' })).toBe(
        expected(OPTIONS.mobileAuthorizeUrl, {
          ...common,
          state,
          scope: 'email',
          display: 'mobile',
          forcelogin: 'true',
          language: 'en',
        }),
      );
    }
  });

  it('encodes a state that is not URL-safe as URLSearchParams does', () => {
    const state = 'a b&c=d/é~';
    expect(new URL(urls.for({ state, forceLogin: false })).searchParams.get('state')).toBe(state);
    expect(urls.for({ state, forceLogin: false })).toBe(
      expected(OPTIONS.authorizeUrl, { ...common, state, scope: 'email' }),
    );
  });

  it('still builds the right URL when a configured value holds the placeholder', () => {
    const odd = new AuthorizeUrls({ ...OPTIONS, clientId: '__weibo_auth_state__', scope: '' });
    expect(odd.for({ state: 'real-state', forceLogin: false })).toBe(
      expected(OPTIONS.authorizeUrl, {
        ...common,
        client_id: '__weibo_auth_state__',
        state: 'real-state',
      }),
    );
  });
});
