import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../src/adapters/tokens/verified-tokens.ts';

describe('VerifiedTokens', () => {
  it('keeps a value until its expiry, not at it', () => {
    const verified = new VerifiedTokens<string>();
    verified.set('a', 'alice', 100);
    expect(verified.get('a', 99)).toBe('alice');
    expect(verified.get('a', 100)).toBeUndefined();
    expect(verified.get('a', 99)).toBeUndefined();
    expect(verified.size).toBe(0);
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const verified = new VerifiedTokens<number>(3);
    for (const [index, token] of ['a', 'b', 'c', 'd'].entries()) verified.set(token, index, 100);
    expect(verified.size).toBe(3);
    expect(verified.get('a', 0)).toBeUndefined();
    expect(['b', 'c', 'd'].map((token) => verified.get(token, 0))).toEqual([1, 2, 3]);
    verified.set('d', 4, 100);
    expect(verified.size).toBe(3);
    expect(verified.get('b', 0)).toBe(1);
  });
});
