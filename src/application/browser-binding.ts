import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 32;
// One CSPRNG call fills 128 secrets, as Node's own randomUUID pools its entropy: each call
// costs far more than the bytes it returns. Every byte is handed out once, then dropped.
const POOL_BYTES = SECRET_BYTES * 128;
let pool = Buffer.alloc(0);
let offset = 0;

/** 256 bits from the CSPRNG, base64url: state nonces, browser-binding secrets, refresh tokens. */
export function newSecret(): string {
  if (offset + SECRET_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const secret = pool.toString('base64url', offset, offset + SECRET_BYTES);
  offset += SECRET_BYTES;
  return secret;
}

export function isWellFormedSecret(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function bindingHash(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

export function matchesBinding(secret: string | undefined, expectedHash: string): boolean {
  if (secret === undefined) return false;
  const actual = Buffer.from(bindingHash(secret));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
