import {
  AccountLocked,
  InvalidEmail,
  InvalidPassword,
  InvalidPhone,
  InvalidUsername,
} from './errors.ts';

export interface UserProfile {
  id: string;
  username: string;
  passwordHash: string;
  phone: string;
  email: string;
  createdAt: Date;
  /** Set while an administrator has locked the account: no sign-in is let through. */
  lockedAt: Date | null;
}

/** What a person types in the bind form, checked in the order the contract gives. */
export interface Registration {
  username: string;
  password: string;
  email: string;
  phone: string;
}

const USERNAME = /^[A-Za-z0-9_]{3,32}$/;
// No space, control or invisible format character (\p{Cf}: zero-width, bidi) anywhere.
const EMAIL = /^[^\s\p{Cc}\p{Cf}@]+@[^\s\p{Cc}\p{Cf}@.]+(\.[^\s\p{Cc}\p{Cf}@.]+)+$/u;
const E164 = /^\+[0-9]{8,15}$/;
const MAINLAND_MOBILE = /^1[3-9][0-9]{9}$/;

export type RegistrationForm = { [field in keyof Registration]?: unknown };

export function parseRegistration(input: RegistrationForm): Registration {
  const username = parseUsername(input.username);
  const password = parsePassword(input.password);
  const email = parseEmail(input.email);
  const phone = parsePhone(input.phone);
  return { username, password, email, phone };
}

export function parseUsername(value: unknown): string {
  if (typeof value !== 'string' || !isUsername(value)) throw new InvalidUsername();
  return value;
}

/** Whether an account could have this name: the only names the bind form accepts. */
export function isUsername(value: string): boolean {
  return USERNAME.test(value);
}

export function parsePassword(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidPassword();
  const codePoints = [...value].length;
  if (codePoints < 8 || codePoints > 128) throw new InvalidPassword();
  return value;
}

export function parseEmail(value: unknown): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value)) {
    throw new InvalidEmail();
  }
  return value;
}

/** Returns the phone without the spaces and dashes people type in it. */
export function parsePhone(value: unknown): string {
  if (typeof value !== 'string' || value.length > 64) throw new InvalidPhone();
  const compact = value.replace(/[\s-]/g, '');
  if (!E164.test(compact) && !MAINLAND_MOBILE.test(compact)) throw new InvalidPhone();
  return compact;
}

/** Every sign-in passes here once its proof checks out: a locked account goes no further. */
export function refuseLocked(user: UserProfile): void {
  if (user.lockedAt !== null) throw new AccountLocked();
}
