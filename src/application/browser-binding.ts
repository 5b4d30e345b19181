import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits from the CSPRNG, base64url: used for state nonces and browser-binding secrets. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isWellFormedSecret(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function bindingHash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function matchesBinding(secret: string | undefined, expectedHash: string): boolean {
  if (secret === undefined) return false;
  const actual = Buffer.from(bindingHash(secret));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
