import { NotSignedIn } from '../domain/errors.ts';
import type { Clock, TokenIssuer } from './ports.ts';
import type { SessionRepository, SignedInUser } from './session-ports.ts';

/**
 * The user of a login token: the token valid, and its user and session still there, read in
 * one query with the Weibo account bound to the user; an ended session refuses its tokens at
 * once. Throws NotSignedIn.
 */
export class Authenticate {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  async execute(token: string | undefined): Promise<SignedInUser & { sessionId: string }> {
    if (!token) throw new NotSignedIn();
    const { id, sessionId } = await this.tokens.verifyLoginToken(token);
    const signedIn = await this.sessions.findSignedInUser(id, sessionId, this.clock.now());
    if (!signedIn) throw new NotSignedIn();
    return { ...signedIn, sessionId };
  }
}
