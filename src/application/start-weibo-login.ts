import { InvalidReturnTo } from '../domain/errors.ts';
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

// A single leading slash keeps the redirect on this site: "//host" and "/\host" leave it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const UNSAFE_RETURN_TO = /^\/[/\\]|\\|[\u0000-\u001f\u007f]/;

export function parseReturnTo(value: string | undefined): string {
  if (value === undefined) return '/';
  if (!value.startsWith('/') || value.length > 2048 || UNSAFE_RETURN_TO.test(value)) {
    throw new InvalidReturnTo();
  }
  return value;
}
