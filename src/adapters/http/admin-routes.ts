import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdminUserView, FindUsers, UserSearch } from '../../application/find-users.ts';
import type { ListActivity } from '../../application/list-activity.ts';
import type { LockUser } from '../../application/lock-user.ts';
import type { Sessions } from '../../application/sessions.ts';
import type { UnbindWeibo } from '../../application/unbind-weibo.ts';
import { UserNotFound } from '../../domain/errors.ts';
import { Done } from './account-schemas.ts';
import { type AdminEnv, adminAuth } from './admin-auth.ts';
import {
  AdminAudit,
  AdminAuditQuery,
  AdminUserAnswer,
  AdminUserId,
  AdminUserQuery,
  AdminUsers,
  LockRequest,
} from './admin-schemas.ts';
import { decodeCursor, encodeCursor } from './audit-cursor.ts';
import { requesterOf } from './client-address.ts';
import { invalidQuery } from './http-errors.ts';
import { readJsonObject } from './json-body.ts';
import { documentedJsonBody, errorResponses, json, openApiRouter } from './openapi.ts';
import { answerJson } from './response-headers.ts';

export const ADMIN_BASE_PATH = '/admin/v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** No control character: a search string that no stored value can hold (a NUL) is a bad query. */
const SEARCHABLE = /^[^\p{Cc}]{1,320}$/u;
const MAX_BODY_BYTES = 16 * 1024;
const tags = ['Admin'];
const security = [{ adminKey: [] }];
const adminErrors = ['NOT_AN_ADMINISTRATOR', 'STORAGE_UNAVAILABLE', 'UNEXPECTED'] as const;

export interface AdminRoutesDeps {
  adminApiKeys: string[];
  trustProxy: boolean;
  findUsers: FindUsers;
  lockUser: LockUser;
  unbindWeibo: UnbindWeibo;
  sessions: Sessions;
  listActivity: ListActivity;
}

/** A route of the admin API: its tag, its key and its usual failures. */
function adminRoute<R extends RouteConfig>(route: R, ...errors: Parameters<typeof errorResponses>) {
  return createRoute({
    ...route,
    tags,
    security,
    responses: { ...route.responses, ...errorResponses(...errors, ...adminErrors) },
  });
}

const search = adminRoute(
  {
    method: 'get',
    path: '/users',
    summary: 'Find accounts by exactly one of username, email or Weibo uid',
    request: { query: AdminUserQuery },
    responses: {
      200: { description: 'The accounts found (maybe none).', content: json(AdminUsers) },
    },
  },
  'INVALID_QUERY',
);
const getUser = adminRoute(
  {
    method: 'get',
    path: '/users/{id}',
    summary: 'One account',
    request: { params: AdminUserId },
    responses: { 200: { description: 'The account.', content: json(AdminUserAnswer) } },
  },
  'USER_NOT_FOUND',
);
const lock = adminRoute(
  {
    method: 'post',
    path: '/users/{id}/lock',
    summary: 'Lock the account: its sessions end at once, and every sign-in answers 10168',
    request: { params: AdminUserId, body: documentedJsonBody('LockRequest') },
    responses: { 200: { description: 'Locked (or already so).', content: json(Done) } },
  },
  'INVALID_BODY',
  'INVALID_QUERY',
  'USER_NOT_FOUND',
);
const unlock = adminRoute(
  {
    method: 'post',
    path: '/users/{id}/unlock',
    summary: 'Lift the lock',
    request: { params: AdminUserId },
    responses: { 200: { description: 'Unlocked (or already so).', content: json(Done) } },
  },
  'USER_NOT_FOUND',
);
const forceUnbind = adminRoute(
  {
    method: 'delete',
    path: '/users/{id}/weibo-binding',
    summary: "Unbind the account's Weibo account, as endpoint 8 (event `by`: `admin`)",
    request: { params: AdminUserId },
    responses: { 200: { description: 'Unbound.', content: json(Done) } },
  },
  'NO_WEIBO_ACCOUNT',
  'USER_NOT_FOUND',
);
const forceSignOut = adminRoute(
  {
    method: 'delete',
    path: '/users/{id}/sessions',
    summary: "End all the account's sessions",
    request: { params: AdminUserId },
    responses: { 200: { description: 'Ended.', content: json(Done) } },
  },
  'USER_NOT_FOUND',
);
const auditLog = adminRoute(
  {
    method: 'get',
    path: '/users/{id}/audit',
    summary: "The account's audit entries, newest first, also after its deletion",
    request: { params: AdminUserId, query: AdminAuditQuery },
    responses: { 200: { description: 'A page of entries.', content: json(AdminAudit) } },
  },
  'INVALID_QUERY',
  'USER_NOT_FOUND',
);

