import type { Requester } from '../domain/audit.ts';
import { BindTokenInvalid, WeiboAlreadyBound } from '../domain/errors.ts';
import { userBoundToWeibo } from '../domain/events.ts';
import { parseRegistration, type UserProfile } from '../domain/user-profile.ts';
import { AuditTrail } from './audit-trail.ts';
import { RateLimited } from './errors.ts';
import type {
  Clock,
  IdGenerator,
  PasswordHasher,
  RateLimiter,
  TokenIssuer,
  UnitOfWork,
} from './ports.ts';
import type { Sessions, SignedIn } from './sessions.ts';

const HOUR = 3600;

/** The bind form as sent: every field is checked here, in the contract's order. */
export interface BindAccountInput {
  bind_token?: unknown;
  uid?: unknown;
  username?: unknown;
  password?: unknown;
  phone?: unknown;
  email?: unknown;
}

export class BindAccount {
  constructor(
    private readonly tokens: TokenIssuer,
    private readonly passwords: PasswordHasher,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly attempts: { limiter: RateLimiter; perUidPerHour: number },
    private readonly sessions: Sessions,
  ) {}

  async execute(input: BindAccountInput, requester: Requester = {}): Promise<SignedIn> {
    const registration = parseRegistration(input);
    const weiboUid = await this.verifyBindToken(input);
    await this.countAttempt(weiboUid);
    const user: UserProfile = {
      id: this.ids.uuid(),
      username: registration.username,
      passwordHash: await this.passwords.hash(registration.password),
      phone: registration.phone,
      email: registration.email,
      createdAt: this.clock.now(),
      lockedAt: null,
    };
    await this.unitOfWork.transaction(async ({ users, weiboAccounts, outbox, audit }) => {
      await users.add(user);
      const outcome = await weiboAccounts.bindIfUnbound(weiboUid, user.id);
      if (outcome === 'already-bound') throw new WeiboAlreadyBound();
      // A valid token for an account that no longer exists is as good as no token.
      if (outcome === 'unknown-account') throw new BindTokenInvalid();
      await outbox.add(userBoundToWeibo(this.ids.ordered(), this.clock.now(), user, weiboUid));
      const trail = new AuditTrail(this.clock, this.ids);
      await audit.record(trail.entry(user.id, 'bound', requester, { detail: { weiboUid } }));
    });
    return this.sessions.start(user, requester, null);
  }

  /** Each attempt costs a password hash: a holder of one token may not spend them freely. */
  private async countAttempt(weiboUid: string): Promise<void> {
    const { limiter, perUidPerHour } = this.attempts;
    if (perUidPerHour === 0) return;
    const wait = await limiter.hit(`bind:${weiboUid}`, perUidPerHour, HOUR);
    if (wait > 0) throw new RateLimited(wait);
  }

  private async verifyBindToken(input: BindAccountInput): Promise<string> {
    if (typeof input.bind_token !== 'string' || input.bind_token === '') {
      throw new BindTokenInvalid();
    }
    const uid = await this.tokens.verifyBindToken(input.bind_token);
    const claimed = input.uid;
    if (claimed !== undefined && claimed !== null && String(claimed) !== uid) {
      throw new BindTokenInvalid();
    }
    return uid;
  }
}
