import pg from 'pg';
import { pino } from 'pino';
import { AesGcmTokenCipher } from '../src/adapters/security/aes-gcm-token-cipher.ts';
import { Argon2PasswordHasher } from '../src/adapters/security/argon2-password-hasher.ts';
import { migrateToLatest, openDatabase } from '../src/infrastructure/database.ts';

/** How many rows `--seed` puts in, from its user count: ten sessions per user, and so on. */
export interface SeedSize {
  users: number;
  sessions: number;
  /** One `signed_in` per session and one `bound` per user. */
  audit: number;
  /** Hashes of refresh tokens already rotated: one for every fifth session. */
  usedRefreshHashes: number;
  /** One published `UserBound` per user: the relay's history. */
  publishedEvents: number;
}

/** `1m`, `100k` or a plain number of users. */
export function parseSeed(text: string): SeedSize {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  const scale = { '': 1, k: 1_000, m: 1_000_000 }[match?.[2]?.toLowerCase() ?? ''];
  const users = match && scale ? Math.round(Number(match[1]) * scale) : Number.NaN;
  if (!Number.isInteger(users) || users < 1_000 || users > 10_000_000) {
    throw new Error(`--seed takes a number of users from 1k to 10m, e.g. 1m or 100k; not ${text}`);
  }
  const sessions = users * 10;
  return {
    users,
    sessions,
    audit: sessions + users,
    usedRefreshHashes: sessions / 5,
    publishedEvents: users,
  };
}

/** User seed_<i>'s Weibo uid. */
export const seededUid = (i: number) => String(7_000_000_000 + i);

const TABLES = [
  'users',
  'weibo_accounts',
  'sessions',
  'session_used_refresh_hashes',
  'audit_log',
  'outbox',
];

/** base64url of a SHA-256, as the service stores refresh-token hashes. */
const randomHash = `rtrim(translate(encode(sha256(gen_random_uuid()::text::bytea), 'base64'), '+/', '-_'), '=')`;

/**
 * The fill, in waves: the statements of a wave run at once (one connection each, for the two
 * cores), a wave after the foreign keys' needs are in. Every row is one the service could have
 * written and housekeeping would keep: sessions within their lifetime (30 days), audit entries
 * within the retention (180 days), Weibo tokens not yet expired. Keys are random UUIDs and
 * hashes, as in production, so new rows land all over the indexes, not at their right-hand end.
 */
function fillWaves(size: SeedSize, passwordHash: string): string[][] {
  const perUser = size.sessions / size.users;
  // Two halves of the users, for the two big tables.
  const half = (k: number) => `(abs(hashtext(u.id::text)) % 2) = ${k}`;
  const sessions = (k: number) =>
    // Ten sessions per user, started within the last 29 days; one in twenty ended today.
    `insert into sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at,
                           user_agent, revoked_at)
     select gen_random_uuid(), u.id, ${randomHash}, s.started, s.started, s.started + interval '30 days',
            'Mozilla/5.0 (seed ' || n || ')',
            case when random() < 0.05 then now() - interval '20 hours' * random() end
     from users u,
          generate_series(1, ${perUser}) as n,
          lateral (select now() - interval '29 days' * random() + interval '0 seconds' * n as started) s
     where ${half(k)}`;
  const signedIn = (k: number) =>
    `insert into audit_log (id, at, user_id, action, actor, ip, user_agent, session_id, detail)
     select gen_random_uuid(), s.created_at, s.user_id, 'signed_in', 'user', '203.0.113.7',
            s.user_agent, s.id, '{"method":"weibo"}'::jsonb
     from sessions s join users u on u.id = s.user_id
     where ${half(k)}`;
  return [
    [
      `insert into users (id, username, password_hash, phone, email, created_at)
       select gen_random_uuid(), 'seed_' || i, '${passwordHash}',
              '+86 13' || lpad(i::text, 9, '0'), 'seed' || i || '@example.com',
              now() - interval '170 days' * random()
       from generate_series(1, ${size.users}) as i`,
    ],
    [
      // User seed_<i> holds Weibo uid 7,000,000,000 + i, its token encrypted as the service does.
      `insert into weibo_accounts (uid, user_id, access_token_encrypted, access_token_expires_at,
                                   created_at, updated_at, bound_at, authorization_state)
       select t.uid, u.id, t.encrypted,
              now() + interval '1 day' + interval '365 days' * random(),
              u.created_at, u.created_at, u.created_at, 'valid'
       from seed_weibo_tokens t join users u on u.username = 'seed_' || t.i`,
      `insert into outbox (id, type, aggregate_id, payload, created_at, available_at,
                           published_at, attempts)
       select gen_random_uuid(), 'UserBound', id::text,
              jsonb_build_object('userId', id, 'username', username), created_at, created_at,
              created_at + interval '5 milliseconds', 1
       from users`,
      `insert into audit_log (id, at, user_id, action, actor, ip, user_agent, session_id, detail)
       select gen_random_uuid(), created_at, id, 'bound', 'user', '203.0.113.7', null, null,
              jsonb_build_object('uid', '0')
       from users`,
    ],
    [sessions(0), sessions(1)],
    [
      signedIn(0),
      signedIn(1),
      `insert into session_used_refresh_hashes (hash, session_id)
       select ${randomHash}, id from sessions tablesample bernoulli (20)`,
    ],
  ];
}

/** What re-creates the dropped indexes and keys, in waves: indexes, keys, then foreign keys. */
type Restore = string[][];

