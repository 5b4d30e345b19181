import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { CompiledQuery, Kysely, PostgresDialect, type RootOperationNode, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KyselyAuditLog } from '../../src/adapters/persistence/kysely-audit-log.ts';
import { KyselySessionRepository } from '../../src/adapters/persistence/kysely-session-repository.ts';
import { KyselyUserRepository } from '../../src/adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../../src/adapters/persistence/kysely-weibo-account-repository.ts';
import type { Database } from '../../src/adapters/persistence/schema.ts';
import { signedInUser } from '../../src/adapters/persistence/session-queries.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import type {
  AuditLog,
  UserRepository,
  WeiboAccountRepository,
} from '../../src/application/ports.ts';
import type { Session, SessionRepository } from '../../src/application/session-ports.ts';
import { type AuditAction, type AuditEntry, auditEntry } from '../../src/domain/audit.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/database.ts';
import { InMemoryStore } from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

/** What is stored of a session, looked at around the port. */
interface Stored {
  refreshHash: string;
  usedHashes: string[];
  revokedAt: Date | null;
}

interface Storage {
  sessions: SessionRepository;
  users: UserRepository;
  weiboAccounts: WeiboAccountRepository;
  /** The audit log the sessions record their changes in. */
  audit: AuditLog;
  stored(sessionId: string): Promise<Stored | undefined>;
}

