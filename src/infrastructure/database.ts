import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import pg from 'pg';
import type { Logger } from 'pino';
import { listenForNotifications } from '../adapters/outbox/pg-notification-listener.ts';
import { usePreparedStatements } from '../adapters/persistence/prepared-query.ts';
import type { Database } from '../adapters/persistence/schema.ts';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** What the start-up line says about it. */
  description: string;
  /** Calls `onNotify` for each NOTIFY on the channel, until closed. */
  listen(channel: string, onNotify: () => void): { close(): Promise<void> };
}

/** Postgres at DATABASE_URL, or else an embedded Postgres (PGlite) kept in `dataDir`. */
export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  logger: Logger,
): Promise<OpenDatabase> {
  if (databaseUrl) {
    return {
      db: createDatabase(databaseUrl, logger),
      description: 'Postgres',
      listen: (channel, onNotify) => listenForNotifications(databaseUrl, channel, onNotify, logger),
    };
  }
  const folder = path.join(dataDir, 'pglite');
  await fs.mkdir(folder, { recursive: true });
  const pglite = await PGlite.create(folder);
  return {
    db: new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) }),
    description: `embedded Postgres (PGlite) in ${folder}`,
    listen(channel, onNotify) {
      const unsubscribe = pglite.listen(channel, onNotify);
      return { close: async () => (await unsubscribe)() };
    },
  };
}

const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);

function createDatabase(url: string, logger: Logger): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  // A client whose socket drops emits 'error'; with no listener that kills the process. The
  // pool listens on idle clients only, so every client gets one of its own when it connects:
  // a checked-out client's query fails too, and the pool discards the client on release.
  pool.on('connect', (client) => {
    usePreparedStatements(client);
    client.on('error', (error) =>
      logger.warn({ err: error }, 'Postgres connection lost; the pool will open a new one'),
    );
    client.on('notice', (notice) => logNotice(logger, notice));
  });
  // The pool's own report of an idle client failing: already logged by the client's listener.
  pool.on('error', (error) => logger.debug({ err: error }, 'idle Postgres connection dropped'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * What Postgres says beside a result: a WARNING (a deprecated setting, a transaction that was
 * not open) is logged at warn, the rest at debug, where `auto_explain` plans sent as notices
 * land too (the bench's `--seed` reads them there).
 */
function logNotice(logger: Logger, notice: { severity?: string; code?: string; message?: string }) {
  const postgres = { severity: notice.severity, code: notice.code, message: notice.message };
  if (notice.severity === 'WARNING') logger.warn({ postgres }, 'Postgres warning');
  else logger.debug({ postgres }, 'Postgres notice');
}

/** Applies pending migrations; Kysely's lock makes concurrent starts safe. */
export async function migrateToLatest(db: Kysely<Database>, logger: Logger): Promise<void> {
  // Named, or Kysely takes another schema's migration tables for this one's (it looks in every
  // schema) and then fails on a lock table its search path does not hold.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db,
    migrationTableSchema: rows[0]?.schema,
    provider: new FileMigrationProvider({
      fs,
      path,
      migrationFolder: MIGRATIONS_FOLDER,
      import: (file) => import(pathToFileURL(file).href),
    }),
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'migrated');
    if (result.status === 'Error')
      logger.error({ migration: result.migrationName }, 'migration failed');
  }
  if (error) throw error;
}
