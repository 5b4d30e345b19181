/**
 * `npm run bench [-- --seconds N | --smoke | --markdown]`: builds the service, starts it and its
 * peers on 127.0.0.1, measures each scenario in turn (50 connections, one at a time), prints one
 * table of figures, ratios and targets, and writes it as JSON under bench/results/. Every target
 * is a ratio measured in the same run: absolute numbers on a shared machine are noisy.
 *
 * Needs Postgres (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres: a database
 * of its own is created there and dropped after) and Redis (REDIS_URL, default
 * redis://127.0.0.1:6379: the run's keys are deleted after; login states expire by themselves).
 * See BENCHMARKS.md.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONNECTIONS } from './load.ts';
import { outboxScenarios } from './outbox-scenarios.ts';
import { capturePlans, formatPlans, type QueryPlans } from './plans.ts';
import { spawnServer, stopAll } from './processes.ts';
import {
  argon2Alone,
  peer,
  problems,
  type Sizes,
  tokenEndpointAlone,
  WEIBO_CLIENT,
} from './scenarios.ts';
import { parseSeed, seedFresh } from './seed.ts';
import { seededRows, seedLabel } from './seeded-rows.ts';
import { type PassContext, servicePass } from './service-pass.ts';
import { createDatabase, deleteKeys, dropDatabase, serviceKeys } from './setup.ts';
import {
  atLeast,
  type BenchRow,
  formatMarkdown,
  formatTable,
  machine,
  RESULTS_DIR,
  ratio,
  writeResults,
} from './table.ts';
import { tracingPass } from './tracing-pass.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string' },
  },
});
/** `--seed 1m`: every service scenario again on a database seeded with that many users. */
const seed = args.seed === undefined ? undefined : parseSeed(args.seed);
/** `--only authorize,read`: those scenarios alone (and what they need: the logins and read need bind). */
const SCENARIOS = [
  'peers',
  'authorize',
  'bind',
  'argon2',
  'login',
  'applogin',
  'token',
  'read',
  'limited',
  'tracing',
  'outbox',
];
const only = args.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !SCENARIOS.includes(name)) ?? [];
if (unknown.length > 0) {
  throw new Error(`--only takes some of ${SCENARIOS.join(', ')}; not: ${unknown.join(', ')}`);
}
const wanted = (name: string) =>
  !only ||
  only.includes(name) ||
  (name === 'bind' && ['login', 'applogin', 'read'].some((needs) => only.includes(needs)));
const smoke = args.smoke ?? false;
const seconds = smoke ? 2 : Number(args.seconds ?? 8);
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) {
  throw new Error('--seconds takes a number of seconds from 1 to 60');
}
const sizes: Sizes = smoke
  ? { seconds, warmSeconds: 0.5, logins: 4_000, tokenCodes: 60_000, binds: 300 }
  : {
      seconds,
      warmSeconds: 1,
      logins: Math.ceil(seconds * 2_500),
      tokenCodes: Math.ceil(seconds * 30_000),
      binds: Math.ceil(seconds * 300),
    };

const startedAt = new Date();
const profileDir = args.profile
  ? path.join(RESULTS_DIR, 'profiles', startedAt.toISOString().replaceAll(':', '-'))
  : undefined;
const runId = `${startedAt.getTime().toString(36)}${process.pid.toString(36)}`;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseName = `weibo_auth_bench_${runId}`;
const outboxDatabaseName = `${databaseName}_outbox`;
const seededDatabaseName = `${databaseName}_seeded`;
const tracingDatabaseName = `${databaseName}_tracing`;
/** The seeded pass's figures are recorded under this prefix. */
const SEEDED = 'seeded:';
let seededUrl: string | undefined;
const queue = `bench-${runId}-events`;
const keyPrefix = `bench:${runId}:`;

const measured: Record<string, { value: number; p99Ms?: number; cpuUs?: number }> = {};
const databases: string[] = [];

async function freshDatabase(name: string): Promise<string> {
  const url = await createDatabase(adminUrl, name);
  databases.push(name);
  return url;
}

