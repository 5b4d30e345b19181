import { AuditTrail } from '../../src/application/audit-trail.ts';
import { RateLimiterUnavailable, WeiboAuthorizationExpired } from '../../src/application/errors.ts';
import type { Outbox } from '../../src/application/outbox-ports.ts';
import type {
  AuditLog,
  BindOutcome,
  Clock,
  IdGenerator,
  LoginTokenSubject,
  PasswordHasher,
  RateLimiter,
  RatePlace,
  Repositories,
  TokenIssuer,
  UnitOfWork,
  UserRepository,
  WeiboAccountRepository,
} from '../../src/application/ports.ts';
import type { AuthorizationRequest, OAuthProvider } from '../../src/application/weibo-ports.ts';
import type { AuditEntry } from '../../src/domain/audit.ts';
import { BindTokenInvalid, NotSignedIn, UsernameTaken } from '../../src/domain/errors.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import {
  authorizationAfter,
  type BoundWeiboAccount,
  type WeiboAccount,
  type WeiboAuthorization,
  type WeiboFriendsPage,
  type WeiboGrant,
  type WeiboProfile,
  type WeiboTokenInfo,
} from '../../src/domain/weibo-account.ts';
import { RowLocks } from './row-locks.ts';

export class FakeClock implements Clock {
  constructor(private current = new Date('2026-11-24T08:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export class SequentialIds implements IdGenerator {
  private next = 0;
  uuid(): string {
    this.next += 1;
    return `00000000-0000-4000-8000-${String(this.next).padStart(12, '0')}`;
  }
  /** One sequence for both kinds: each id sorts after the one before. */
  ordered(): string {
    return this.uuid();
  }
}

/**
 * Weibo as the use cases see it: codes mapped to grants, or a failure to throw; a page of
 * friends, or a failure to throw; revocations recorded, confirmed or not.
 */
export class FakeOAuthProvider implements OAuthProvider {
  readonly exchanged: string[] = [];
  readonly grants = new Map<string, WeiboGrant>();
  profile: WeiboProfile | null = { screenName: 'Weibo User', avatar: 'https://tva1.example/a.jpg' };
  failure: Error | null = null;
  readonly friendsRequests: Array<{
    grant: { uid: string; accessToken: string };
    page: { cursor: number; count: number };
  }> = [];
  friendsPage: WeiboFriendsPage = { users: [], nextCursor: 0, previousCursor: 0, totalNumber: 0 };
  friendsFailure: Error | null = null;
  readonly revoked: string[] = [];
  revokeConfirmed = true;
  /** What Weibo says of each access token; an unknown one is refused as 21332 would be. */
  readonly tokenInfos = new Map<string, WeiboTokenInfo>();
  readonly tokenInfoRequests: string[] = [];
  tokenInfoFailure: Error | null = null;

  authorizationUrl(request: AuthorizationRequest): string {
    return `https://weibo.example/oauth2/authorize?state=${request.state}`;
  }
  async exchangeCode(code: string): Promise<WeiboGrant> {
    this.exchanged.push(code);
    if (this.failure) throw this.failure;
    const grant = this.grants.get(code);
    if (!grant) throw new Error(`unexpected code ${code}`);
    return grant;
  }
  async fetchProfile(): Promise<WeiboProfile | null> {
    return this.profile;
  }
  async fetchFriends(
    grant: { uid: string; accessToken: string },
    page: { cursor: number; count: number },
  ): Promise<WeiboFriendsPage> {
    this.friendsRequests.push({ grant: { ...grant }, page: { ...page } });
    if (this.friendsFailure) throw this.friendsFailure;
    return structuredClone(this.friendsPage);
  }
  async tokenInfo(accessToken: string): Promise<WeiboTokenInfo> {
    this.tokenInfoRequests.push(accessToken);
    if (this.tokenInfoFailure) throw this.tokenInfoFailure;
    const info = this.tokenInfos.get(accessToken);
    if (!info) throw new WeiboAuthorizationExpired('invalid_access_token', 'revoked');
    return { ...info };
  }
  async revokeToken(accessToken: string): Promise<boolean> {
    this.revoked.push(accessToken);
    return this.revokeConfirmed;
  }
}

/** Tokens that show what they carry, so tests can read them. */
export class FakeTokenIssuer implements TokenIssuer {
  async issueLoginToken(user: LoginTokenSubject): Promise<string> {
    return `login:${user.id}:${user.username}:${user.sessionId}`;
  }
  async issueBindToken(weiboUid: string): Promise<string> {
    return `bind:${weiboUid}`;
  }
  async verifyBindToken(token: string): Promise<string> {
    const [kind, uid] = token.split(':');
    if (kind !== 'bind' || !uid) throw new BindTokenInvalid();
    return uid;
  }
  /** Accepts the tokens `issueLoginToken` gives, and nothing else. */
  async verifyLoginToken(token: string): Promise<LoginTokenSubject> {
    const [kind, id, username, sessionId, ...rest] = token.split(':');
    if (kind !== 'login' || !id || !username || !sessionId || rest.length > 0) {
      throw new NotSignedIn();
    }
    return { id, username, sessionId };
  }
}

export class FakePasswordHasher implements PasswordHasher {
  async hash(password: string): Promise<string> {
    return `hashed(${password})`;
  }
  async verify(hash: string, password: string): Promise<boolean> {
    return hash === `hashed(${password})`;
  }
}

/** Where Credentials records a wrong password: the store's audit log. */
export function auditFailures(store: InMemoryStore, clock: Clock = new FakeClock()) {
  return { log: store.auditLog, trail: new AuditTrail(clock, new SequentialIds()) };
}

/** A limiter whose store is away, as RedisRateLimiter with Redis cut. */
export class UnreachableRateLimiter implements RateLimiter {
  async hit(): Promise<number> {
    throw new RateLimiterUnavailable('rate limit store unreachable');
  }
  async take(): Promise<RatePlace> {
    throw new RateLimiterUnavailable('rate limit store unreachable');
  }
}

/** Usernames are unique ignoring ASCII case only, as the database's `lower(username COLLATE "C")`. */
const foldAsciiCase = (username: string) =>
  username.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/**
 * Users, Weibo accounts and events in memory, held to the same contract as the Kysely
 * repositories (test/integration/repositories.test.ts). A failed transaction undoes its own
 * writes only, so one that fails never erases what another committed meanwhile. Unlike
 * Postgres it isolates nothing: every write is visible at once, and only `users.lock` waits.
 */
/** A Weibo account as the table holds it: its token gone once the user removed the app. */
export interface StoredAccount extends Omit<WeiboAccount, 'accessToken'> {
  accessToken: string | null;
  authorization: WeiboAuthorization;
}

/** What a transaction may do to the sessions: InMemorySessionRepository plugs itself in. */
export interface SessionsOfStore {
  endAll(userId: string, now: Date): { count: number; undo: () => void };
}

export class InMemoryStore implements UnitOfWork {
  readonly users = new Map<string, UserProfile>();
  readonly weiboAccounts = new Map<string, StoredAccount>();
  sessions: SessionsOfStore | null = null;
  readonly events: DomainEvent[] = [];
  /** The audit log, in the order entries were written. */
  readonly auditEntries: AuditEntry[] = [];
  /** When each bound uid was bound, as the `bound_at` column. */
  private readonly boundAt = new Map<string, Date>();
  private readonly rowLocks = new RowLocks();
  /** The transaction that holds the sweep's advisory lock, as pg_try_advisory_xact_lock. */
  private sweeper: symbol | null = null;

  /** Outside a transaction every write commits at once, so there is nothing to undo. */
  readonly userRepository: UserRepository = this.usersUndoneBy([]);
  readonly weiboAccountRepository: WeiboAccountRepository = this.weiboAccountsUndoneBy([]);
  readonly outbox: Outbox = this.outboxUndoneBy([]);
  readonly auditLog: AuditLog = this.auditUndoneBy([]);

  async transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const undo: Array<() => void> = [];
    const locks = this.rowLocks.forTransaction();
    const transaction = Symbol('transaction');
    try {
      return await work({
        users: this.usersUndoneBy(undo, locks.lock),
        weiboAccounts: this.weiboAccountsUndoneBy(undo, transaction),
        outbox: this.outboxUndoneBy(undo),
        sessions: {
          revokeAll: async (userId, now, audit) => {
            const ended = this.sessions?.endAll(userId, now) ?? { count: 0, undo: () => {} };
            undo.push(ended.undo);
            if (ended.count > 0) {
              await this.auditUndoneBy(undo).record({
                ...audit,
                detail: { ...audit.detail, count: ended.count },
              });
            }
            return ended.count;
          },
        },
        audit: this.auditUndoneBy(undo),
      });
    } catch (error) {
      for (const step of undo.reverse()) step();
      throw error;
    } finally {
      locks.releaseAll();
      if (this.sweeper === transaction) this.sweeper = null;
    }
  }

  /** Without a transaction a lock ends with its statement: there is nothing to wait for. */
  private usersUndoneBy(
    undo: Array<() => void>,
    lock: (key: string) => Promise<void> = async () => {},
  ): UserRepository {
    return {
      lock: async (id) => {
        await lock(`user:${id}`);
        return this.users.has(id);
      },
      add: async (user) => {
        // The primary key: Postgres refuses a second row with the same id.
        if (this.users.has(user.id)) throw new Error(`duplicate user id ${user.id}`);
        const username = foldAsciiCase(user.username);
        const taken = [...this.users.values()].some(
          (existing) => foldAsciiCase(existing.username) === username,
        );
        if (taken) throw new UsernameTaken();
        this.users.set(user.id, structuredClone(user));
        undo.push(() => this.users.delete(user.id));
      },
      findById: async (id) => structuredClone(this.users.get(id) ?? null),
      findByUsername: async (username) => {
        const folded = foldAsciiCase(username);
        const user = [...this.users.values()].find(
          (existing) => foldAsciiCase(existing.username) === folded,
        );
        return structuredClone(user ?? null);
      },
      delete: async (id) => {
        const user = this.users.get(id);
        if (!user) return;
        // The foreign key's `on delete cascade`.
        for (const account of [...this.weiboAccounts.values()]) {
          if (account.userId === id) this.deleteAccount(account.uid, undo);
        }
        this.users.delete(id);
        undo.push(() => this.users.set(id, user));
      },
      findByEmail: async (email) =>
        structuredClone(
          [...this.users.values()].filter(
            (user) => user.email.toLowerCase() === email.toLowerCase(),
          ),
        ),
      setLock: async (id, lock) => {
        const user = this.users.get(id);
        if (!user || (user.lockedAt !== null) === (lock !== null)) return false;
        const before = user.lockedAt;
        user.lockedAt = lock ? new Date(lock.at) : null;
        undo.push(() => {
          user.lockedAt = before;
        });
        return true;
      },
    };
  }

  private deleteAccount(uid: string, undo: Array<() => void>): void {
    const account = this.weiboAccounts.get(uid);
    if (!account) return;
    const boundAt = this.boundAt.get(uid);
    this.weiboAccounts.delete(uid);
    this.boundAt.delete(uid);
    undo.push(() => {
      this.weiboAccounts.set(uid, account);
      if (boundAt) this.boundAt.set(uid, boundAt);
    });
  }

  private weiboAccountsUndoneBy(
    undo: Array<() => void>,
    transaction: symbol | null = null,
  ): WeiboAccountRepository {
    return {
      saveGrant: async (grant) => {
        const previous = this.weiboAccounts.get(grant.uid);
        const account: StoredAccount = {
          uid: grant.uid,
          userId: previous?.userId ?? null,
          accessToken: grant.accessToken,
          accessTokenExpiresAt: grant.expiresAt,
          authorization: 'valid',
        };
        this.weiboAccounts.set(grant.uid, account);
        undo.push(() =>
          previous
            ? this.weiboAccounts.set(grant.uid, previous)
            : this.weiboAccounts.delete(grant.uid),
        );
        const { authorization: _, ...saved } = account;
        const user = account.userId === null ? null : (this.users.get(account.userId) ?? null);
        return { ...saved, accessToken: grant.accessToken, user: structuredClone(user) };
      },
      findByUid: async (uid) => {
        const account = this.weiboAccounts.get(uid);
        if (!account) return null;
        const { uid: id, userId, accessToken, authorization } = account;
        return { uid: id, userId, accessToken, authorization };
      },
      markLost: async (uid, loss) => {
        const account = this.weiboAccounts.get(uid);
        if (!account) return null;
        const before = { ...account };
        account.authorization = authorizationAfter(loss);
        if (loss === 'deauthorized') {
          account.accessToken = null;
          account.accessTokenExpiresAt = null;
        }
        undo.push(() => Object.assign(account, before));
        return { userId: account.userId, wasValid: before.authorization === 'valid' };
      },
      expireDue: async (now, limit) => {
        if (this.sweeper !== null && this.sweeper !== transaction) return [];
        this.sweeper = transaction;
        const due = [...this.weiboAccounts.values()]
          .filter((a) => a.authorization === 'valid' && a.accessTokenExpiresAt !== null)
          .filter((a) => (a.accessTokenExpiresAt as Date) <= now)
          .slice(0, limit);
        for (const account of due) {
          account.authorization = 'expired';
          undo.push(() => {
            account.authorization = 'valid';
          });
        }
        return due.map((account) => ({ uid: account.uid, userId: account.userId }));
      },
      bindIfUnbound: async (uid, userId): Promise<BindOutcome> => {
        const account = this.weiboAccounts.get(uid);
        if (!account) return 'unknown-account';
        if (account.userId !== null) return 'already-bound';
        // The unique index on user_id: one Weibo account per user.
        if (this.accountOf(userId)) return 'user-already-bound';
        // The foreign key: Postgres refuses to bind an account to a user it does not hold.
        if (!this.users.has(userId)) throw new Error(`no user ${userId} to bind ${uid} to`);
        account.userId = userId;
        this.boundAt.set(uid, new Date());
        undo.push(() => {
          account.userId = null;
          this.boundAt.delete(uid);
        });
        return 'bound';
      },
      findByUserId: async (userId) => this.boundTo(userId),
      unbind: async (userId) => {
        const bound = this.boundTo(userId);
        if (bound) this.deleteAccount(bound.uid, undo);
        return bound;
      },
    };
  }

  private boundTo(userId: string): BoundWeiboAccount | null {
    const account = this.accountOf(userId);
    const boundAt = account && this.boundAt.get(account.uid);
    if (!account || !boundAt) return null;
    return {
      uid: account.uid,
      userId,
      accessToken: account.accessToken,
      accessTokenExpiresAt: structuredClone(account.accessTokenExpiresAt),
      boundAt: new Date(boundAt),
      authorization: account.authorization,
    };
  }

  private accountOf(userId: string): StoredAccount | undefined {
    return [...this.weiboAccounts.values()].find((account) => account.userId === userId);
  }

  private auditUndoneBy(undo: Array<() => void>): AuditLog {
    return {
      record: async (entry) => {
        const stored = structuredClone(entry);
        this.auditEntries.push(stored);
        undo.push(() => this.auditEntries.splice(this.auditEntries.indexOf(stored), 1));
      },
      page: async (userId, limit, from) => {
        const newestFirst = (a: AuditEntry, b: AuditEntry) =>
          b.at.getTime() - a.at.getTime() || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
        const before = (entry: AuditEntry) =>
          !from ||
          entry.at.getTime() < from.at.getTime() ||
          (entry.at.getTime() === from.at.getTime() && entry.id < from.id);
        return structuredClone(
          this.auditEntries
            .filter((entry) => entry.userId === userId && before(entry))
            .sort(newestFirst)
            .slice(0, limit),
        );
      },
    };
  }

  private outboxUndoneBy(undo: Array<() => void>): Outbox {
    return {
      add: async (event) => {
        this.events.push(event);
        undo.push(() => this.events.splice(this.events.indexOf(event), 1));
      },
    };
  }
}
