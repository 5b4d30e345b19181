/**
 * argon2id hashes per second alone: the service's own hasher (@node-rs/argon2, OWASP's
 * m=19456 KiB, t=2, p=1) with `BENCH_CONCURRENCY` hashes always in flight for `BENCH_SECONDS`,
 * on libuv's thread pool like the service (same UV_THREADPOOL_SIZE, inherited). Prints
 * `result {"perSecond":…,"p99Ms":…,"hashes":…}` and exits.
 */
import { Argon2PasswordHasher } from '../src/adapters/security/argon2-password-hasher.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
const hasher = new Argon2PasswordHasher();

// One warm-up hash, so the first timed ones do not pay for loading the addon.
await hasher.hash('warm-up password');

const latencies: number[] = [];
const started = performance.now();
const deadline = started + seconds * 1000;
let sequence = 0;

async function loop(): Promise<void> {
  while (performance.now() < deadline) {
    sequence += 1;
    const begun = performance.now();
    await hasher.hash(`bench password ${sequence}`);
    latencies.push(performance.now() - begun);
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
console.log(
  `result ${JSON.stringify({ perSecond: latencies.length / elapsed, p99Ms, hashes: latencies.length })}`,
);
