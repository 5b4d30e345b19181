import { NotSignedIn } from '../domain/errors.ts';
import type { UserProfile } from '../domain/user-profile.ts';
import type { TokenIssuer, UserRepository } from './ports.ts';

/** The user of a login token: valid, and its user still there; throws NotSignedIn. */
export class Authenticate {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly users: UserRepository,
  ) {}

  async execute(token: string | undefined): Promise<UserProfile> {
    if (!token) throw new NotSignedIn();
    const { id } = await this.tokens.verifyLoginToken(token);
    const user = await this.users.findById(id);
    if (!user) throw new NotSignedIn();
    return user;
  }
}
