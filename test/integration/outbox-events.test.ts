import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventSchemas } from '../../src/adapters/http/event-schemas.ts';
import { KyselyUnitOfWork } from '../../src/adapters/persistence/kysely-unit-of-work.ts';
import { AesGcmTokenCipher } from '../../src/adapters/security/aes-gcm-token-cipher.ts';
import {
  type DomainEvent,
  userBoundToWeibo,
  userDeleted,
  userLocked,
  userUnboundFromWeibo,
  userUnlocked,
  weiboAuthorizationLost,
} from '../../src/domain/events.ts';
import {
  createEmbeddedTestDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../support/database.ts';

const cipher = new AesGcmTokenCipher(AesGcmTokenCipher.generateKey());
const user = { id: crypto.randomUUID(), username: 'alice' };
const at = new Date('2026-11-24T08:00:01Z');
const AT = '2026-11-24T08:00:01.000Z';
const common = { userId: user.id, username: 'alice' };

/** Each event type, and its `data` as SPEC "Events" and the README define it. */
const cases: Array<[string, (id: string) => DomainEvent, Record<string, unknown>]> = [
  [
    'UserBoundToWeibo',
    (id) => userBoundToWeibo(id, at, user, '42'),
    { ...common, weiboUid: '42', boundAt: AT },
  ],
  [
    'UserUnboundFromWeibo',
    (id) => userUnboundFromWeibo(id, at, user, '42'),
    { ...common, weiboUid: '42', unboundAt: AT, by: 'user' },
  ],
  [
    'UserUnboundFromWeibo by an administrator',
    (id) => userUnboundFromWeibo(id, at, user, '42', 'admin'),
    { ...common, weiboUid: '42', unboundAt: AT, by: 'admin' },
  ],
  ['UserLocked', (id) => userLocked(id, at, user), { ...common, lockedAt: AT }],
  ['UserUnlocked', (id) => userUnlocked(id, at, user), { ...common, unlockedAt: AT }],
  [
    'WeiboAuthorizationLost',
    (id) => weiboAuthorizationLost(id, at, { userId: user.id, weiboUid: '42' }, 'deauthorized'),
    { userId: user.id, weiboUid: '42', reason: 'deauthorized', lostAt: AT },
  ],
  [
    'UserDeleted of a user bound to Weibo',
    (id) => userDeleted(id, at, user, '42'),
    { ...common, weiboUid: '42', deletedAt: AT },
  ],
  [
    'UserDeleted of a user bound to no Weibo account, with weiboUid null',
    (id) => userDeleted(id, at, user, null),
    { ...common, weiboUid: null, deletedAt: AT },
  ],
];

const schemas = new Map(eventSchemas());

describe.each([
  ['Postgres', createTestDatabase],
  ['embedded Postgres (PGlite)', createEmbeddedTestDatabase],
])('the Kysely outbox on %s', (_name, createDatabase) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createDatabase();
  });
  beforeEach(() => database.truncate());
  afterAll(() => database.destroy());

  it.each(cases)(
    'writes %s as an unpublished row holding its CloudEvents envelope',
    async (_name, create, data) => {
      const event = create(crypto.randomUUID());
      const { type } = event;
      await new KyselyUnitOfWork(database.db, cipher).transaction((tx) => tx.outbox.add(event));
      const row = await database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        id: event.id,
        type,
        aggregate_id: user.id,
        published_at: null,
        attempts: 0,
        last_error: null,
      });
      expect(row.payload).toEqual({
        specversion: '1.0',
        id: event.id,
        source: 'weibo-auth',
        type,
        subject: user.id,
        time: AT,
        datacontenttype: 'application/json',
        data,
      });
      expect(schemas.get(type)?.parse(row.payload)).toEqual(row.payload);
    },
  );
});