function step(text: string) {
  const elapsed = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3);
  console.log(`[${elapsed} s] ${text}`);
}

/** Runs one part; a failure is reported under the table and fails the run, the rest goes on. */
async function part(name: string, body: () => Promise<void>, key?: string) {
  if (key && !wanted(key)) return;
  try {
    await body();
  } catch (error) {
    problems.push(`${name}: ${(error as Error).stack ?? error}`);
    step(`${name} FAILED: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function cleanUp() {
  await stopAll();
  for (const name of databases) await dropDatabase(adminUrl, name).catch(() => undefined);
  await deleteKeys(redisUrl, [`${keyPrefix}*`, `bull:${queue}:*`]).catch(() => undefined);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the processes and removing the run's data`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const rss: { idle?: number; after?: number } = {};
let outbox: BenchRow[] = [];
let seededOutbox: BenchRow[] = [];
/** Tracing's ratios, each the median over rounds of runs seconds apart (bench/tracing-pass.ts). */
let tracingRatios: Record<string, number> = {};
let plans: QueryPlans[] = [];

try {
  step(
    `${smoke ? 'smoke run' : 'full run'}: ${seconds} s per scenario, ${CONNECTIONS} connections, ` +
      `one scenario at a time`,
  );
  const record = (name: string, result: { perSecond: number; p99Ms: number; cpuUs?: number }) => {
    measured[name] = { value: result.perSecond, p99Ms: result.p99Ms, cpuUs: result.cpuUs };
    const cpu = result.cpuUs === undefined ? '' : `, server CPU ${result.cpuUs.toFixed(0)} µs each`;
    step(`${name}: ${result.perSecond.toFixed(0)}/s, p99 ${result.p99Ms.toFixed(1)} ms${cpu}`);
  };

  await part(
    'peers',
    async () => {
      record(
        'hello',
        await peer(
          'bare Hono hello',
          'peers/hono-hello.ts',
          sizes,
          {},
          { path: '/', okStatus: 200 },
        ),
      );
      record(
        'limit',
        await peer(
          'bare Hono + SET EX',
          'peers/hono-set.ts',
          sizes,
          { REDIS_URL: redisUrl, BENCH_KEY_PREFIX: `${keyPrefix}hono-set:` },
          { path: '/', okStatus: 200 },
        ),
      );
      record(
        'select',
        await peer(
          'bare Hono + one Postgres SELECT',
          'peers/hono-select.ts',
          sizes,
          { DATABASE_URL: adminUrl },
          { path: '/', okStatus: 200 },
        ),
      );
      record(
        'peer',
        await peer(
          'Express + passport',
          'peers/express-passport.ts',
          sizes,
          { REDIS_URL: redisUrl, BENCH_KEY_PREFIX: `${keyPrefix}sess:` },
          { path: '/authorize', okStatus: 302 },
        ),
      );
    },
    'peers',
  );

  const weibo = await spawnServer('fake-weibo.ts', WEIBO_CLIENT);
  const pass: PassContext = {
    sizes,
    weiboUrl: weibo.url,
    baseEnv: {
      NODE_ENV: 'production',
      REDIS_URL: redisUrl,
      ...WEIBO_CLIENT,
      WEIBO_API_BASE_URL: weibo.url,
      ...serviceKeys(),
      LOG_LEVEL: 'warn',
      OUTBOX_QUEUES: queue,
      // The states prepared for the logins are used within seconds; the others expire soon.
      STATE_TTL_SECONDS: '300',
      BIND_RATE_LIMIT_PER_HOUR: '0',
      LOGIN_RATE_LIMIT_PER_HOUR: '0',
    },
    profileDir,
    part,
    record,
    step,
  };
  Object.assign(rss, await servicePass(pass, await freshDatabase(databaseName)));
  await part(
    'argon2id alone',
    async () => {
      record('argon2', await argon2Alone(sizes, CONNECTIONS));
    },
    'argon2',
  );
  await part(
    'token endpoint alone',
    async () => {
      record('token', await tokenEndpointAlone(sizes));
    },
    'token',
  );
  if (seed) {
    await part('seeded database', async () => {
      seededUrl = await freshDatabase(seededDatabaseName);
      step(`seeding ${seed.users.toLocaleString('en')} users and their rows`);
      await seedFresh(seededUrl, seed, String(pass.baseEnv.TOKEN_ENCRYPTION_KEY), step);
      await servicePass(pass, seededUrl, SEEDED);
      step('plans of every statement on the seeded database (auto_explain)');
      plans = await capturePlans(pass, seededUrl);
    });
  }
  await part(
    'tracing: off, on, and without the preload',
    async () => {
      tracingRatios = await tracingPass(
        pass,
        await freshDatabase(tracingDatabaseName),
        smoke ? 1 : 5,
      );
    },
    'tracing',
  );
  await weibo.stop();
  if (profileDir) step(`CPU profiles of the service: ${path.relative(process.cwd(), profileDir)}`);

  await part(
    'outbox',
    async () => {
      step('outbox scenarios');
      // bench/outbox-scenarios.ts, on a fresh database of its own.
      const outboxDatabaseUrl = await freshDatabase(outboxDatabaseName);
      outbox = await outboxScenarios({ databaseUrl: outboxDatabaseUrl, redisUrl, smoke });
      for (const row of outbox) step(`${row.name}: ${row.value.toFixed(0)} ${row.unit}`);
      if (!seededUrl) return;
      step('outbox scenarios on the seeded database');
      const seededRows = await outboxScenarios({ databaseUrl: seededUrl, redisUrl, smoke });
      for (const row of seededRows)
        step(`seeded, ${row.name}: ${row.value.toFixed(0)} ${row.unit}`);
      seededOutbox = seededRows;
    },
    'outbox',
  );
} finally {
  if (!interrupted) await cleanUp();
}

function row(
  name: string,
  key: string,
  unit: string,
  against?: BenchRow,
  minimum?: number,
): BenchRow | undefined {
  const figure = measured[key];
  if (!figure) return undefined;
  const compared = ratio(figure.value, against);
  return {
    name,
    value: figure.value,
    unit,
    p99Ms: figure.p99Ms,
    cpuUs: figure.cpuUs,
    ...(compared && { ratio: compared }),
    // A partial run may lack the row compared with: then the target is not judged at all.
    ...(minimum !== undefined && compared && { target: atLeast(compared.value, minimum) }),
  };
}

const hello = row('baseline: Hono hello', 'hello', 'req/s');
const limit = row('limit: Hono + SET EX', 'limit', 'req/s', hello);
const select = row('reference: Hono + one Postgres SELECT', 'select', 'req/s', limit);
const expressPeer = row('peer: Express + passport', 'peer', 'req/s', limit);
const authorizeRow = row('authorize, limits off', 'authorize', 'req/s', limit, 0.7);
const tokenAlone = row('Weibo token endpoint alone', 'token', 'req/s');
const argon2 = row('argon2id alone', 'argon2', 'hashes/s');
const loginRow = row('bound-user login', 'login', 'logins/s', tokenAlone, 0.15);
/**
 * Tracing off must cost nothing against no preload at all; tracing on is reported as it is. The
 * ratios are the medians of each round's (bench/tracing-pass.ts), not of the medians shown.
 */
function tracingRows(): Array<BenchRow | undefined> {
  const scenarios: Array<[string, string, string]> = [
    ['authorize', 'authorize', 'req/s'],
    ['bound-user login', 'login', 'logins/s'],
  ];
  return scenarios.flatMap(([name, key, unit]) => {
    const untraced = row(`${name}, without the tracing preload`, `untraced:${key}`, unit);
    const paired = (variant: string, label: string, against?: BenchRow, minimum?: number) => {
      const base = row(`${name}, ${label}`, `${variant}:${key}`, unit);
      const value = tracingRatios[`${variant}:${key}`];
      if (!base || !against || value === undefined) return base;
      const target = minimum === undefined ? {} : { target: atLeast(value, minimum) };
      return { ...base, ratio: { against: `${against.name}, paired`, value }, ...target };
    };
    const off = paired('tracingOff', 'tracing off', untraced, 0.95);
    return [untraced, off, paired('tracingOn', 'tracing on', off)];
  });
}

const rows: BenchRow[] = [
  hello,
  limit,
  select,
  expressPeer,
  authorizeRow,
  row('authorize, limits off, vs peer', 'authorize', 'req/s', expressPeer, 2),
  measured.authorize && {
    name: 'authorize, limits off, p99',
    value: measured.authorize.p99Ms ?? Number.NaN,
    unit: 'ms',
    target: { text: '<= 10 ms', met: (measured.authorize.p99Ms ?? Number.POSITIVE_INFINITY) <= 10 },
  },
  row('authorize, limits on', 'authorizeLimited', 'req/s', limit, 0.5),
  tokenAlone,
  loginRow,
  measured.login?.cpuUs !== undefined && {
    name: 'bound-user login, server CPU per login',
    value: measured.login.cpuUs,
    unit: 'µs',
    target: { text: '<= 450 µs', met: measured.login.cpuUs <= 450 },
  },
  row('app login (endpoint 12)', 'applogin', 'logins/s', loginRow, 0.9),
  argon2,
  row('bind', 'bind', 'binds/s', argon2, 0.7),
  row('signed-in read (users/me)', 'read', 'req/s', limit, 0.5),
  row('signed-in read, vs one SELECT', 'read', 'req/s', select, 0.8),
  ...tracingRows(),
  ...outbox,
  rss.idle !== undefined && {
    name: 'memory: RSS at idle',
    value: rss.idle,
    unit: 'MB',
    target: { text: '<= 200 MB', met: rss.idle <= 200 },
  },
  rss.after !== undefined && {
    name: 'memory: RSS after the run',
    value: rss.after,
    unit: 'MB',
    target: { text: '<= 200 MB', met: rss.after <= 200 },
  },
  ...(seed
    ? seededRows(seedLabel(seed.users), measured, SEEDED, { fresh: outbox, seeded: seededOutbox })
    : []),
].filter((entry): entry is BenchRow => Boolean(entry));

const info = machine();
const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
console.log(
  `\n${info.cpus} CPUs (${info.model}), Node ${info.node}, ${info.os}; ` +
    `${seconds} s per scenario, ${CONNECTIONS} connections${smoke ? ', smoke run' : ''}\n`,
);
console.log(formatTable(rows));
const withTargets = rows.filter((entry) => entry.target);
const missed = withTargets.filter((entry) => !entry.target?.met);
console.log(
  `\n${withTargets.length - missed.length} of ${withTargets.length} targets met` +
    (missed.length > 0 ? `; not met: ${missed.map((entry) => entry.name).join('; ')}` : ''),
);
if (args.markdown) console.log(`\n${formatMarkdown(rows)}`);
const files = await writeResults({
  startedAt: startedAt.toISOString(),
  wallSeconds,
  options: {
    seconds,
    smoke,
    profile: profileDir !== undefined,
    connections: CONNECTIONS,
    ...(only && { only }),
    ...(seed && { seed }),
  },
  machine: info,
  rows,
});
if (plans.length > 0) {
  const scans = plans.filter((plan) => plan.seqScans.length > 0);
  const file = path.join(RESULTS_DIR, `plans-${startedAt.toISOString().replaceAll(':', '-')}.md`);
  await writeFile(file, `${formatPlans(plans)}\n`);
  files.push(file);
  console.log(
    `\n${plans.length} statements' plans on the seeded database; ` +
      (scans.length === 0
        ? 'none reads a seeded table from end to end'
        : `${scans.length} read a seeded table from end to end:\n${scans.map((plan) => `- ${plan.seqScans.join(', ')}: ${plan.query}`).join('\n')}`),
  );
  if (scans.length > 0) problems.push(`${scans.length} statement(s) scan a seeded table`);
}
console.log(`\nwritten: ${files.map((file) => path.relative(process.cwd(), file)).join(', ')}`);
console.log(`wall time: ${wallSeconds.toFixed(0)} s`);
if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exitCode = 1;
}
