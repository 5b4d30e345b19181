import { z } from '@hono/zod-openapi';

const instant = z.iso.datetime();

export const AdminUserId = z.object({
  id: z.string().openapi({ description: 'The user id (a UUID; anything else is 404).' }),
});

export const AdminUserQuery = z.object({
  username: z.string().optional().openapi({ description: 'Ignoring ASCII letter case.' }),
  email: z.string().optional().openapi({ description: 'Ignoring letter case.' }),
  weibo_uid: z.string().optional(),
});

export const AdminUser = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.string(),
    phone: z.string(),
    created_at: instant,
    locked: z.boolean(),
    weibo: z
      .object({
        uid: z.string(),
        bound_at: instant,
        authorization: z.enum(['valid', 'expired', 'revoked']),
        token_expires_at: instant.nullable(),
      })
      .strict()
      .nullable(),
    sessions: z.number().int().nonnegative().openapi({ description: 'Live sessions.' }),
  })
  .strict()
  .openapi('AdminUser');

export const AdminUsers = z
  .object({ code: z.literal(200), users: z.array(AdminUser) })
  .strict()
  .openapi('AdminUsers');

export const AdminUserAnswer = z
  .object({ code: z.literal(200), user: AdminUser })
  .strict()
  .openapi('AdminUserAnswer');

export const LockRequest = z
  .object({ reason: z.string().min(1).max(500) })
  .openapi('LockRequest', { description: 'Why, for the audit log: 1-500 characters.' });

export const AdminAuditQuery = z.object({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/)
    .optional(),
  limit: z
    .string()
    .regex(/^([1-9]|[1-9][0-9]|100)$/)
    .optional(),
});

export const AdminAudit = z
  .object({
    code: z.literal(200),
    entries: z.array(
      z
        .object({
          id: z.uuid(),
          at: instant,
          action: z.string(),
          actor: z
            .string()
            .openapi({ description: '`user`, `weibo`, `system` or `admin:<key id>`.' }),
          ip: z.string().nullable(),
          user_agent: z.string().nullable(),
          session_id: z.uuid().nullable(),
          detail: z.record(z.string(), z.union([z.string(), z.number()])),
        })
        .strict(),
    ),
    next_cursor: z.string().nullable(),
  })
  .strict()
  .openapi('AdminAudit');
