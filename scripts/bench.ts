/**
 * Loopback benchmark of a running service: `npx tsx scripts/bench.ts [url] [seconds]`.
 * Start the service with RATE_LIMIT_PER_MINUTE=0 first. Prints requests/s and latency for
 * each endpoint and its ratio to /healthz, the cost of the HTTP stack alone.
 */
import autocannon from 'autocannon';

const url = process.argv[2] ?? 'http://127.0.0.1:8000';
const seconds = Math.min(Number(process.argv[3] ?? 10), 30);
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) {
  throw new Error('benchmarks only run against this machine (127.0.0.1, localhost, [::1])');
}

const endpoints = [
  ['GET /healthz (HTTP stack only)', '/healthz'],
  ['GET /.well-known/jwks.json', '/.well-known/jwks.json'],
  ['GET authorization (state SET EX + cookie)', '/v1/users/weibo/authorization?return_to=/'],
  ['GET callback, unknown state (GETDEL, 403)', '/v1/users/weibo/users?code=c&state=unknown'],
] as const;

let baseline = 0;
console.log(`${seconds} s per endpoint, 50 connections, against ${url}\n`);
for (const [label, path] of endpoints) {
  const result = await autocannon({ url: `${url}${path}`, connections: 50, duration: seconds });
  const rps = result.requests.average;
  baseline ||= rps;
  const non2xx = result.non2xx > 0 ? `  (${result.non2xx} non-2xx, expected for the 403)` : '';
  console.log(
    `${label.padEnd(44)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${result.latency.p50} ms  ` +
      `p99 ${result.latency.p99} ms  ratio ${(rps / baseline).toFixed(2)}${non2xx}`,
  );
}
