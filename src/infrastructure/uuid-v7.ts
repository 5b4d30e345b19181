import { randomFillSync } from 'node:crypto';

const RANDOM_BYTES = 8;
// One CSPRNG call fills 512 ids' random bytes (as browser-binding.ts pools its secrets).
const POOL_BYTES = RANDOM_BYTES * 512;
let pool = Buffer.alloc(0);
let offset = 0;
/** The last id's millisecond and 12-bit sequence: ids of one process never go backwards. */
let lastMs = 0;
let sequence = 0;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit sequence (RFC 9562 §6.2,
 * method 1) that orders the ids made in one millisecond, then 62 random bits. Rows keyed by it
 * land at the right-hand end of their primary key's B-tree, in pages already in memory, where
 * a random UUIDv4 lands on any page of a large index (BENCHMARKS.md, gain 13). The clock going
 * back, or more than 4,096 ids in one millisecond, borrows the next millisecond.
 */
export function uuidV7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // A random start below the middle leaves room for 2,048 more in the millisecond.
    sequence = randomBits() & 0x7ff;
  } else if (sequence < 0xfff) {
    sequence += 1;
  } else {
    lastMs += 1;
    sequence = 0;
  }
  if (offset + RANDOM_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const ms = lastMs.toString(16).padStart(12, '0');
  const random = pool.subarray(offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  const variant = HEX[0x80 | ((random[0] as number) & 0x3f)] as string;
  const tail = Array.from(random.subarray(1), (byte) => HEX[byte]).join('');
  return (
    `${ms.slice(0, 8)}-${ms.slice(8)}-${(0x7000 | sequence).toString(16)}-` +
    `${variant}${tail.slice(0, 2)}-${tail.slice(2)}`
  );
}

function randomBits(): number {
  if (offset + 2 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const bits = pool.readUInt16BE(offset);
  offset += 2;
  return bits;
}
