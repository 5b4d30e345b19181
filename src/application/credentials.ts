import { hash, randomUUID } from 'node:crypto';
import type { Requester } from '../domain/audit.ts';
import { InvalidPassword, InvalidUsername, WrongCredentials } from '../domain/errors.ts';
import { isUsername, refuseLocked, type UserProfile } from '../domain/user-profile.ts';
import type { AuditTrail } from './audit-trail.ts';
import { RateLimited } from './errors.ts';
import type { AuditLog, PasswordHasher, RateLimiter, UserRepository } from './ports.ts';

const HOUR = 3600;

/**
 * Checks a username and password, the same way for every endpoint that asks for them:
 * an unknown user and a wrong password fail alike and take about as long, and failed
 * attempts per username are limited (past the limit even the right password waits).
 * Each attempt takes its place in the count before its password is checked, so attempts
 * sent at once cannot together check more than the limit; a success gives its place back.
 * When the count cannot be reached, the limiter's error stands: no password is checked.
 */
export class Credentials {
  // Verified against when the user is unknown, so that costs one argon2id verify too.
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    private readonly attempts: { limiter: RateLimiter; failuresPerHour: number },
    /** Where a wrong password for a known user is recorded (`sign_in_failed`). */
    private readonly failures: { log: AuditLog; trail: AuditTrail },
  ) {
    this.dummyHash = passwords.hash(randomUUID());
  }

  /**
   * The user with this name (any ASCII case) and password; throws WrongCredentials, and
   * AccountLocked for the right password of a locked account.
   */
  async verify(
    input: { username?: unknown; password?: unknown },
    requester: Requester = {},
  ): Promise<UserProfile> {
    const { username, password } = input;
    if (typeof username !== 'string') throw new InvalidUsername();
    if (typeof password !== 'string') throw new InvalidPassword();
    // No account has such a name (the bind form's rule): nothing to look up, hide or count.
    if (!isUsername(username)) throw new WrongCredentials();
    const user = await this.limited(username, async () => {
      const user = await this.users.findByUsername(username);
      const hash = user?.passwordHash ?? (await this.dummyHash);
      const matches = await this.passwords.verify(hash, password);
      if (matches && user) return user;
      if (user) await this.recordFailure(user, requester);
      return null;
    });
    // A wrong password says nothing of a lock; the right one hears of it.
    refuseLocked(user);
    return user;
  }

  /** Confirms a known user's password, counted against the same limit. */
  async confirm(user: UserProfile, password: unknown, requester: Requester = {}): Promise<void> {
    if (typeof password !== 'string') throw new InvalidPassword();
    await this.limited(user.username, async () => {
      if (await this.passwords.verify(user.passwordHash, password)) return user;
      await this.recordFailure(user, requester);
      return null;
    });
  }

  private async recordFailure(user: UserProfile, requester: Requester): Promise<void> {
    const entry = this.failures.trail.entry(user.id, 'sign_in_failed', requester, {
      detail: { method: 'password' },
    });
    await this.failures.log.record(entry);
  }

  private async limited(
    username: string,
    check: () => Promise<UserProfile | null>,
  ): Promise<UserProfile> {
    const { limiter, failuresPerHour } = this.attempts;
    if (failuresPerHour === 0) return (await check()) ?? wrongCredentials();
    // One bucket per name as uniqueness sees it.
    const key = `login:${hash('sha256', asciiLower(username), 'base64url')}`;
    const place = await limiter.take(key, failuresPerHour, HOUR);
    if (place.wait > 0) throw new RateLimited(place.wait);
    let wrong = false;
    try {
      const user = await check();
      if (user) return user;
      wrong = true;
      return wrongCredentials();
    } finally {
      // Only a wrong password keeps its place. A give-back that fails leaves the count higher,
      // never lower, and the answer stands either way.
      if (!wrong) await place.giveBack().catch(() => undefined);
    }
  }
}

function wrongCredentials(): never {
  throw new WrongCredentials();
}

function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
