import { describe, expect, it } from 'vitest';
import {
  bindingHash,
  isWellFormedSecret,
  matchesBinding,
  newSecret,
} from '../../src/application/browser-binding.ts';

describe('newSecret', () => {
  it('gives 256-bit base64url secrets, never the same twice, across many pool refills', () => {
    const secrets = Array.from({ length: 1_000 }, newSecret);
    expect(new Set(secrets).size).toBe(secrets.length);
    for (const secret of secrets) {
      expect(isWellFormedSecret(secret)).toBe(true);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
  });

  it('spreads its bytes evenly, as a CSPRNG does', () => {
    const counts = new Array(256).fill(0);
    for (let i = 0; i < 2_000; i += 1) {
      for (const byte of Buffer.from(newSecret(), 'base64url')) counts[byte] += 1;
    }
    // 64,000 bytes: 250 expected per value; a stuck or repeated pool would skew far more.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(350);
  });
});

describe('the browser binding', () => {
  it('matches the secret it was made from, and no other', () => {
    const secret = newSecret();
    expect(matchesBinding(secret, bindingHash(secret))).toBe(true);
    expect(matchesBinding(newSecret(), bindingHash(secret))).toBe(false);
    expect(matchesBinding(undefined, bindingHash(secret))).toBe(false);
  });
});
