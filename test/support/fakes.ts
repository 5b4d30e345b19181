import type {
  AuthorizationRequest,
  BindOutcome,
  Clock,
  IdGenerator,
  OAuthProvider,
  Outbox,
  PasswordHasher,
  Repositories,
  TokenIssuer,
  UnitOfWork,
  UserRepository,
  WeiboAccountRepository,
} from '../../src/application/ports.ts';
import { BindTokenInvalid, UsernameTaken } from '../../src/domain/errors.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import type { WeiboAccount, WeiboGrant, WeiboProfile } from '../../src/domain/weibo-account.ts';

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
}

/** Weibo as the use cases see it: codes mapped to grants, or a failure to throw. */
export class FakeOAuthProvider implements OAuthProvider {
  readonly exchanged: string[] = [];
  readonly grants = new Map<string, WeiboGrant>();
  profile: WeiboProfile | null = { screenName: 'Weibo User', avatar: 'https://tva1.example/a.jpg' };
  failure: Error | null = null;

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
}

/** Tokens that show what they carry, so tests can read them. */
export class FakeTokenIssuer implements TokenIssuer {
  async issueLoginToken(user: { id: string; username: string }): Promise<string> {
    return `login:${user.id}:${user.username}`;
  }
  async issueBindToken(weiboUid: string): Promise<string> {
    return `bind:${weiboUid}`;
  }
  async verifyBindToken(token: string): Promise<string> {
    const [kind, uid] = token.split(':');
    if (kind !== 'bind' || !uid) throw new BindTokenInvalid();
    return uid;
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

/** Users, Weibo accounts and events in memory, with all-or-nothing transactions. */
export class InMemoryStore implements UnitOfWork {
  users = new Map<string, UserProfile>();
  weiboAccounts = new Map<string, WeiboAccount>();
  events: DomainEvent[] = [];

  readonly userRepository: UserRepository = {
    add: async (user) => {
      const taken = [...this.users.values()].some(
        (existing) => existing.username.toLowerCase() === user.username.toLowerCase(),
      );
      if (taken) throw new UsernameTaken();
      this.users.set(user.id, structuredClone(user));
    },
    findById: async (id) => this.users.get(id) ?? null,
  };

  readonly weiboAccountRepository: WeiboAccountRepository = {
    saveGrant: async (grant) => {
      const account: WeiboAccount = {
        uid: grant.uid,
        userId: this.weiboAccounts.get(grant.uid)?.userId ?? null,
        accessToken: grant.accessToken,
        accessTokenExpiresAt: grant.expiresAt,
      };
      this.weiboAccounts.set(grant.uid, account);
      return { ...account };
    },
    bindIfUnbound: async (uid, userId): Promise<BindOutcome> => {
      const account = this.weiboAccounts.get(uid);
      if (!account) return 'unknown-account';
      if (account.userId !== null) return 'already-bound';
      account.userId = userId;
      return 'bound';
    },
  };

  readonly outbox: Outbox = {
    add: async (event) => {
      this.events.push(event);
    },
  };

  async transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const snapshot = structuredClone({
      users: this.users,
      weiboAccounts: this.weiboAccounts,
      events: this.events,
    });
    try {
      return await work({
        users: this.userRepository,
        weiboAccounts: this.weiboAccountRepository,
        outbox: this.outbox,
      });
    } catch (error) {
      Object.assign(this, snapshot);
      throw error;
    }
  }
}
