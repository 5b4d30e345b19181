import type { AuditEntry } from '../domain/audit.ts';
import type { UserProfile } from '../domain/user-profile.ts';
import type {
  AuthorizationLoss,
  BoundWeiboAccount,
  WeiboAccount,
  WeiboAuthorization,
  WeiboGrant,
} from '../domain/weibo-account.ts';
import type { Outbox } from './outbox-ports.ts';
import type { SessionRepository } from './session-ports.ts';
import type { Display } from './weibo-ports.ts';

export interface PendingLogin {
  returnTo: string;
  display?: Display;
  browserBindingHash: string;
}

/** One request to count against a client's fixed-window limit, as `RateLimiter.hit` does. */
export interface RateCount {
  key: string;
  limit: number;
  windowSeconds: number;
}

/**
 * What `StateStore.save` did: saved the login under `state`, the nonce to hand out (the one it
 * was given, or that one with a routing prefix of the store's), or, over the limit, nothing:
 * then `wait` is the seconds to wait.
 */
export type SavedState = { state: string; wait: 0 } | { state: null; wait: number };

/** One-time login states with a lifetime. Throws StateStoreUnavailable. */
export interface StateStore {
  /**
   * Saves the pending login under `nonce`. With `count`, the request is first counted in the
   * limiter's window for `count.key`, in the same step (one Redis round trip): over the limit
   * nothing is saved. A store may prefix the nonce (Redis keeps the state in its counter's
   * slot, and `consume` finds the slot from the prefix): the state is the one it resolves.
   */
  save(
    nonce: string,
    pending: PendingLogin,
    ttlSeconds: number,
    count?: RateCount,
  ): Promise<SavedState>;
  /** Returns the pending login once; later calls, or after expiry, return null. */
  consume(state: string): Promise<PendingLogin | null>;
}

export interface UserRepository {
  /** Throws UsernameTaken when the name exists in any letter case. */
  add(user: UserProfile): Promise<void>;
  findById(id: string): Promise<UserProfile | null>;
  /** Matches the name ignoring ASCII letter case, as uniqueness does. */
  findByUsername(username: string): Promise<UserProfile | null>;
  /**
   * In a transaction, holds the user's row until it ends, so that changes to one user (a
   * deletion, a link) happen one after another; false when the user no longer exists.
   */
  lock(id: string): Promise<boolean>;
  /** Deletes the user and, with it, its Weibo account; a no-op for an unknown id. */
  delete(id: string): Promise<void>;
  /** The users with this email, ignoring letter case. */
  findByEmail(email: string): Promise<UserProfile[]>;
  /**
   * Locks the account (`lock`) or lifts its lock (null); resolves whether anything changed,
   * false for an account already so (or unknown).
   */
  setLock(id: string, lock: { at: Date; reason: string } | null): Promise<boolean>;
}

/**
 * `already-bound`: the uid is bound to a user; `user-already-bound`: the user is bound to
 * another uid; `unknown-account`: no such uid stored.
 */
export type BindOutcome = 'bound' | 'already-bound' | 'user-already-bound' | 'unknown-account';

/** A stored Weibo account as the deauthorization check sees it. */
export interface StoredWeiboAccount {
  uid: string;
  userId: string | null;
  /** Null once the user removed the app. */
  accessToken: string | null;
  authorization: WeiboAuthorization;
}

/** A stored grant's account, and its user when it is bound (null when unbound). */
export type SavedGrant = WeiboAccount & { user: UserProfile | null };

/** What marking a loss changed: the account's user, and whether it was valid until now. */
export interface MarkedLoss {
  userId: string | null;
  wasValid: boolean;
}

