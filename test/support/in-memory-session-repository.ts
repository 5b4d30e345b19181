import type {
  RotateOutcome,
  Session,
  SessionRepository,
  SignedInUser,
} from '../../src/application/session-ports.ts';
import type { AuditEntry } from '../../src/domain/audit.ts';
import type { InMemoryStore, SessionsOfStore } from './fakes.ts';

/** A session as stored: its row, and the refresh hashes it used up. */
export interface StoredSession extends Session {
  refreshHash: string;
  usedHashes: string[];
  revokedAt: Date | null;
}

/**
 * Sessions in memory, held to the contract of the Kysely repository
 * (test/integration/session-repository.contract.test.ts). The users are the store's: a session
 * whose user is gone is gone too, as with the foreign key's `on delete cascade`, and comes back
 * if the store's transaction that deleted the user fails. Nothing waits on a lock: a rotation
 * runs whole before any other.
 */
export class InMemorySessionRepository implements SessionRepository, SessionsOfStore {
  private readonly sessions = new Map<string, StoredSession>();

  constructor(private readonly store: InMemoryStore) {
    store.sessions = this;
  }

  /** Ends every live session of the user, as a transaction of the store does; undoable. */
  endAll(userId: string, now: Date): { count: number; undo: () => void } {
    const live = this.liveOf(userId, now);
    for (const session of live) session.revokedAt = new Date(now);
    return {
      count: live.length,
      undo: () => {
        for (const session of live) session.revokedAt = null;
      },
    };
  }

  /** What is stored of a session; undefined when there is none, or its user is gone. */
  stored(sessionId: string): StoredSession | undefined {
    return structuredClone(this.rows().find((session) => session.id === sessionId));
  }

  /** Every stored session, in the order they were started. */
  all(): StoredSession[] {
    return structuredClone(this.rows());
  }

  async start(session: Session & { refreshHash: string }, audit: AuditEntry | null): Promise<void> {
    // The foreign key, the primary key and the unique index on refresh_hash.
    if (!this.store.users.has(session.userId)) throw new Error(`no user ${session.userId}`);
    if (this.rows().some((row) => row.id === session.id)) throw new Error('duplicate session id');
    this.refuseTakenHash(session.refreshHash);
    this.sessions.set(session.id, {
      ...structuredClone(session),
      usedHashes: [],
      revokedAt: null,
    });
    if (audit) await this.store.auditLog.record(audit);
  }

  async rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
    reuse: (session: Session) => AuditEntry,
  ): Promise<RotateOutcome> {
    const current = this.rows().find((row) => row.refreshHash === presentedHash);
    if (current && isLive(current, next.now)) {
      this.refuseTakenHash(next.refreshHash);
      current.usedHashes.push(presentedHash);
      current.refreshHash = next.refreshHash;
      current.lastUsedAt = new Date(next.now);
      current.expiresAt = new Date(next.expiresAt);
      const user = structuredClone(this.store.users.get(current.userId));
      if (!user) throw new Error(`no user ${current.userId}`);
      return { outcome: 'rotated', session: toSession(current), user };
    }
    const reused = this.rows().find((row) => row.usedHashes.includes(presentedHash));
    if (!reused) return { outcome: 'unknown' };
    if (!reused.revokedAt) {
      reused.revokedAt = new Date(next.now);
      await this.store.auditLog.record(reuse(toSession(reused)));
    }
    return { outcome: 'reused', session: toSession(reused) };
  }

  async revokeByRefreshHash(
    refreshHash: string,
    now: Date,
    audit: (session: Session) => AuditEntry,
  ): Promise<boolean> {
    const session = this.rows().find(
      (row) => row.refreshHash === refreshHash || row.usedHashes.includes(refreshHash),
    );
    if (!session || session.revokedAt) return false;
    session.revokedAt = new Date(now);
    await this.store.auditLog.record(audit(toSession(session)));
    return true;
  }

  async listLive(userId: string, now: Date): Promise<Session[]> {
    return this.liveOf(userId, now)
      .sort(
        (a, b) =>
          b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      )
      .map(toSession);
  }

  async revoke(userId: string, sessionId: string, now: Date, audit: AuditEntry): Promise<boolean> {
    const session = this.liveOf(userId, now).find((row) => row.id === sessionId);
    if (!session) return false;
    session.revokedAt = new Date(now);
    await this.store.auditLog.record(audit);
    return true;
  }

  async revokeAll(userId: string, now: Date, audit: AuditEntry): Promise<number> {
    const { count } = this.endAll(userId, now);
    if (count > 0)
      await this.store.auditLog.record({ ...audit, detail: { ...audit.detail, count } });
    return count;
  }

  async findSignedInUser(
    userId: string,
    sessionId: string,
    now: Date,
  ): Promise<SignedInUser | null> {
    const session = this.liveOf(userId, now).find((row) => row.id === sessionId);
    const user = this.store.users.get(userId);
    if (!session || !user) return null;
    const account = await this.store.weiboAccountRepository.findByUserId(userId);
    const weibo = account && {
      uid: account.uid,
      boundAt: account.boundAt,
      authorization: account.authorization,
      tokenExpiresAt: account.accessTokenExpiresAt,
    };
    return structuredClone({ user, weibo });
  }

  private rows(): StoredSession[] {
    return [...this.sessions.values()].filter((row) => this.store.users.has(row.userId));
  }

  private liveOf(userId: string, now: Date): StoredSession[] {
    return this.rows().filter((row) => row.userId === userId && isLive(row, now));
  }

  private refuseTakenHash(refreshHash: string): void {
    if (this.rows().some((row) => row.refreshHash === refreshHash)) {
      throw new Error('duplicate refresh hash');
    }
  }
}

function isLive(session: StoredSession, now: Date): boolean {
  return session.revokedAt === null && session.expiresAt.getTime() > now.getTime();
}

function toSession(row: StoredSession): Session {
  return {
    id: row.id,
    userId: row.userId,
    createdAt: new Date(row.createdAt),
    lastUsedAt: new Date(row.lastUsedAt),
    expiresAt: new Date(row.expiresAt),
    userAgent: row.userAgent,
  };
}
