import type { ColumnType, Generated, Selectable } from 'kysely';
import type { AuditAction } from '../../domain/audit.ts';
import type { WeiboAuthorization } from '../../domain/weibo-account.ts';

export interface Database {
  users: UsersTable;
  weibo_accounts: WeiboAccountsTable;
  outbox: OutboxTable;
  sessions: SessionsTable;
  session_used_refresh_hashes: SessionUsedRefreshHashesTable;
  audit_log: AuditLogTable;
}

export interface AuditLogTable {
  id: string;
  at: Date;
  user_id: string;
  action: AuditAction;
  actor: string;
  ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  detail: ColumnType<Record<string, string | number>, string, never>;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  phone: string;
  email: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  locked_at: Date | null;
  lock_reason: string | null;
}

export interface WeiboAccountsTable {
  uid: string;
  user_id: string | null;
  access_token_encrypted: string | null;
  access_token_expires_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  bound_at: Date | null;
  authorization_state: ColumnType<WeiboAuthorization, WeiboAuthorization | undefined>;
}

export interface OutboxTable {
  id: string;
  type: string;
  aggregate_id: string;
  payload: ColumnType<CloudEvent, string, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
  published_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
  available_at: Generated<Date>;
  /** The W3C trace context of the request that wrote the row; null when none was recorded. */
  traceparent: string | null;
  tracestate: string | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  refresh_hash: string;
  created_at: ColumnType<Date, Date, never>;
  last_used_at: Date;
  expires_at: Date;
  user_agent: string | null;
  revoked_at: Date | null;
}

export interface SessionUsedRefreshHashesTable {
  hash: string;
  session_id: string;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
  /** The CloudEvents distributed-tracing extension, when the event was written in a trace. */
  traceparent?: string;
  tracestate?: string;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