export interface WeiboAccountRepository {
  /**
   * Inserts the account or refreshes its token, which makes it valid; returns it with its
   * binding and the bound user (read with it, in one round trip: every Weibo sign-in needs both).
   */
  saveGrant(grant: WeiboGrant): Promise<SavedGrant>;
  findByUid(uid: string): Promise<StoredWeiboAccount | null>;
  /**
   * Marks the account's authorization lost (expired, or revoked for any other loss); a
   * deauthorization also deletes the stored token and its expiry. Null for an unknown uid.
   */
  markLost(uid: string, loss: AuthorizationLoss): Promise<MarkedLoss | null>;
  /**
   * Marks expired up to `limit` valid accounts whose token expired by `now`, and returns them.
   * One caller at a time: a concurrent one gets nothing and stops, instead of waiting.
   */
  expireDue(now: Date, limit: number): Promise<Array<{ uid: string; userId: string | null }>>;
  /** Binds the uid to the user only if both are still unbound. */
  bindIfUnbound(uid: string, userId: string): Promise<BindOutcome>;
  /** The account bound to the user, its token decrypted, or null. */
  findByUserId(userId: string): Promise<BoundWeiboAccount | null>;
  /**
   * Deletes the account bound to the user, token included, and returns it as it was; null when
   * there was none to delete (a concurrent unbind may have just taken it).
   */
  unbind(userId: string): Promise<BoundWeiboAccount | null>;
}

/** A position in a user's audit entries, newest first: entries strictly older come next. */
export interface AuditPosition {
  at: Date;
  id: string;
}

/** The append-only audit log; in a unit of work, an entry commits with the change it records. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Up to `limit` entries of the user, newest first (by `at`, then `id`), after `from`. */
  page(userId: string, limit: number, from?: AuditPosition): Promise<AuditEntry[]>;
}

export interface Repositories {
  users: UserRepository;
  weiboAccounts: WeiboAccountRepository;
  outbox: Outbox;
  sessions: Pick<SessionRepository, 'revokeAll'>;
  audit: AuditLog;
}

/** Runs work in one transaction: all of it is committed, or none. */
export interface UnitOfWork {
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
}

export interface LoginTokenSubject {
  id: string;
  username: string;
  /** The session the token belongs to (its `sid` claim). */
  sessionId: string;
}

/** Signs login tokens and bind tokens, which can never stand in for each other. */
export interface TokenIssuer {
  issueLoginToken(user: LoginTokenSubject): Promise<string>;
  issueBindToken(weiboUid: string): Promise<string>;
  /** Returns the Weibo uid of a valid bind token; throws BindTokenInvalid otherwise. */
  verifyBindToken(token: string): Promise<string>;
  /** Returns the subject of a valid login token; throws NotSignedIn otherwise. */
  verifyLoginToken(token: string): Promise<LoginTokenSubject>;
}

/** Encrypts secrets kept at rest (Weibo tokens); `context` binds a ciphertext to its row. */
export interface TokenCipher {
  encrypt(plaintext: string, context: string): string;
  /** Throws when the ciphertext was altered or belongs to another context. */
  decrypt(ciphertext: string, context: string): string;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * Counts attempts per key in fixed windows. Throws RateLimiterUnavailable when its store
 * cannot be reached: the caller decides whether to go on unlimited or refuse.
 */
export interface RateLimiter {
  /** Records one attempt; resolves the seconds to wait when over the limit, else 0. */
  hit(key: string, limit: number, windowSeconds: number): Promise<number>;
  /**
   * Takes a place for an attempt before it runs: counted and compared in one step, so attempts
   * made at the same moment can never together pass `limit`.
   */
  take(key: string, limit: number, windowSeconds: number): Promise<RatePlace>;
}

/** An attempt's place in its window: refused (`wait` > 0), or held until given back. */
export interface RatePlace {
  /** Seconds to wait when the window was already full; 0 when the place was taken. */
  wait: number;
  /** Uncounts the attempt (one that should not count, such as a success); at most once. */
  giveBack(): Promise<void>;
}

/**
 * What housekeeping deletes, a bounded batch per call, each in a short transaction of its own.
 * One caller at a time: a concurrent one deletes nothing and resolves 0 at once.
 */
export interface HousekeepingStore {
  /** Sessions past their lifetime at `now`, or ended before `endedBefore`; resolves how many. */
  purgeSessions(now: Date, endedBefore: Date, limit: number): Promise<number>;
  /** Audit entries older than `before`; resolves how many. */
  purgeAudit(before: Date, limit: number): Promise<number>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A random id (UUIDv4): a user's, which tells nothing of when the account was made. */
  uuid(): string;
  /**
   * A time-ordered id (UUIDv7) for rows written in time order and kept in large tables:
   * sessions, audit entries, events. Ids made later sort after, also within a millisecond.
   */
  ordered(): string;
}
