export interface UserBoundToWeibo {
  type: 'UserBoundToWeibo';
  id: string;
  occurredAt: Date;
  userId: string;
  username: string;
  weiboUid: string;
}

export type DomainEvent = UserBoundToWeibo;

export function userBoundToWeibo(
  id: string,
  occurredAt: Date,
  user: { id: string; username: string },
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
