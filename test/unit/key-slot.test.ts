import { describe, expect, it } from 'vitest';
import { routingTag } from '../../src/adapters/redis/fixed-window.ts';
import { keySlot } from '../../src/adapters/redis/key-slot.ts';

describe('keySlot', () => {
  it("maps keys to Redis Cluster's slots (CRC16-XMODEM mod 16384)", () => {
    // The check value of CRC16-XMODEM, and keys whose slots `CLUSTER KEYSLOT` gives.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
  });

  it('hashes only the first non-empty hash tag, as Redis does', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{user1000}.followers')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('{bull}:weibo-auth-events:id')).toBe(keySlot('bull'));
  });
});

describe('routingTag', () => {
  it('is a short base64url hash: the same key, the same tag, so its keys share a slot', () => {
    expect(routingTag('ip:203.0.113.1')).toMatch(/^[A-Za-z0-9_-]{4}$/);
    expect(routingTag('ip:203.0.113.1')).toBe(routingTag('ip:203.0.113.1'));
    const tags = new Set(Array.from({ length: 200 }, (_, i) => routingTag(`ip:10.0.0.${i}`)));
    expect(tags.size).toBeGreaterThan(190);
  });
});
