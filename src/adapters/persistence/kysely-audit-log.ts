import type { Kysely } from 'kysely';
import type { AuditLog, AuditPosition } from '../../application/ports.ts';
import type { AuditActor, AuditEntry } from '../../domain/audit.ts';
import { guarded } from './database-errors.ts';
import type { AuditLogTable, Database } from './schema.ts';

/** Every column of an entry, named: the sign-in's prepared statement inserts them too. */
export const AUDIT_COLUMNS = [
  'id',
  'at',
  'user_id',
  'action',
  'actor',
  'ip',
  'user_agent',
  'session_id',
  'detail',
] as const;

/** The audit log in Postgres, in the caller's transaction when it is given one. */
export class KyselyAuditLog implements AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  async record(entry: AuditEntry): Promise<void> {
    await guarded(() => this.db.insertInto('audit_log').values(auditRow(entry)).execute());
  }

  /** Keyset paging on the index (user_id, at desc, id desc): no offset, no skipped row. */
  async page(userId: string, limit: number, from?: AuditPosition): Promise<AuditEntry[]> {
    const rows = await guarded(() =>
      this.db
        .selectFrom('audit_log')
        .select(AUDIT_COLUMNS)
        .where('user_id', '=', userId)
        .$if(from !== undefined, (query) =>
          query.where(({ eb, refTuple, tuple }) =>
            eb(refTuple('at', 'id'), '<', tuple(from?.at as Date, from?.id as string)),
          ),
        )
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),
    );
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      userId: row.user_id,
      action: row.action,
      actor: row.actor as AuditActor,
      ip: row.ip,
      userAgent: row.user_agent,
      sessionId: row.session_id,
      detail: row.detail,
    }));
  }
}

/** The row of an entry, `detail` as JSON text. */
export function auditRow(entry: AuditEntry): Omit<AuditLogTable, 'detail'> & { detail: string } {
  return {
    id: entry.id,
    at: entry.at,
    user_id: entry.userId,
    action: entry.action,
    actor: entry.actor,
    ip: entry.ip,
    user_agent: entry.userAgent,
    session_id: entry.sessionId,
    detail: JSON.stringify(entry.detail),
  };
}
