import { hash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AuditActor } from '../../domain/audit.ts';
import { errorBody, errorStatus } from './error-mapping.ts';
import { notAnAdministrator } from './http-errors.ts';

export type AdminEnv = { Variables: { admin: AuditActor } };

/** A key of the admin API: its id (the first 8 hex of its SHA-256) and its digest. */
interface AdminKey {
  id: string;
  digest: Buffer;
}

/**
 * The admin API's own check: off (no keys) answers 404 to every path, as if it did not exist;
 * on, `Authorization: Bearer <key>` must match a key, compared in constant time (digests of
 * equal length, every key compared), else 401 10170. The key's id is the actor the use cases
 * record; the key itself goes nowhere.
 */
export function adminAuth(keys: string[]) {
  const known: AdminKey[] = keys.map((key) => ({
    id: hash('sha256', key, 'hex').slice(0, 8),
    digest: hash('sha256', key, 'buffer'),
  }));
  return createMiddleware<AdminEnv>(async (c, next) => {
    if (known.length === 0) return c.json(errorBody('NOT_FOUND'), errorStatus('NOT_FOUND'));
    const presented = /^Bearer +([^\s]+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const digest = hash('sha256', presented ?? '', 'buffer');
    let match: AdminKey | undefined;
    for (const key of known) {
      if (timingSafeEqual(key.digest, digest) && presented !== undefined) match ??= key;
    }
    if (!match) throw notAnAdministrator();
    c.set('admin', `admin:${match.id}`);
    await next();
  });
}