const DAY = 86_400_000;
const t0 = new Date('2026-12-01T08:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

function aSession(user: UserProfile, overrides: Partial<Session & { refreshHash: string }> = {}) {
  return {
    id: crypto.randomUUID(),
    userId: user.id,
    refreshHash: hashOf(crypto.randomUUID()),
    createdAt: t0,
    lastUsedAt: t0,
    expiresAt: at(30 * DAY),
    userAgent: 'Mozilla/5.0 (iPhone)',
    ...overrides,
  };
}

const withoutHash = ({ refreshHash: _, ...session }: Session & { refreshHash: string }) => session;

const REQUESTER = { ip: '203.0.113.9', userAgent: 'ua' };

/** An audit entry of `action` on `userId`, as the HTTP edge at REQUESTER would ask for it. */
function anEntry(
  userId: string,
  action: AuditAction,
  extra: Parameters<typeof auditEntry>[2] = {},
  when = t0,
): AuditEntry {
  return auditEntry({ id: crypto.randomUUID(), at: when, userId, action }, REQUESTER, extra);
}

/** The entry of a sign-in that started `session`. */
const signedIn = (session: Session, method = 'password') =>
  anEntry(session.userId, 'signed_in', { sessionId: session.id, detail: { method } });

/** The entry of a sign-out ending one session, made of the session that ended. */
const endedOne =
  (when = t0) =>
  (session: Session) =>
    anEntry(
      session.userId,
      'session_ended',
      { sessionId: session.id, detail: { sessions: 'one' } },
      when,
    );

/** The entry of a sign-out by the user of `userId`, before the store adds what ended. */
const ending = (userId: string, detail: AuditEntry['detail'] = { sessions: 'one' }) =>
  anEntry(userId, 'session_ended', { detail });

/** The entry of a reuse, made of the session it revoked, as Sessions.refresh makes it. */
const reuseDetected =
  (when = t0) =>
  (session: Session) =>
    anEntry(
      session.userId,
      'session_ended',
      { actor: 'system', sessionId: session.id, detail: { sessions: 'reuse_detected' } },
      when,
    );

function kyselyStorage(db: Kysely<Database>): Storage {
  return {
    sessions: new KyselySessionRepository(db),
    users: new KyselyUserRepository(db),
    weiboAccounts: new KyselyWeiboAccountRepository(
      db,
      new AesGcmTokenCipher(AesGcmTokenCipher.generateKey()),
    ),
    audit: new KyselyAuditLog(db),
    stored: async (sessionId) => {
      const row = await db
        .selectFrom('sessions')
        .select(['refresh_hash', 'revoked_at'])
        .where('id', '=', sessionId)
        .executeTakeFirst();
      const used = await db
        .selectFrom('session_used_refresh_hashes')
        .select('hash')
        .where('session_id', '=', sessionId)
        .execute();
      return (
        row && {
          refreshHash: row.refresh_hash,
          usedHashes: used.map(({ hash }) => hash).sort(),
          revokedAt: row.revoked_at,
        }
      );
    },
  };
}

function inMemoryStorage(): Storage {
  const store = new InMemoryStore();
  const sessions = new InMemorySessionRepository(store);
  return {
    sessions,
    users: store.userRepository,
    weiboAccounts: store.weiboAccountRepository,
    audit: store.auditLog,
    stored: async (sessionId) => {
      const session = sessions.stored(sessionId);
      return (
        session && {
          refreshHash: session.refreshHash,
          usedHashes: session.usedHashes.sort(),
          revokedAt: session.revokedAt,
        }
      );
    },
  };
}

const onDatabase = (create: () => Promise<TestDatabase>) => async () => {
  const database = await create();
  return {
    empty: async () => {
      await database.truncate();
      return kyselyStorage(database.db);
    },
    close: () => database.destroy(),
  };
};

describe.each([
  { name: 'Postgres', open: onDatabase(createTestDatabase) },
  { name: 'embedded Postgres (PGlite)', open: onDatabase(createEmbeddedTestDatabase) },
  {
    name: 'the in-memory fake of the unit tests',
    open: async () => ({ empty: async () => inMemoryStorage(), close: async () => undefined }),
  },
])('the session storage contract on $name', ({ open }) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let storage: Storage;
  let sessions: SessionRepository;
  let [alice, bob] = [aUserProfile(), aUserProfile()];

  beforeAll(async () => {
    backend = await open();
  });
  beforeEach(async () => {
    storage = await backend.empty();
    sessions = storage.sessions;
    [alice, bob] = [aUserProfile(), aUserProfile()];
    await storage.users.add(alice);
    await storage.users.add(bob);
  });
  afterAll(() => backend.close());

  const rotation = (token: string, now = at(DAY)) => ({
    refreshHash: hashOf(token),
    now,
    expiresAt: new Date(now.getTime() + 30 * DAY),
  });

  it('lists the live sessions of a user, newest first, and no one else’s', async () => {
    const oldest = aSession(alice, { userAgent: null });
    const newest = aSession(alice, { createdAt: at(2 * DAY), lastUsedAt: at(2 * DAY) });
    const middle = aSession(alice, { createdAt: at(DAY), lastUsedAt: at(DAY) });
    for (const session of [oldest, newest, middle, aSession(bob)])
      await sessions.start(session, null);
    await sessions.start(aSession(alice, { expiresAt: at(3 * DAY) }), null);
    await sessions.revoke(alice.id, middle.id, at(3 * DAY), ending(alice.id));
    expect(await sessions.listLive(alice.id, at(3 * DAY))).toEqual(
      [newest, oldest].map(withoutHash),
    );
    expect(await sessions.listLive(crypto.randomUUID(), t0)).toEqual([]);
  });

  it('refuses a session of a user it does not hold, or with a refresh hash in use', async () => {
    const session = aSession(alice);
    await sessions.start(session, null);
    await expect(
      sessions.start(aSession({ ...alice, id: crypto.randomUUID() }), null),
    ).rejects.toThrow();
    await expect(
      sessions.start(aSession(bob, { refreshHash: session.refreshHash }), null),
    ).rejects.toThrow();
    expect(await sessions.listLive(bob.id, t0)).toEqual([]);
  });

  describe('rotation', () => {
    it('replaces the current refresh hash, moves the expiry and uses the old hash up', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      const next = rotation('second');
      expect(await sessions.rotate(session.refreshHash, next, reuseDetected())).toEqual({
        outcome: 'rotated',
        session: { ...withoutHash(session), lastUsedAt: next.now, expiresAt: next.expiresAt },
        user: alice,
      });
      const third = rotation('third', at(2 * DAY));
      expect(await sessions.rotate(next.refreshHash, third, reuseDetected())).toMatchObject({
        outcome: 'rotated',
      });
      expect(await storage.stored(session.id)).toEqual({
        refreshHash: third.refreshHash,
        usedHashes: [session.refreshHash, next.refreshHash].sort(),
        revokedAt: null,
      });
    });

    it('revokes the whole session when a used token comes back, so the newer one dies too', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      const next = rotation('second');
      await sessions.rotate(session.refreshHash, next, reuseDetected());
      const replay = rotation('thief', at(2 * DAY));
      expect(await sessions.rotate(session.refreshHash, replay, reuseDetected())).toEqual({
        outcome: 'reused',
        session: { ...withoutHash(session), lastUsedAt: next.now, expiresAt: next.expiresAt },
      });
      expect(await storage.stored(session.id)).toMatchObject({ revokedAt: replay.now });
      expect(
        await sessions.rotate(next.refreshHash, rotation('x', at(2 * DAY)), reuseDetected()),
      ).toEqual({
        outcome: 'unknown',
      });
      expect(await sessions.listLive(alice.id, at(2 * DAY))).toEqual([]);
    });

    it('answers reused again for a used token, keeping when the session was revoked', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      await sessions.rotate(session.refreshHash, rotation('second'), reuseDetected());
      await sessions.revokeByRefreshHash(hashOf('second'), at(2 * DAY), endedOne(at(2 * DAY)));
      const replay = await sessions.rotate(
        session.refreshHash,
        rotation('x', at(3 * DAY)),
        reuseDetected(),
      );
      expect(replay).toMatchObject({ outcome: 'reused', session: { id: session.id } });
      expect(await storage.stored(session.id)).toMatchObject({ revokedAt: at(2 * DAY) });
    });

    it.each([
      ['a token it never saw', async () => hashOf('never issued')],
      [
        'the current token of an expired session',
        async (session: Session & { refreshHash: string }, repository: SessionRepository) => {
          await repository.start({ ...session, expiresAt: at(DAY) }, null);
          return session.refreshHash;
        },
      ],
      [
        'the current token of a revoked session',
        async (session: Session & { refreshHash: string }, repository: SessionRepository) => {
          await repository.start(session, null);
          await repository.revoke(session.userId, session.id, t0, ending(session.userId));
          return session.refreshHash;
        },
      ],
    ])('answers unknown for %s and changes nothing', async (_, prepare) => {
      const session = aSession(alice);
      const presented = await prepare(session, sessions);
      const before = await storage.stored(session.id);
      expect(await sessions.rotate(presented, rotation('next', at(DAY)), reuseDetected())).toEqual({
        outcome: 'unknown',
      });
      expect(await storage.stored(session.id)).toEqual(before);
    });
  });

  describe('signing out', () => {
    it('ends the session of a current or a used refresh token, and nothing for an unknown one', async () => {
      const [byCurrent, byUsed, untouched] = [aSession(alice), aSession(alice), aSession(alice)];
      for (const session of [byCurrent, byUsed, untouched]) await sessions.start(session, null);
      await sessions.rotate(byUsed.refreshHash, rotation('byUsed next'), reuseDetected());
      await sessions.revokeByRefreshHash(byCurrent.refreshHash, at(DAY), endedOne(at(DAY)));
      await sessions.revokeByRefreshHash(byUsed.refreshHash, at(DAY), endedOne(at(DAY)));
      await sessions.revokeByRefreshHash(hashOf('unknown'), at(DAY), endedOne(at(DAY)));
      expect(await storage.stored(byCurrent.id)).toMatchObject({ revokedAt: at(DAY) });
      expect(await storage.stored(byUsed.id)).toMatchObject({ revokedAt: at(DAY) });
      expect(await sessions.listLive(alice.id, at(DAY))).toEqual([withoutHash(untouched)]);
    });

    it('ends one live session of the user’s own, and answers false for any other', async () => {
      const [own, other, bobs] = [aSession(alice), aSession(alice), aSession(bob)];
      const expired = aSession(alice, { expiresAt: at(DAY) });
      for (const session of [own, other, bobs, expired]) await sessions.start(session, null);
      expect(await sessions.revoke(alice.id, own.id, at(DAY), ending(alice.id))).toBe(true);
      expect(await sessions.revoke(alice.id, own.id, at(DAY), ending(alice.id))).toBe(false);
      expect(await sessions.revoke(alice.id, bobs.id, at(DAY), ending(alice.id))).toBe(false);
      expect(await sessions.revoke(alice.id, expired.id, at(DAY), ending(alice.id))).toBe(false);
      expect(await sessions.revoke(alice.id, crypto.randomUUID(), at(DAY), ending(alice.id))).toBe(
        false,
      );
      expect(await sessions.revoke(alice.id, 'not-a-uuid', at(DAY), ending(alice.id))).toBe(false);
      expect(await sessions.listLive(alice.id, at(DAY))).toEqual([withoutHash(other)]);
      expect(await sessions.listLive(bob.id, at(DAY))).toEqual([withoutHash(bobs)]);
    });

    it('ends every live session of the user, counting them, and no one else’s', async () => {
      const bobs = aSession(bob);
      for (const session of [aSession(alice), aSession(alice), bobs])
        await sessions.start(session, null);
      await sessions.start(aSession(alice, { expiresAt: at(DAY) }), null);
      const revoked = aSession(alice);
      await sessions.start(revoked, null);
      await sessions.revoke(alice.id, revoked.id, t0, ending(alice.id));
      expect(
        await sessions.revokeAll(alice.id, at(DAY), ending(alice.id, { sessions: 'all' })),
      ).toBe(2);
      expect(
        await sessions.revokeAll(alice.id, at(DAY), ending(alice.id, { sessions: 'all' })),
      ).toBe(0);
      expect(await sessions.listLive(alice.id, at(DAY))).toEqual([]);
      expect(await sessions.listLive(bob.id, at(DAY))).toEqual([withoutHash(bobs)]);
      expect(await storage.stored(revoked.id)).toMatchObject({ revokedAt: t0 });
    });
  });

  describe('the audit log', () => {
    /** The user's entries, oldest first. */
    const entriesOf = async (userId: string) => (await storage.audit.page(userId, 10)).reverse();

    it('stores a started session and the entry of its sign-in together', async () => {
      const session = aSession(alice);
      const entry = signedIn(session);
      await sessions.start(session, entry);
      expect(await sessions.listLive(alice.id, t0)).toEqual([withoutHash(session)]);
      expect(await entriesOf(alice.id)).toEqual([entry]);
      expect(await entriesOf(bob.id)).toEqual([]);
    });

    it('stores neither the session nor its entry when the start is refused', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      const taken = aSession(bob, { refreshHash: session.refreshHash });
      await expect(sessions.start(taken, signedIn(taken))).rejects.toThrow();
      const stranger = aSession({ ...alice, id: crypto.randomUUID() });
      await expect(sessions.start(stranger, signedIn(stranger))).rejects.toThrow();
      expect(await sessions.listLive(bob.id, t0)).toEqual([]);
      expect(await entriesOf(bob.id)).toEqual([]);
      expect(await entriesOf(stranger.userId)).toEqual([]);
    });

    it('stores no entry for a session started without one (a bind or a link)', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      expect(await sessions.listLive(alice.id, t0)).toEqual([withoutHash(session)]);
      expect(await entriesOf(alice.id)).toEqual([]);
    });

    it('records a revoke that ended a live session, and none that ended nothing', async () => {
      const [own, bobs] = [aSession(alice), aSession(bob)];
      const expired = aSession(alice, { expiresAt: at(DAY) });
      for (const session of [own, bobs, expired]) await sessions.start(session, null);
      const entry = ending(alice.id);
      expect(await sessions.revoke(alice.id, own.id, at(DAY), entry)).toBe(true);
      for (const sessionId of [own.id, bobs.id, expired.id, crypto.randomUUID(), 'not-a-uuid']) {
        expect(await sessions.revoke(alice.id, sessionId, at(DAY), ending(alice.id))).toBe(false);
      }
      expect(await entriesOf(alice.id)).toEqual([entry]);
      expect(await entriesOf(bob.id)).toEqual([]);
    });

    it('records a sign-out by refresh token that ended a live session, made of that session', async () => {
      const [byCurrent, byUsed] = [aSession(alice), aSession(alice)];
      for (const session of [byCurrent, byUsed]) await sessions.start(session, null);
      await sessions.rotate(byUsed.refreshHash, rotation('byUsed next'), reuseDetected());
      expect(
        await sessions.revokeByRefreshHash(byCurrent.refreshHash, at(DAY), endedOne(at(DAY))),
      ).toBe(true);
      expect(
        await sessions.revokeByRefreshHash(byUsed.refreshHash, at(2 * DAY), endedOne(at(2 * DAY))),
      ).toBe(true);
      const entries = await entriesOf(alice.id);
      expect(entries).toEqual([
        { ...endedOne(at(DAY))(withoutHash(byCurrent)), id: expect.any(String) },
        { ...endedOne(at(2 * DAY))(withoutHash(byUsed)), id: expect.any(String) },
      ]);
      expect(entries.map((entry) => entry.sessionId)).toEqual([byCurrent.id, byUsed.id]);
    });

    it('records no sign-out by refresh token of an unknown or already ended session', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      await sessions.revoke(alice.id, session.id, t0, ending(alice.id));
      const before = await entriesOf(alice.id);
      for (const presented of [session.refreshHash, hashOf('unknown')]) {
        expect(await sessions.revokeByRefreshHash(presented, at(DAY), endedOne(at(DAY)))).toBe(
          false,
        );
      }
      expect(await entriesOf(alice.id)).toEqual(before);
      expect(before).toHaveLength(1);
    });

    it('records one entry of a revokeAll, counting the sessions it ended', async () => {
      for (const session of [aSession(alice), aSession(alice), aSession(alice), aSession(bob)]) {
        await sessions.start(session, null);
      }
      await sessions.start(aSession(alice, { expiresAt: at(DAY) }), null);
      const entry = anEntry(alice.id, 'session_ended', {
        actor: 'admin:key-1',
        detail: { sessions: 'all' },
      });
      expect(await sessions.revokeAll(alice.id, at(DAY), entry)).toBe(3);
      expect(await entriesOf(alice.id)).toEqual([
        { ...entry, detail: { sessions: 'all', count: 3 } },
      ]);
      expect(await entriesOf(bob.id)).toEqual([]);
    });

    it('records no revokeAll that ended nothing', async () => {
      await sessions.start(aSession(bob, { expiresAt: at(DAY) }), null);
      expect(await sessions.revokeAll(bob.id, at(DAY), ending(bob.id, { sessions: 'all' }))).toBe(
        0,
      );
      expect(await sessions.revokeAll(alice.id, t0, ending(alice.id, { sessions: 'all' }))).toBe(0);
      expect(await entriesOf(alice.id)).toEqual([]);
      expect(await entriesOf(bob.id)).toEqual([]);
    });

    it('records no rotation, and exactly one reuse however often a used token comes back', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      const next = rotation('second');
      await sessions.rotate(session.refreshHash, next, reuseDetected(next.now));
      expect(await entriesOf(alice.id)).toEqual([]);
      for (const day of [2, 3, 4]) {
        const replay = rotation(`thief ${day}`, at(day * DAY));
        expect(
          await sessions.rotate(session.refreshHash, replay, reuseDetected(replay.now)),
        ).toMatchObject({ outcome: 'reused', session: { id: session.id } });
      }
      const revoked = { ...withoutHash(session), lastUsedAt: next.now, expiresAt: next.expiresAt };
      expect(await entriesOf(alice.id)).toEqual([
        { ...reuseDetected(at(2 * DAY))(revoked), id: expect.any(String) },
      ]);
    });

    it('records no reuse of a token whose session a sign-out ended already', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      await sessions.rotate(session.refreshHash, rotation('second'), reuseDetected());
      await sessions.revokeByRefreshHash(hashOf('second'), at(2 * DAY), endedOne(at(2 * DAY)));
      const replay = rotation('thief', at(3 * DAY));
      expect(
        await sessions.rotate(session.refreshHash, replay, reuseDetected(replay.now)),
      ).toMatchObject({ outcome: 'reused' });
      expect((await entriesOf(alice.id)).map((entry) => entry.detail)).toEqual([
        { sessions: 'one' },
      ]);
    });
  });

  describe('the signed-in user', () => {
    it('is found through a live session of theirs', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      expect(await sessions.findSignedInUser(alice.id, session.id, at(DAY))).toEqual({
        user: alice,
        weibo: null,
      });
    });

    it('comes with the Weibo account bound to them, uid and when, never its token', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      const { weiboAccounts } = storage;
      const accessToken = 'SECRET-weibo-token';
      await weiboAccounts.saveGrant({ uid: '1404376560', accessToken, expiresAt: null });
      await weiboAccounts.saveGrant({ uid: '1404376561', accessToken, expiresAt: null });
      await weiboAccounts.bindIfUnbound('1404376561', bob.id);
      const before = await sessions.findSignedInUser(alice.id, session.id, at(DAY));
      expect(before).toEqual({ user: alice, weibo: null });
      await weiboAccounts.bindIfUnbound('1404376560', alice.id);
      const signedIn = await sessions.findSignedInUser(alice.id, session.id, at(DAY));
      expect(signedIn).toEqual({
        user: alice,
        weibo: {
          uid: '1404376560',
          boundAt: expect.any(Date),
          authorization: 'valid',
          tokenExpiresAt: null,
        },
      });
      expect(JSON.stringify(signedIn)).not.toContain('SECRET');
    });

    it('is not found through a revoked, expired, another user’s or unknown session', async () => {
      const [revoked, expired, bobs] = [
        aSession(alice),
        aSession(alice, { expiresAt: at(DAY) }),
        aSession(bob),
      ];
      for (const session of [revoked, expired, bobs]) await sessions.start(session, null);
      await sessions.revoke(alice.id, revoked.id, t0, ending(alice.id));
      for (const [userId, sessionId] of [
        [alice.id, revoked.id],
        [alice.id, expired.id],
        [alice.id, bobs.id],
        [alice.id, crypto.randomUUID()],
        [alice.id, 'not-a-uuid'],
        ['not-a-uuid', bobs.id],
      ] as const) {
        expect(await sessions.findSignedInUser(userId, sessionId, at(DAY))).toBeNull();
      }
    });

    it('is not found once the user is deleted', async () => {
      const session = aSession(alice);
      await sessions.start(session, null);
      await storage.users.delete(alice.id);
      expect(await sessions.findSignedInUser(alice.id, session.id, at(DAY))).toBeNull();
    });
  });

  it('ends every session of a deleted user, used hashes included, and no one else’s', async () => {
    const [session, bobs] = [aSession(alice), aSession(bob)];
    await sessions.start(session, null);
    await sessions.start(bobs, null);
    await sessions.rotate(session.refreshHash, rotation('second'), reuseDetected());
    await storage.users.delete(alice.id);
    expect(await storage.stored(session.id)).toBeUndefined();
    expect(await sessions.listLive(alice.id, at(DAY))).toEqual([]);
    for (const presented of [session.refreshHash, hashOf('second')]) {
      expect(await sessions.rotate(presented, rotation('x'), reuseDetected())).toEqual({
        outcome: 'unknown',
      });
    }
    expect(await sessions.findSignedInUser(bob.id, bobs.id, at(DAY))).toEqual({
      user: bob,
      weibo: null,
    });
  });
});