/** The admin API, mounted at `/admin/v1`: its own routes and its own key check. */
export function adminRoutes(deps: AdminRoutesDeps) {
  const app = openApiRouter<AdminEnv>();
  app.openAPIRegistry.register('LockRequest', LockRequest);
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A key of ADMIN_API_KEYS; its id (first 8 hex of its SHA-256) is the actor.',
  });
  app.use('*', adminAuth(deps.adminApiKeys));
  const requester = (c: Context) => requesterOf(c, deps.trustProxy);

  app.openapi(search, async (c) => {
    const found = await deps.findUsers.search(searchOf(c.req.queries()));
    return answerJson(c, { code: 200 as const, users: found.map(adminUser) }, 200);
  });

  app.openapi(getUser, async (c) => {
    const view = await deps.findUsers.get(userId(c.req.param('id') ?? ''));
    if (!view) throw new UserNotFound();
    return answerJson(c, { code: 200 as const, user: adminUser(view) }, 200);
  });

  app.openapi(lock, async (c) => {
    const id = userId(c.req.param('id') ?? '');
    const { reason } = await readJsonObject(c, MAX_BODY_BYTES);
    if (typeof reason !== 'string' || !LockRequest.safeParse({ reason }).success) {
      throw invalidQuery();
    }
    await deps.lockUser.lock(id, reason, c.get('admin'), requester(c));
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(unlock, async (c) => {
    await deps.lockUser.unlock(userId(c.req.param('id') ?? ''), c.get('admin'), requester(c));
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(forceUnbind, async (c) => {
    const view = await deps.findUsers.get(userId(c.req.param('id') ?? ''));
    if (!view) throw new UserNotFound();
    await deps.unbindWeibo.execute(view.user, requester(c), c.get('admin'));
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(forceSignOut, async (c) => {
    const view = await deps.findUsers.get(userId(c.req.param('id') ?? ''));
    if (!view) throw new UserNotFound();
    await deps.sessions.endAll(view.user.id, requester(c), c.get('admin'));
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(auditLog, async (c) => {
    const id = userId(c.req.param('id') ?? '');
    const query = c.req.valid('query');
    const from = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await deps.listActivity.execute(id, Number(query.limit ?? 20), from);
    // A deleted account's entries are kept; an id with none, and no account, was never one.
    if (page.entries.length === 0 && !from && !(await deps.findUsers.get(id))) {
      throw new UserNotFound();
    }
    const entries = page.entries.map((entry) => ({
      id: entry.id,
      at: entry.at.toISOString(),
      action: entry.action,
      actor: entry.actor,
      ip: entry.ip,
      user_agent: entry.userAgent,
      session_id: entry.sessionId,
      detail: entry.detail,
    }));
    const nextCursor = page.next && encodeCursor(page.next);
    return answerJson(c, { code: 200 as const, entries, next_cursor: nextCursor }, 200);
  });
  return app;
}

function userId(id: string): string {
  if (!UUID.test(id)) throw new UserNotFound();
  return id.toLowerCase();
}

/** Exactly one of username, email and weibo_uid, given once and not empty. */
function searchOf(queries: Record<string, string[]>): UserSearch {
  const given = Object.entries(queries).filter(([name]) =>
    ['username', 'email', 'weibo_uid'].includes(name),
  );
  const [[name, values] = ['', []]] = given;
  const [value = ''] = values;
  if (given.length !== 1 || values.length !== 1 || !SEARCHABLE.test(value)) throw invalidQuery();
  if (name === 'username') return { username: value };
  if (name === 'email') return { email: value };
  return { weiboUid: value };
}

function adminUser(view: AdminUserView) {
  const { user, weibo } = view;
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    phone: user.phone,
    created_at: user.createdAt.toISOString(),
    locked: user.lockedAt !== null,
    weibo: weibo && {
      uid: weibo.uid,
      bound_at: weibo.boundAt.toISOString(),
      authorization: weibo.authorization,
      token_expires_at: weibo.tokenExpiresAt?.toISOString() ?? null,
    },
    sessions: view.liveSessions,
  };
}
