import { parseReturnTo } from '../domain/return-to.ts';
import { bindingHash, isWellFormedSecret, newSecret } from './browser-binding.ts';
import type { Display, OAuthProvider, StateStore } from './ports.ts';

export interface StartWeiboLoginInput {
  returnTo?: string;
  display?: Display;
  forceLogin: boolean;
  language?: 'en';
  /** The browser's binding secret from its cookie, reused so several tabs can log in. */
  browserSecret?: string;
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
    const state = newSecret();
    await this.states.save(
      state,
      { returnTo, display: input.display, browserBindingHash: bindingHash(browserSecret) },
      this.stateTtlSeconds,
    );
    const oauthUrl = this.oauth.authorizationUrl({
      state,
      display: input.display,
      forceLogin: input.forceLogin,
      language: input.language,
    });
    return { oauthUrl, browserSecret };
  }
}
