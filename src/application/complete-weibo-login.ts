import { StateInvalid } from '../domain/errors.ts';
import { isBound, type WeiboProfile } from '../domain/weibo-account.ts';
import { matchesBinding } from './browser-binding.ts';
import type {
  OAuthProvider,
  StateStore,
  TokenIssuer,
  UserRepository,
  WeiboAccountRepository,
} from './ports.ts';

export interface CompleteWeiboLoginInput {
  code: string;
  state: string;
  browserSecret?: string;
}

export type CompleteWeiboLoginResult =
  | { kind: 'signed-in'; username: string; token: string; returnTo: string }
  | {
      kind: 'needs-bind';
      uid: string;
      bindToken: string;
      returnTo: string;
      profile: WeiboProfile | null;
    };

export class CompleteWeiboLogin {
  constructor(
    private readonly oauth: OAuthProvider,
    private readonly states: StateStore,
    private readonly weiboAccounts: WeiboAccountRepository,
    private readonly users: UserRepository,
    private readonly tokens: TokenIssuer,
  ) {}

  async execute(input: CompleteWeiboLoginInput): Promise<CompleteWeiboLoginResult> {
    // Consumed before the browser check, so a leaked state is burnt by its first presentation.
    const pending = await this.states.consume(input.state);
    if (!pending || !matchesBinding(input.browserSecret, pending.browserBindingHash)) {
      throw new StateInvalid();
    }
    const grant = await this.oauth.exchangeCode(input.code);
    const account = await this.weiboAccounts.saveGrant(grant);
    if (isBound(account)) {
      const user = await this.users.findById(account.userId);
      if (!user) throw new Error(`Weibo account ${account.uid} is bound to a missing user`);
      const token = await this.tokens.issueLoginToken(user);
      return { kind: 'signed-in', username: user.username, token, returnTo: pending.returnTo };
    }
    const [bindToken, profile] = await Promise.all([
      this.tokens.issueBindToken(grant.uid),
      this.oauth.fetchProfile(grant),
    ]);
    return { kind: 'needs-bind', uid: grant.uid, bindToken, returnTo: pending.returnTo, profile };
  }
}
