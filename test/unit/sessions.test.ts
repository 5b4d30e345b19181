import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { Authenticate } from '../../src/application/authenticate.ts';
import type { RotateOutcome, Session } from '../../src/application/session-ports.ts';
import { Sessions, type SignedIn } from '../../src/application/sessions.ts';
import type { AuditEntry } from '../../src/domain/audit.ts';
import { NotSignedIn, RefreshTokenReused, SessionExpired } from '../../src/domain/errors.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';
import { aUserProfile } from '../support/builders.ts';
import { FakeClock, FakeTokenIssuer, InMemoryStore, SequentialIds } from '../support/fakes.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';

const LOGIN_TTL = 3600;
const REFRESH_TTL = 86_400;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Who asks, as the HTTP edge sees it. */
const REQUESTER = { ip: '203.0.113.9', userAgent: BROWSER };

/** The session store, remembering which of its methods were called. */
class RecordingSessionRepository extends InMemorySessionRepository {
  readonly calls: string[] = [];
  override rotate(
    presentedHash: string,
    next: { refreshHash: string; now: Date; expiresAt: Date },
    reuse: (session: Session) => AuditEntry,
  ): Promise<RotateOutcome> {
    this.calls.push('rotate');
    return super.rotate(presentedHash, next, reuse);
  }
  override revokeByRefreshHash(
    refreshHash: string,
    now: Date,
    audit: (session: Session) => AuditEntry,
  ): Promise<boolean> {
    this.calls.push('revokeByRefreshHash');
    return super.revokeByRefreshHash(refreshHash, now, audit);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const later = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
/** The audit entries written after the first `skip`. */
const auditEntriesAfter = (skip: number) => store.auditEntries.slice(skip);

let clock: FakeClock;
let store: InMemoryStore;
let repository: RecordingSessionRepository;
let tokens: FakeTokenIssuer;
let sessions: Sessions;
let authenticate: Authenticate;
let alice: UserProfile;
let bob: UserProfile;

beforeEach(async () => {
  clock = new FakeClock();
  store = new InMemoryStore();
  repository = new RecordingSessionRepository(store);
  tokens = new FakeTokenIssuer();
  sessions = new Sessions(tokens, repository, clock, new SequentialIds(), {
    loginTtlSeconds: LOGIN_TTL,
    refreshTtlSeconds: REFRESH_TTL,
  });
  authenticate = new Authenticate(tokens, repository, clock);
  alice = aUserProfile({ id: 'user-1', username: 'alice' });
  bob = aUserProfile({ id: 'user-2', username: 'bob' });
  await store.userRepository.add(alice);
  await store.userRepository.add(bob);
});

/** The id of the session a login token of the FakeTokenIssuer belongs to. */
async function sessionOf(signedIn: SignedIn): Promise<string> {
  return (await tokens.verifyLoginToken(signedIn.token)).sessionId;
}

describe('Sessions.start', () => {
  it('stores a session created and last used now, expiring after the refresh lifetime', async () => {
    const now = clock.now();
    const signedIn = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    const id = await sessionOf(signedIn);
    expect(repository.stored(id)).toEqual({
      id,
      userId: alice.id,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: later(now, REFRESH_TTL),
      userAgent: BROWSER,
      refreshHash: expect.any(String),
      usedHashes: [],
      revokedAt: null,
    });
  });

  it('keeps the first 512 characters of a longer user agent', async () => {
    const userAgent = `${'a'.repeat(512)}${'b'.repeat(88)}`;
    const id = await sessionOf(await sessions.start(alice, { userAgent }, 'password'));
    expect(repository.stored(id)?.userAgent).toBe('a'.repeat(512));
  });

  it.each([
    ['no', undefined],
    ['an empty', ''],
  ])('stores a null user agent for %s user agent', async (_case, userAgent) => {
    const id = await sessionOf(await sessions.start(alice, { userAgent }, 'password'));
    expect(repository.stored(id)?.userAgent).toBeNull();
  });

  it('answers a refresh token of 256 random bits as 43 base64url characters, new each time', async () => {
    const first = await sessions.start(alice, {}, 'password');
    const second = await sessions.start(alice, {}, 'password');
    expect(first.refreshToken).toMatch(REFRESH_TOKEN);
    expect(Buffer.from(first.refreshToken, 'base64url')).toHaveLength(32);
    expect(second.refreshToken).not.toBe(first.refreshToken);
  });

  it('stores only the sha256 hash of the refresh token, never the token', async () => {
    const { refreshToken, token } = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    const [stored] = repository.all();
    expect(stored?.refreshHash).toBe(sha256(refreshToken));
    expect(JSON.stringify(repository.all())).not.toContain(refreshToken);
    expect(JSON.stringify(repository.all())).not.toContain(token);
  });

  it('answers the username, a login token of the new session and the login token lifetime', async () => {
    const signedIn = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    const [stored] = repository.all();
    expect(signedIn).toEqual({
      username: 'alice',
      token: `login:user-1:alice:${stored?.id}`,
      refreshToken: expect.stringMatching(REFRESH_TOKEN),
      expiresIn: LOGIN_TTL,
    });
    await expect(authenticate.execute(signedIn.token)).resolves.toEqual({
      user: alice,
      weibo: null,
      sessionId: stored?.id,
    });
  });

  it('starts a session of its own for each sign-in', async () => {
    const first = await sessionOf(await sessions.start(alice, {}, 'password'));
    const second = await sessionOf(await sessions.start(alice, {}, 'password'));
    expect(second).not.toBe(first);
    expect(repository.all().map((session) => session.id)).toEqual([first, second]);
  });
});

describe('Sessions.start in the audit log', () => {
  it.each(['password', 'weibo'] as const)(
    'records one signed_in entry of the new session for a sign-in by %s',
    async (method) => {
      const now = clock.now();
      const id = await sessionOf(await sessions.start(alice, REQUESTER, method));
      expect(store.auditEntries).toEqual([
        {
          id: expect.any(String),
          at: now,
          userId: alice.id,
          action: 'signed_in',
          actor: 'user',
          ip: '203.0.113.9',
          userAgent: BROWSER,
          sessionId: id,
          detail: { method },
        },
      ]);
      expect(store.auditEntries[0]?.id).not.toBe(id);
    },
  );

  it('records no entry for the session of a bind or a link (method null)', async () => {
    const id = await sessionOf(await sessions.start(alice, REQUESTER, null));
    expect(repository.stored(id)).toMatchObject({ userId: alice.id, revokedAt: null });
    expect(store.auditEntries).toEqual([]);
  });
});

describe('Sessions.refresh', () => {
  let started: SignedIn;
  let sessionId: string;

  beforeEach(async () => {
    started = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    sessionId = await sessionOf(started);
  });

  it('answers a new login token and a new refresh token of the same session', async () => {
    clock.advance(60);
    const refreshed = await sessions.refresh(started.refreshToken);
    expect(refreshed).toEqual({
      username: 'alice',
      token: `login:user-1:alice:${sessionId}`,
      refreshToken: expect.stringMatching(REFRESH_TOKEN),
      expiresIn: LOGIN_TTL,
    });
    expect(refreshed.refreshToken).not.toBe(started.refreshToken);
    expect(repository.stored(sessionId)?.refreshHash).toBe(sha256(refreshed.refreshToken));
  });

  it('records nothing in the audit log', async () => {
    const before = store.auditEntries.length;
    const refreshed = await sessions.refresh(started.refreshToken, REQUESTER);
    await sessions.refresh(refreshed.refreshToken, REQUESTER);
    expect(auditEntriesAfter(before)).toEqual([]);
  });

  it('refuses the old refresh token once it was used', async () => {
    await sessions.refresh(started.refreshToken);
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(SessionExpired);
  });

  it('accepts the new refresh token for the next refresh, and so on', async () => {
    const second = await sessions.refresh(started.refreshToken);
    const third = await sessions.refresh(second.refreshToken);
    await expect(sessions.refresh(third.refreshToken)).resolves.toMatchObject({
      username: 'alice',
      token: `login:user-1:alice:${sessionId}`,
    });
  });

  it('moves the expiry to the refresh lifetime from the refresh, and the last use to then', async () => {
    const createdAt = clock.now();
    clock.advance(5000);
    const refreshedAt = clock.now();
    await sessions.refresh(started.refreshToken);
    expect(repository.stored(sessionId)).toMatchObject({
      createdAt,
      lastUsedAt: refreshedAt,
      expiresAt: later(refreshedAt, REFRESH_TTL),
    });
  });

  it('keeps a session refreshed in time alive past its first expiry', async () => {
    clock.advance(REFRESH_TTL - 1);
    const refreshed = await sessions.refresh(started.refreshToken);
    clock.advance(REFRESH_TTL - 1);
    await expect(sessions.refresh(refreshed.refreshToken)).resolves.toMatchObject({
      username: 'alice',
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', ['token']],
    ['an object', { refresh_token: 'token' }],
    ['empty', ''],
  ])(
    'refuses a refresh token that is %s with SessionExpired, asking the store nothing',
    async (_case, refreshToken) => {
      const refused = sessions.refresh(refreshToken);
      await expect(refused).rejects.toThrow(SessionExpired);
      await expect(refused).rejects.not.toThrow(RefreshTokenReused);
      expect(repository.calls).toEqual([]);
    },
  );

  it('refuses an unknown refresh token with SessionExpired, revoking nothing', async () => {
    const refused = sessions.refresh('A'.repeat(43));
    await expect(refused).rejects.toThrow(SessionExpired);
    await expect(refused).rejects.not.toThrow(RefreshTokenReused);
    expect(repository.stored(sessionId)?.revokedAt).toBeNull();
  });
});

describe('Sessions.refresh of a used refresh token', () => {
  let started: SignedIn;
  let refreshed: SignedIn;
  let sessionId: string;

  beforeEach(async () => {
    started = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    sessionId = await sessionOf(started);
    refreshed = await sessions.refresh(started.refreshToken);
  });

  it('throws RefreshTokenReused, a SessionExpired carrying the user and the session', async () => {
    const reused = sessions.refresh(started.refreshToken);
    await expect(reused).rejects.toThrow(RefreshTokenReused);
    await expect(reused).rejects.toBeInstanceOf(SessionExpired);
    await expect(reused).rejects.toMatchObject({ userId: alice.id, sessionId });
  });

  it('records the reuse once: a session_ended entry by the system, however often it comes back', async () => {
    const before = store.auditEntries.length;
    clock.advance(60);
    const now = clock.now();
    const thief = { ip: '198.51.100.7', userAgent: 'curl/8.0' };
    await expect(sessions.refresh(started.refreshToken, thief)).rejects.toThrow(RefreshTokenReused);
    clock.advance(60);
    await expect(sessions.refresh(started.refreshToken, thief)).rejects.toThrow(RefreshTokenReused);
    await expect(sessions.refresh(refreshed.refreshToken, thief)).rejects.toThrow(SessionExpired);
    expect(auditEntriesAfter(before)).toEqual([
      {
        id: expect.any(String),
        at: now,
        userId: alice.id,
        action: 'session_ended',
        actor: 'system',
        ip: '198.51.100.7',
        userAgent: 'curl/8.0',
        sessionId,
        detail: { sessions: 'reuse_detected' },
      },
    ]);
  });

  it('revokes the session: its login tokens are then refused by Authenticate', async () => {
    await expect(authenticate.execute(started.token)).resolves.toMatchObject({ sessionId });
    await expect(authenticate.execute(refreshed.token)).resolves.toMatchObject({ sessionId });
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(RefreshTokenReused);
    await expect(authenticate.execute(started.token)).rejects.toThrow(NotSignedIn);
    await expect(authenticate.execute(refreshed.token)).rejects.toThrow(NotSignedIn);
  });

  it('revokes the session: the newer refresh token is refused too', async () => {
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(RefreshTokenReused);
    await expect(sessions.refresh(refreshed.refreshToken)).rejects.toThrow(SessionExpired);
  });

  it('leaves the user’s other sessions alive', async () => {
    const other = await sessions.start(alice, {}, 'password');
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(RefreshTokenReused);
    await expect(authenticate.execute(other.token)).resolves.toMatchObject({ user: alice });
    await expect(sessions.refresh(other.refreshToken)).resolves.toMatchObject({
      username: 'alice',
    });
  });
});

describe('Sessions.refresh of an expired or orphaned session', () => {
  let started: SignedIn;

  beforeEach(async () => {
    started = await sessions.start(alice, { userAgent: BROWSER }, 'password');
  });

  it('accepts the refresh token until just before the session expires', async () => {
    clock.advance(REFRESH_TTL - 1);
    await expect(sessions.refresh(started.refreshToken)).resolves.toMatchObject({
      username: 'alice',
    });
  });

  it.each([
    ['at', 0],
    ['past', 1],
  ])(
    'refuses the refresh token %s its session’s expiry with SessionExpired',
    async (_case, extra) => {
      clock.advance(REFRESH_TTL + extra);
      const refused = sessions.refresh(started.refreshToken);
      await expect(refused).rejects.toThrow(SessionExpired);
      await expect(refused).rejects.not.toThrow(RefreshTokenReused);
    },
  );

  it('refuses the refresh token of a deleted user with SessionExpired', async () => {
    await store.userRepository.delete(alice.id);
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(SessionExpired);
  });
});

describe('Sessions.revoke', () => {
  let started: SignedIn;
  let sessionId: string;

  beforeEach(async () => {
    started = await sessions.start(alice, { userAgent: BROWSER }, 'password');
    sessionId = await sessionOf(started);
  });

  it('ends the session of the refresh token: its login token is refused at once', async () => {
    await expect(authenticate.execute(started.token)).resolves.toMatchObject({ sessionId });
    await sessions.revoke(started.refreshToken);
    await expect(authenticate.execute(started.token)).rejects.toThrow(NotSignedIn);
    expect(repository.stored(sessionId)?.revokedAt).toEqual(clock.now());
  });

  it('ends the session of the refresh token: the token can no longer refresh', async () => {
    await sessions.revoke(started.refreshToken);
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(SessionExpired);
  });

  it('ends the session also when given a refresh token it already used', async () => {
    const refreshed = await sessions.refresh(started.refreshToken);
    await sessions.revoke(started.refreshToken);
    await expect(authenticate.execute(refreshed.token)).rejects.toThrow(NotSignedIn);
    await expect(sessions.refresh(refreshed.refreshToken)).rejects.toThrow(SessionExpired);
  });

  it('leaves the user’s other sessions alive', async () => {
    const other = await sessions.start(alice, {}, 'password');
    await sessions.revoke(started.refreshToken);
    await expect(authenticate.execute(other.token)).resolves.toMatchObject({ user: alice });
  });

  it('records the sign-out of a live session: session_ended of that session by the user', async () => {
    const before = store.auditEntries.length;
    await sessions.revoke(started.refreshToken, REQUESTER);
    expect(auditEntriesAfter(before)).toEqual([
      {
        id: expect.any(String),
        at: clock.now(),
        userId: alice.id,
        action: 'session_ended',
        actor: 'user',
        ip: '203.0.113.9',
        userAgent: BROWSER,
        sessionId,
        detail: { sessions: 'one' },
      },
    ]);
  });

  it('records nothing for an unknown refresh token, or one whose session already ended', async () => {
    await sessions.revoke(started.refreshToken, REQUESTER);
    const before = store.auditEntries.length;
    await sessions.revoke('A'.repeat(43), REQUESTER);
    await sessions.revoke(started.refreshToken, REQUESTER);
    expect(auditEntriesAfter(before)).toEqual([]);
  });

  it('resolves quietly for an unknown refresh token, ending nothing', async () => {
    await expect(sessions.revoke('A'.repeat(43))).resolves.toBeUndefined();
    await expect(authenticate.execute(started.token)).resolves.toMatchObject({ sessionId });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { refresh_token: 'token' }],
    ['empty', ''],
  ])(
    'resolves quietly for a refresh token that is %s, asking the store nothing',
    async (_case, refreshToken) => {
      await expect(sessions.revoke(refreshToken)).resolves.toBeUndefined();
      expect(repository.calls).toEqual([]);
      expect(repository.stored(sessionId)?.revokedAt).toBeNull();
    },
  );
});

describe('Sessions.list', () => {
  it('lists the user’s live sessions newest first, without their refresh hashes', async () => {
    const first = await sessionOf(
      await sessions.start(alice, { userAgent: 'first browser' }, 'password'),
    );
    const firstAt = clock.now();
    clock.advance(60);
    const second = await sessionOf(await sessions.start(alice, {}, 'password'));
    const secondAt = clock.now();
    expect(await sessions.list(alice.id)).toEqual([
      {
        id: second,
        userId: alice.id,
        createdAt: secondAt,
        lastUsedAt: secondAt,
        expiresAt: later(secondAt, REFRESH_TTL),
        userAgent: null,
      },
      {
        id: first,
        userId: alice.id,
        createdAt: firstAt,
        lastUsedAt: firstAt,
        expiresAt: later(firstAt, REFRESH_TTL),
        userAgent: 'first browser',
      },
    ]);
  });

  it('leaves out the sessions that ended or expired', async () => {
    await sessions.start(alice, {}, 'password');
    clock.advance(60);
    const ended = await sessions.start(alice, {}, 'password');
    const live = await sessionOf(await sessions.start(alice, {}, 'password'));
    await sessions.revoke(ended.refreshToken);
    clock.advance(REFRESH_TTL - 30);
    expect((await sessions.list(alice.id)).map((session) => session.id)).toEqual([live]);
  });

  it('leaves out other users’ sessions', async () => {
    const own = await sessionOf(await sessions.start(alice, {}, 'password'));
    await sessions.start(bob, {}, 'password');
    expect((await sessions.list(alice.id)).map((session) => session.id)).toEqual([own]);
  });
});

describe('Sessions.end', () => {
  it('ends one session of the user and answers true; its login token is then refused', async () => {
    const ending = await sessions.start(alice, {}, 'password');
    const kept = await sessions.start(alice, {}, 'password');
    await expect(authenticate.execute(ending.token)).resolves.toMatchObject({ user: alice });
    await expect(sessions.end(alice.id, await sessionOf(ending))).resolves.toBe(true);
    await expect(authenticate.execute(ending.token)).rejects.toThrow(NotSignedIn);
    await expect(authenticate.execute(kept.token)).resolves.toMatchObject({ user: alice });
  });

  it('answers false for another user’s session and leaves it alive', async () => {
    const bobs = await sessions.start(bob, {}, 'password');
    await expect(sessions.end(alice.id, await sessionOf(bobs))).resolves.toBe(false);
    await expect(authenticate.execute(bobs.token)).resolves.toMatchObject({ user: bob });
  });

  it('answers false for an unknown id', async () => {
    await sessions.start(alice, {}, 'password');
    await expect(sessions.end(alice.id, 'no-such-session')).resolves.toBe(false);
  });

  it('answers false for a session already ended', async () => {
    const id = await sessionOf(await sessions.start(alice, {}, 'password'));
    await sessions.end(alice.id, id);
    await expect(sessions.end(alice.id, id)).resolves.toBe(false);
  });
});

describe('Sessions.end in the audit log', () => {
  it('records the end of a live session, naming it, by the requesting session', async () => {
    const ending = await sessionOf(await sessions.start(alice, {}, null));
    await sessions.end(alice.id, ending, { ...REQUESTER, sessionId: 'the-requesting-session' });
    expect(store.auditEntries).toEqual([
      {
        id: expect.any(String),
        at: clock.now(),
        userId: alice.id,
        action: 'session_ended',
        actor: 'user',
        ip: '203.0.113.9',
        userAgent: BROWSER,
        sessionId: 'the-requesting-session',
        detail: { sessions: 'one', session: ending },
      },
    ]);
  });

  it('records nothing when there was no such live session', async () => {
    const bobs = await sessionOf(await sessions.start(bob, {}, null));
    await sessions.end(alice.id, bobs, REQUESTER);
    await sessions.end(alice.id, 'no-such-session', REQUESTER);
    expect(store.auditEntries).toEqual([]);
  });
});

describe('Sessions.endAll', () => {
  it('ends every live session of the user and answers how many', async () => {
    const first = await sessions.start(alice, {}, 'password');
    const second = await sessions.start(alice, {}, 'password');
    const ended = await sessions.start(alice, {}, 'password');
    await sessions.revoke(ended.refreshToken);
    await expect(sessions.endAll(alice.id)).resolves.toBe(2);
    await expect(authenticate.execute(first.token)).rejects.toThrow(NotSignedIn);
    await expect(authenticate.execute(second.token)).rejects.toThrow(NotSignedIn);
    await expect(sessions.list(alice.id)).resolves.toEqual([]);
  });

  it('leaves other users’ sessions alive', async () => {
    await sessions.start(alice, {}, 'password');
    const bobs = await sessions.start(bob, {}, 'password');
    await sessions.endAll(alice.id);
    await expect(authenticate.execute(bobs.token)).resolves.toMatchObject({ user: bob });
  });

  it('answers 0 for a user without a live session', async () => {
    await expect(sessions.endAll(alice.id)).resolves.toBe(0);
  });

  it('records one session_ended entry of them all, counting them, by the given actor', async () => {
    for (const user of [alice, alice, alice, bob]) await sessions.start(user, {}, null);
    await expect(sessions.endAll(alice.id, REQUESTER, 'admin:key-1')).resolves.toBe(3);
    expect(store.auditEntries).toEqual([
      {
        id: expect.any(String),
        at: clock.now(),
        userId: alice.id,
        action: 'session_ended',
        actor: 'admin:key-1',
        ip: '203.0.113.9',
        userAgent: BROWSER,
        sessionId: null,
        detail: { sessions: 'all', count: 3 },
      },
    ]);
  });

  it('records the user as the actor unless told otherwise', async () => {
    await sessions.start(alice, {}, null);
    await sessions.endAll(alice.id, REQUESTER);
    expect(store.auditEntries).toMatchObject([
      { actor: 'user', detail: { sessions: 'all', count: 1 } },
    ]);
  });

  it('records nothing when there was nothing to end', async () => {
    await sessions.start(alice, {}, null);
    await sessions.endAll(alice.id, REQUESTER);
    const before = store.auditEntries.length;
    await expect(sessions.endAll(alice.id, REQUESTER)).resolves.toBe(0);
    await expect(sessions.endAll(bob.id, REQUESTER, 'admin:key-1')).resolves.toBe(0);
    expect(auditEntriesAfter(before)).toEqual([]);
  });
});

describe('Authenticate with sessions', () => {
  it('refuses a valid login token of an ended session with NotSignedIn', async () => {
    const signedIn = await sessions.start(alice, {}, 'password');
    const sessionId = await sessionOf(signedIn);
    await expect(authenticate.execute(signedIn.token)).resolves.toEqual({
      user: alice,
      weibo: null,
      sessionId,
    });
    await sessions.end(alice.id, sessionId);
    await expect(tokens.verifyLoginToken(signedIn.token)).resolves.toMatchObject({ sessionId });
    await expect(authenticate.execute(signedIn.token)).rejects.toThrow(NotSignedIn);
  });

  it('refuses a valid login token of an expired session with NotSignedIn', async () => {
    const signedIn = await sessions.start(alice, {}, 'password');
    const sessionId = await sessionOf(signedIn);
    clock.advance(REFRESH_TTL - 1);
    await expect(authenticate.execute(signedIn.token)).resolves.toEqual({
      user: alice,
      weibo: null,
      sessionId,
    });
    clock.advance(1);
    await expect(tokens.verifyLoginToken(signedIn.token)).resolves.toMatchObject({ sessionId });
    await expect(authenticate.execute(signedIn.token)).rejects.toThrow(NotSignedIn);
  });
});
