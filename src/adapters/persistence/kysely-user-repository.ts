import { type Kysely, sql } from 'kysely';
import type { UserRepository } from '../../application/ports.ts';
import { UsernameTaken } from '../../domain/errors.ts';
import type { UserProfile } from '../../domain/user-profile.ts';
import { guarded, isUniqueViolation } from './database-errors.ts';
import { preparedQuery } from './prepared-query.ts';
import type { Database, UserRow } from './schema.ts';

/**
 * The columns of a UserProfile, named, not `users.*`: the queries that read them on every
 * sign-in and signed-in request are prepared statements (see preparedQuery).
 */
export const USER_COLUMNS = [
  'users.id',
  'users.username',
  'users.password_hash',
  'users.phone',
  'users.email',
  'users.created_at',
  'users.locked_at',
] as const;

/** A user by id (support's look-ups, the lock): prepared, its columns named. */
const userById = preparedQuery('weibo_auth_user_by_id', (db, values: { id: string }) =>
  db.selectFrom('users').select(USER_COLUMNS).where('id', '=', values.id),
);

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(user: UserProfile): Promise<void> {
    try {
      await guarded(() =>
        this.db
          .insertInto('users')
          .values({
            id: user.id,
            username: user.username,
            password_hash: user.passwordHash,
            phone: user.phone,
            email: user.email,
            created_at: user.createdAt,
          })
          .execute(),
      );
    } catch (error) {
      if (isUniqueViolation(error, 'users_username_ascii_lower_key')) throw new UsernameTaken();
      throw error;
    }
  }

  async findById(id: string): Promise<UserProfile | null> {
    const { rows } = await guarded(() => this.db.executeQuery(userById({ id })));
    return rows[0] ? toUserProfile(rows[0]) : null;
  }

  /** Folds as the unique index `users_username_ascii_lower_key` does, so the index serves it. */
  async findByUsername(username: string): Promise<UserProfile | null> {
    const row = await guarded(() =>
      this.db
        .selectFrom('users')
        .selectAll()
        .where(sql`lower(username COLLATE "C")`, '=', sql`lower(${username} COLLATE "C")`)
        .executeTakeFirst(),
    );
    return row ? toUserProfile(row) : null;
  }

  async lock(id: string): Promise<boolean> {
    const row = await guarded(() =>
      this.db.selectFrom('users').select('id').where('id', '=', id).forUpdate().executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** By the index on lower(email); a UUID-free search, so any text is safe to pass. */
  async findByEmail(email: string): Promise<UserProfile[]> {
    const rows = await guarded(() =>
      this.db
        .selectFrom('users')
        .select(['id', 'username', 'password_hash', 'phone', 'email', 'created_at', 'locked_at'])
        .where(sql`lower(email)`, '=', sql`lower(${email})`)
        .orderBy('created_at')
        .limit(100)
        .execute(),
    );
    return rows.map(toUserProfile);
  }

  async setLock(id: string, lock: { at: Date; reason: string } | null): Promise<boolean> {
    const result = await guarded(() =>
      this.db
        .updateTable('users')
        .set({ locked_at: lock?.at ?? null, lock_reason: lock?.reason ?? null })
        .where('id', '=', id)
        .where('locked_at', lock ? 'is' : 'is not', null)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows === 1n;
  }

  /** The foreign key's `on delete cascade` deletes the user's Weibo account with it. */
  async delete(id: string): Promise<void> {
    await guarded(() => this.db.deleteFrom('users').where('id', '=', id).execute());
  }
}

export function toUserProfile(row: Omit<UserRow, 'lock_reason'>): UserProfile {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    phone: row.phone,
    email: row.email,
    createdAt: row.created_at,
    lockedAt: row.locked_at,
  };
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The user columns of a left join: all null when the account is unbound. */
export function joinedUserProfile(row: Nullable<Omit<UserRow, 'lock_reason'>>): UserProfile | null {
  const { id, username, password_hash, phone, email, created_at, locked_at } = row;
  if (
    id === null ||
    username === null ||
    password_hash === null ||
    phone === null ||
    email === null ||
    created_at === null
  ) {
    return null;
  }
  return toUserProfile({ id, username, password_hash, phone, email, created_at, locked_at });
}
