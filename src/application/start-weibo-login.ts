import { parseReturnTo } from '../domain/return-to.ts';
import { bindingHash, isWellFormedSecret, newSecret } from './browser-binding.ts';
import { RateLimited } from './errors.ts';
import type { RateCount, StateStore } from './ports.ts';
import type { Display, OAuthProvider } from './weibo-ports.ts';

export interface StartWeiboLoginInput {
  returnTo?: string;
  display?: Display;
  forceLogin: boolean;
  language?: 'en';
  /** The browser's binding secret from its cookie, reused so several tabs can log in. */
  browserSecret?: string;
  /** The client's request, counted against its limit with the state's write; over it: RateLimited. */
  rateCount?: RateCount;
}

export interface StartWeiboLoginResult {
  oauthUrl: string;
  browserSecret: string;
}

export class StartWeiboLogin {
  constructor(
    private readonly oauth: OAuthProvider,
    private readonly states: StateStore,
    private readonly stateTtlSeconds: number,
  ) {}

  async execute(input: StartWeiboLoginInput): Promise<StartWeiboLoginResult> {
    const returnTo = parseReturnTo(input.returnTo);
    const browserSecret = isWellFormedSecret(input.browserSecret)
      ? input.browserSecret
      : newSecret();
    const { state, wait } = await this.states.save(
      newSecret(),
      { returnTo, display: input.display, browserBindingHash: bindingHash(browserSecret) },
      this.stateTtlSeconds,
      input.rateCount,
    );
    if (state === null) throw new RateLimited(wait);
    const oauthUrl = this.oauth.authorizationUrl({
      state,
      display: input.display,
      forceLogin: input.forceLogin,
      language: input.language,
    });
    return { oauthUrl, browserSecret };
  }
}
