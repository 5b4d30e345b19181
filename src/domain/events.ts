import type { AuthorizationLoss } from './weibo-account.ts';

export type DomainEvent =
  | UserBoundToWeibo
  | UserUnboundFromWeibo
  | UserDeleted
  | WeiboAuthorizationLost
  | UserLocked
  | UserUnlocked;

/** An administrator locked the account; its sessions ended with it. */
export interface UserLocked extends EventBase {
  type: 'UserLocked';
}

export interface UserUnlocked extends EventBase {
  type: 'UserUnlocked';
}

interface EventBase {
  id: string;
  occurredAt: Date;
  userId: string;
  username: string;
}

/** The stored Weibo token of a bound account stopped working; consumers may ask for a new sign-in. */
export interface WeiboAuthorizationLost {
  type: 'WeiboAuthorizationLost';
  id: string;
  occurredAt: Date;
  userId: string;
  weiboUid: string;
  reason: AuthorizationLoss;
}

export interface UserBoundToWeibo extends EventBase {
  type: 'UserBoundToWeibo';
  weiboUid: string;
}

export interface UserUnboundFromWeibo extends EventBase {
  type: 'UserUnboundFromWeibo';
  weiboUid: string;
  /** Who unbound it: the user, or an administrator. */
  by: 'user' | 'admin';
}

export interface UserDeleted extends EventBase {
  type: 'UserDeleted';
  weiboUid: string | null;
}

type User = { id: string; username: string };

export function userBoundToWeibo(
  id: string,
  occurredAt: Date,
  user: User,
  weiboUid: string,
): UserBoundToWeibo {
  return {
    type: 'UserBoundToWeibo',
    id,
    occurredAt,
    userId: user.id,
    username: user.username,
    weiboUid,
  };
}

export function userUnboundFromWeibo(
  id: string,
  occurredAt: Date,
  user: User,
  weiboUid: string,
  by: 'user' | 'admin' = 'user',
): UserUnboundFromWeibo {
  return {
    type: 'UserUnboundFromWeibo',
    id,
    occurredAt,
    userId: user.id,
    username: user.username,
    weiboUid,
    by,
  };
}

export function userLocked(id: string, occurredAt: Date, user: User): UserLocked {
  return { type: 'UserLocked', id, occurredAt, userId: user.id, username: user.username };
}

export function userUnlocked(id: string, occurredAt: Date, user: User): UserUnlocked {
  return { type: 'UserUnlocked', id, occurredAt, userId: user.id, username: user.username };
}

export function userDeleted(
  id: string,
  occurredAt: Date,
  user: User,
  weiboUid: string | null,
): UserDeleted {
  return {
    type: 'UserDeleted',
    id,
    occurredAt,
    userId: user.id,
    username: user.username,
    weiboUid,
  };
}

export function weiboAuthorizationLost(
  id: string,
  occurredAt: Date,
  lost: { userId: string; weiboUid: string },
  reason: AuthorizationLoss,
): WeiboAuthorizationLost {
  return { type: 'WeiboAuthorizationLost', id, occurredAt, ...lost, reason };
}
