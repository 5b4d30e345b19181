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
import type { Sessions, SignedIn } from './sessions.ts';

export interface CompleteWeiboLoginInput {
  code: string;
  state: string;
  browserSecret?: string;
  /** Of the browser, for the session list. */
  userAgent?: string;
}

export type CompleteWeiboLoginResult =
  | ({ kind: 'signed-in'; returnTo: string } & SignedIn)
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
    private readonly sessions: Sessions,
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
      const signedIn = await this.sessions.start(user, input.userAgent);
      return { kind: 'signed-in', returnTo: pending.returnTo, ...signedIn };
    }
    const [bindToken, profile] = await Promise.all([
      this.tokens.issueBindToken(grant.uid),
      this.oauth.fetchProfile(grant),
    ]);
    return { kind: 'needs-bind', uid: grant.uid, bindToken, returnTo: pending.returnTo, profile };
  }
}