/** Drops the indexes and keys of `tables`, so the fill writes heaps only and indexes are built once, sorted. */
async function dropIndexes(client: pg.Client, tables: string[]): Promise<Restore> {
  const { rows: constraints } = await client.query<{
    tbl: string;
    name: string;
    def: string;
    type: string;
    index: string;
  }>(
    `select c.conrelid::regclass::text as tbl, c.conname as name, pg_get_constraintdef(c.oid) as def,
            c.contype as type, c.conindid::regclass::text as index
     from pg_constraint c
     where c.contype in ('p', 'u', 'f') and c.conrelid::regclass::text = any($1)
     order by (c.contype = 'f') desc`,
    [tables],
  );
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select indexname as name, indexdef as def from pg_indexes
     where schemaname = current_schema() and tablename = any($1)`,
    [tables],
  );
  const backing = new Set(constraints.filter((c) => c.type !== 'f').map((c) => c.index));
  const plain = indexes.filter((index) => !backing.has(index.name));
  for (const c of constraints) await client.query(`alter table ${c.tbl} drop constraint ${c.name}`);
  for (const index of plain) await client.query(`drop index ${index.name}`);
  const add = (c: (typeof constraints)[number]) =>
    `alter table ${c.tbl} add constraint ${c.name} ${c.def}`;
  return [
    plain.map((index) => index.def),
    constraints.filter((c) => c.type !== 'f').map(add),
    constraints.filter((c) => c.type === 'f').map(add),
  ];
}

/** The Weibo tokens of the seeded users, encrypted in Node (AES-GCM bound to the uid). */
async function loadTokens(
  client: pg.Client,
  users: number,
  encryptToken: (plaintext: string, uid: string) => string,
) {
  await client.query(
    'create unlogged table seed_weibo_tokens (i int primary key, uid text, encrypted text)',
  );
  const BATCH = 20_000;
  for (let from = 1; from <= users; from += BATCH) {
    const numbers = Array.from({ length: Math.min(BATCH, users - from + 1) }, (_, k) => from + k);
    const uids = numbers.map(seededUid);
    const encrypted = numbers.map((i, k) => encryptToken(`seed-weibo-token-${i}`, uids[k] ?? ''));
    await client.query(
      'insert into seed_weibo_tokens select * from unnest($1::int[], $2::text[], $3::text[])',
      [numbers, uids, encrypted],
    );
  }
}

/** At most two statements at once (one per core), each on its own connection. */
const CONNECTIONS = 2;

/**
 * Fills a migrated, empty database with `size` rows by generate_series, in minutes: heaps
 * first, then every index built once, then VACUUM ANALYZE, as a long-running database would be.
 * `onStep` hears each statement's time. `passwordHash` is every seeded user's.
 */
export async function seedDatabase(
  databaseUrl: string,
  size: SeedSize,
  secrets: SeedSecrets,
  onStep: (text: string) => void,
): Promise<void> {
  const { passwordHash } = secrets;
  if (!/^[$\w=+/,.-]+$/.test(passwordHash)) throw new Error('not an argon2 hash');
  const clients = Array.from(
    { length: CONNECTIONS },
    () => new pg.Client({ connectionString: databaseUrl }),
  );
  const timed = async (client: pg.Client, statement: string) => {
    const started = Date.now();
    const result = await client.query(statement);
    const label = /insert into (\w+)|(?:index|constraint) (\w+)|^(vacuum|checkpoint)/i.exec(
      statement,
    );
    const rows = result.rowCount ? `${result.rowCount.toLocaleString('en')} rows, ` : '';
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    onStep(`  seed: ${label?.slice(1).find(Boolean) ?? 'statement'}: ${rows}${seconds} s`);
  };
  const wave = async (statements: string[]) => {
    const queue = [...statements];
    await Promise.all(
      clients.map(async (client) => {
        for (let next = queue.shift(); next; next = queue.shift()) await timed(client, next);
      }),
    );
  };
  try {
    for (const client of clients) {
      await client.connect();
      await client.query(`set maintenance_work_mem = '1GB'`);
      await client.query('set synchronous_commit = off');
    }
    const [first] = clients as [pg.Client];
    const { rows } = await first.query<{ n: string }>('select count(*) as n from users');
    if (Number(rows[0]?.n) !== 0) throw new Error('the database to seed must be empty');
    const restore = await dropIndexes(first, TABLES);
    const started = Date.now();
    await loadTokens(first, size.users, secrets.encryptToken);
    onStep(`  seed: Weibo tokens encrypted: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const statements of fillWaves(size, passwordHash)) await wave(statements);
    await first.query('drop table seed_weibo_tokens');
    for (const statements of restore) await wave(statements);
    await wave(TABLES.map((table) => `vacuum (analyze) ${table}`));
    // The fill's dirty pages written out now, not by a checkpoint in the middle of a scenario.
    await timed(first, 'checkpoint');
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

export interface SeedSecrets {
  /** Every seeded user's password hash. */
  passwordHash: string;
  /** The service's encryption of a Weibo token for a uid. */
  encryptToken(plaintext: string, uid: string): string;
}

/**
 * Migrates the empty database at `databaseUrl` as the service would, then seeds it; the Weibo
 * tokens are encrypted with `tokenEncryptionKey`, the service's TOKEN_ENCRYPTION_KEY.
 */
export async function seedFresh(
  databaseUrl: string,
  size: SeedSize,
  tokenEncryptionKey: string,
  onStep: (text: string) => void,
): Promise<void> {
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const database = await openDatabase(databaseUrl, '', logger);
  try {
    await migrateToLatest(database.db, logger);
  } finally {
    await database.db.destroy();
  }
  const started = Date.now();
  const passwordHash = await new Argon2PasswordHasher().hash('seeded user password');
  const cipher = AesGcmTokenCipher.fromBase64(tokenEncryptionKey);
  const encryptToken = (plaintext: string, uid: string) => cipher.encrypt(plaintext, uid);
  await seedDatabase(databaseUrl, size, { passwordHash, encryptToken }, onStep);
  onStep(`  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
