import type { Requester } from '../domain/audit.ts';
import { StateInvalid } from '../domain/errors.ts';
import { matchesBinding } from './browser-binding.ts';
import type { StateStore } from './ports.ts';
import type { OAuthProvider } from './weibo-ports.ts';
import type { WeiboSignIn, WeiboSignInResult } from './weibo-sign-in.ts';

export interface CompleteWeiboLoginInput {
  code: string;
  state: string;
  browserSecret?: string;
}

export type CompleteWeiboLoginResult = WeiboSignInResult & { returnTo: string };

/** The browser's callback (endpoint 2): its one-time state, then the code exchange. */
export class CompleteWeiboLogin {
  constructor(
    private readonly oauth: OAuthProvider,
    private readonly states: StateStore,
    private readonly signIn: WeiboSignIn,
  ) {}

  async execute(
    input: CompleteWeiboLoginInput,
    requester: Requester = {},
  ): Promise<CompleteWeiboLoginResult> {
    // Consumed before the browser check, so a leaked state is burnt by its first presentation.
    const pending = await this.states.consume(input.state);
    if (!pending || !matchesBinding(input.browserSecret, pending.browserBindingHash)) {
      throw new StateInvalid();
    }
    const grant = await this.oauth.exchangeCode(input.code, { clientIp: requester.ip });
    const result = await this.signIn.complete(grant, requester, 'weibo');
    return { ...result, returnTo: pending.returnTo };
  }
}
