import { describe, expect, it } from 'vitest';
import { uuidV7 } from '../../src/infrastructure/uuid-v7.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecondsOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('UUIDv7', () => {
  it('is a version 7, variant 10 UUID carrying the Unix milliseconds', () => {
    const now = Date.parse('2026-12-07T06:00:00.123Z');
    const id = uuidV7(now + 10_000_000);
    expect(id).toMatch(UUID_V7);
    expect(millisecondsOf(id)).toBe(now + 10_000_000);
    expect(millisecondsOf(uuidV7())).toBeGreaterThanOrEqual(now);
  });

  it('orders ids made in one millisecond as they were made, even past 4,096 of them', () => {
    const at = Date.now() + 20_000_000;
    const ids = Array.from({ length: 10_000 }, () => uuidV7(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // Borrowed milliseconds stay close to the clock.
    expect(millisecondsOf(ids.at(-1) ?? '') - at).toBeLessThanOrEqual(3);
  });

  it('never goes backwards when the clock does', () => {
    const later = uuidV7(Date.now() + 30_000_000);
    const earlier = uuidV7(Date.now());
    expect(earlier > later).toBe(true);
  });

  it('is unpredictable past its time and sequence', () => {
    const at = Date.now() + 40_000_000;
    const tails = new Set(Array.from({ length: 1_000 }, () => uuidV7(at).slice(20)));
    expect(tails.size).toBe(1_000);
  });
});
