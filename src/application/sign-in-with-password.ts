import type { Credentials } from './credentials.ts';
import type { TokenIssuer } from './ports.ts';

/** Password sign-in (endpoint 4): the password chosen in the bind form, without Weibo. */
export class SignInWithPassword {
  constructor(
    private readonly credentials: Credentials,
    private readonly tokens: TokenIssuer,
  ) {}

  async execute(input: { username?: unknown; password?: unknown }) {
    const user = await this.credentials.verify(input);
    return { username: user.username, token: await this.tokens.issueLoginToken(user) };
  }
}
