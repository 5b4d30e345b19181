import type { Requester } from '../domain/audit.ts';
import type { Credentials } from './credentials.ts';
import type { Sessions, SignedIn } from './sessions.ts';

/** Password sign-in (endpoint 4): the password chosen in the bind form, without Weibo. */
export class SignInWithPassword {
  constructor(
    private readonly credentials: Credentials,
    private readonly sessions: Sessions,
  ) {}

  async execute(
    input: { username?: unknown; password?: unknown },
    requester: Requester = {},
  ): Promise<SignedIn> {
    const user = await this.credentials.verify(input, requester);
    return this.sessions.start(user, requester, 'password');
  }
}