describe.each([
  ['Postgres', createTestDatabase],
  ['embedded Postgres (PGlite)', createEmbeddedTestDatabase],
])('the Kysely session repository on %s', (name, createDatabase) => {
  let database: TestDatabase;
  let user: UserProfile;

  beforeAll(async () => {
    database = await createDatabase();
  });
  beforeEach(async () => {
    await database.truncate();
    user = aUserProfile();
    await new KyselyUserRepository(database.db).add(user);
  });
  afterAll(() => database.destroy());

  it('stores exactly the hashes it is given', async () => {
    const session = aSession(user, { refreshHash: hashOf('first plain token') });
    const sessions = new KyselySessionRepository(database.db);
    await sessions.start(session, null);
    const next = {
      refreshHash: hashOf('second plain token'),
      now: at(DAY),
      expiresAt: at(9 * DAY),
    };
    await sessions.rotate(session.refreshHash, next, reuseDetected());
    expect(await database.db.selectFrom('sessions').selectAll().execute()).toEqual([
      {
        id: session.id,
        user_id: user.id,
        refresh_hash: next.refreshHash,
        created_at: t0,
        last_used_at: next.now,
        expires_at: next.expiresAt,
        user_agent: session.userAgent,
        revoked_at: null,
      },
    ]);
    expect(
      await database.db.selectFrom('session_used_refresh_hashes').selectAll().execute(),
    ).toEqual([{ hash: session.refreshHash, session_id: session.id }]);
  });

  it('finds sessions through indexes only', async () => {
    const recorded: RootOperationNode[] = [];
    const recording = database.db.withPlugin({
      transformQuery: ({ node }) => {
        recorded.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const sessions = new KyselySessionRepository(recording);
    const session = aSession(user);
    await sessions.start(session, null);
    await sessions.rotate(
      session.refreshHash,
      { refreshHash: 'h2', now: t0, expiresAt: at(DAY) },
      reuseDetected(),
    );
    await sessions.rotate(
      session.refreshHash,
      { refreshHash: 'h3', now: t0, expiresAt: at(DAY) },
      reuseDetected(),
    );
    await sessions.revokeByRefreshHash('h2', t0, endedOne(t0));
    await sessions.listLive(user.id, t0);
    await sessions.revoke(user.id, session.id, t0, ending(user.id));
    await sessions.revokeAll(user.id, t0, ending(user.id, { sessions: 'all' }));
    await sessions.findSignedInUser(user.id, session.id, t0);
    // Starting a session and the signed-in check are prepared: compiled once, not recorded.
    // The reuse records its entry (an insert); the sign-outs after it ended nothing, so none.
    expect(recorded).toHaveLength(10);
    const prepared = signedInUser({ userId: user.id, sessionId: session.id, now: t0 });
    const plans = await database.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const explained: string[] = [];
      const queries = recorded.map((node) =>
        trx.getExecutor().compileQuery(node, { queryId: crypto.randomUUID() }),
      );
      for (const query of [...queries, prepared]) {
        const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
        );
        explained.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
      }
      return explained;
    });
    for (const plan of plans) expect(plan).not.toMatch(/Seq Scan/);
  });

  describe.runIf(name === 'Postgres')('two rotations of one token on real Postgres', () => {
    it('lets one win; the other answers reused and revokes the session', async () => {
      const session = aSession(user);
      await new KyselySessionRepository(database.db).start(session, null);
      const applicationName = `rotation_${crypto.randomUUID()}`;
      const rotating = new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: database.url, application_name: applicationName }),
        }),
      });
      const sessions = new KyselySessionRepository(rotating);
      const next = (token: string) => ({
        refreshHash: hashOf(token),
        now: at(DAY),
        expiresAt: at(9 * DAY),
      });
      try {
        // The row is held, so both rotations read it before either can change it.
        const held = Promise.withResolvers<void>();
        const release = Promise.withResolvers<void>();
        const holding = database.db.transaction().execute(async (trx) => {
          await trx.selectFrom('sessions').select('id').forUpdate().execute();
          held.resolve();
          await release.promise;
        });
        await held.promise;
        const outcomes = Promise.all([
          sessions.rotate(session.refreshHash, next('first'), reuseDetected()),
          sessions.rotate(session.refreshHash, next('second'), reuseDetected()),
        ]);
        await waitUntilBlockedOrDone(applicationName, 2, outcomes);
        release.resolve();
        await holding;
        const [first, second] = await outcomes;
        expect([first.outcome, second.outcome].sort()).toEqual(['reused', 'rotated']);
        const won = first.outcome === 'rotated' ? 'first' : 'second';
        expect(await kyselyStorage(database.db).stored(session.id)).toEqual({
          refreshHash: hashOf(won),
          usedHashes: [session.refreshHash],
          revokedAt: at(DAY),
        });
        expect(await sessions.rotate(hashOf(won), next('third'), reuseDetected())).toEqual({
          outcome: 'unknown',
        });
        const entries = await new KyselyAuditLog(database.db).page(user.id, 10);
        expect(entries).toMatchObject([
          {
            action: 'session_ended',
            sessionId: session.id,
            detail: { sessions: 'reuse_detected' },
          },
        ]);
      } finally {
        await rotating.destroy();
      }
    });

    /** Until `count` connections named `applicationName` wait on a lock, or `done` settles. */
    async function waitUntilBlockedOrDone(
      applicationName: string,
      count: number,
      done: Promise<unknown>,
    ): Promise<void> {
      let finished = false;
      const stop = () => {
        finished = true;
      };
      done.then(stop, stop);
      while (!finished) {
        const { rows } = await sql<{ blocked: number }>`
          select count(*)::int as blocked from pg_stat_activity
          where application_name = ${applicationName}
            and cardinality(pg_blocking_pids(pid)) > 0`.execute(database.db);
        if ((rows[0]?.blocked ?? 0) >= count) return;
        await setTimeout(5);
      }
    }
  });
});
