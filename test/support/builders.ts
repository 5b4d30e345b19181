import type { Session } from '../../src/application/session-ports.ts';
import type { UserProfile } from '../../src/domain/user-profile.ts';

let sequence = 0;

export function aUserProfile(overrides: Partial<UserProfile> = {}): UserProfile {
  sequence += 1;
  return {
    id: crypto.randomUUID(),
    username: `user_${sequence}`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    phone: '13800138000',
    email: 'someone@example.com',
    createdAt: new Date('2026-11-24T08:00:00.000Z'),
    lockedAt: null,
    ...overrides,
  };
}

/** A session `id` of `userId` started `now`, living a day, as a store is handed it. */
export function aStartedSession(
  id: string,
  userId: string,
  now: Date,
): Session & { refreshHash: string } {
  return {
    id,
    userId,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
    userAgent: null,
    refreshHash: `hash-${id}`,
  };
}
