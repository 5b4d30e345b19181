import { setTimeout as sleep } from 'node:timers/promises';
import { spawnService } from './processes.ts';
import { appLogin, bind, boundLogin, PASSWORD, type Sizes, signedInRead } from './scenarios.ts';
import { seededUid } from './seed.ts';
import type { PassContext } from './service-pass.ts';

/** The tables `--seed` fills: a sequential scan of one of them is a finding. */
const SEEDED_TABLES = new Set([
  'users',
  'weibo_accounts',
  'sessions',
  'session_used_refresh_hashes',
  'audit_log',
  'outbox',
]);

/** Every plan of the session, as auto_explain sends it (ANALYZE, BUFFERS, JSON) at NOTICE. */
const AUTO_EXPLAIN = [
  'session_preload_libraries=auto_explain',
  'auto_explain.log_min_duration=0',
  'auto_explain.log_analyze=on',
  'auto_explain.log_buffers=on',
  'auto_explain.log_timing=on',
  'auto_explain.log_format=json',
  'auto_explain.log_level=notice',
  'client_min_messages=notice',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef0123456789';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

/** What the plans of one statement showed, over every time it ran. */
export interface QueryPlans {
  query: string;
  calls: number;
  meanMs: number;
  maxMs: number;
  /** Shared buffers per call, hit and read (not in Postgres' cache). */
  hitBlocks: number;
  readBlocks: number;
  /** `Index Scan using sessions_pkey on sessions`, … */
  access: string[];
  /** Seeded tables read from end to end. */
  seqScans: string[];
}

function walk(node: PlanNode, visit: (node: PlanNode) => void) {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** How a node reads: `Index Scan using sessions_pkey on sessions`, `Bitmap Index Scan using …`. */
function accessOf(node: PlanNode): string | undefined {
  const relation = node['Relation Name'];
  const index = node['Index Name'];
  if (!relation && !index) return undefined;
  return [node['Node Type'], index && `using ${index}`, relation && `on ${relation}`]
    .filter(Boolean)
    .join(' ');
}

/** Groups auto_explain's JSON plans by statement text. */
export function summarisePlans(messages: string[]): QueryPlans[] {
  const byQuery = new Map<string, QueryPlans & { totalMs: number }>();
  for (const message of messages) {
    const match = /^duration: ([\d.]+) ms\s+plan:\s*([\s\S]*)$/.exec(message);
    if (!match) continue;
    const { 'Query Text': text, Plan: plan } = JSON.parse(match[2] ?? '') as {
      'Query Text': string;
      Plan: PlanNode;
    };
    const query = text.replace(/\s+/g, ' ').trim();
    if (/kysely_migration|pg_catalog|current_schema\(\)/.test(query)) continue;
    const entry = byQuery.get(query) ?? {
      query,
      calls: 0,
      meanMs: 0,
      maxMs: 0,
      totalMs: 0,
      hitBlocks: 0,
      readBlocks: 0,
      access: [],
      seqScans: [],
    };
    const ms = Number(match[1]);
    entry.calls += 1;
    entry.totalMs += ms;
    entry.maxMs = Math.max(entry.maxMs, ms);
    entry.hitBlocks += plan['Shared Hit Blocks'] ?? 0;
    entry.readBlocks += plan['Shared Read Blocks'] ?? 0;
    walk(plan, (node) => {
      const access = accessOf(node);
      if (access && !entry.access.includes(access)) entry.access.push(access);
      const relation = node['Relation Name'] ?? '';
      if (node['Node Type'] === 'Seq Scan' && SEEDED_TABLES.has(relation)) {
        if (!entry.seqScans.includes(relation)) entry.seqScans.push(relation);
      }
    });
    byQuery.set(query, entry);
  }
  return [...byQuery.values()].map(({ totalMs, ...entry }) => ({
    ...entry,
    meanMs: totalMs / entry.calls,
    hitBlocks: entry.hitBlocks / entry.calls,
    readBlocks: entry.readBlocks / entry.calls,
  }));
}

async function call(url: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A signed-in user's and a support desk's requests beyond the measured scenarios. */
async function tour(url: string, username: string) {
  const json = { 'content-type': 'application/json' };
  const signIn = await call(url, '/v1/tokens', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const bearer = { authorization: `Bearer ${signIn.token}` };
  await call(url, '/v1/users/me/sessions', { headers: bearer });
  await call(url, '/v1/users/me/activity', { headers: bearer });
  const refreshed = await call(url, '/v1/tokens/refresh', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ refresh_token: signIn.refresh_token }),
  });
  await call(url, '/v1/tokens/revoke', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ refresh_token: refreshed.refresh_token }),
  });
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  // A seeded user: ten sessions, eleven audit entries among eleven million.
  const found = await call(url, '/admin/v1/users?email=seed4242@example.com', { headers: admin });
  const [seeded] = found.users as Array<{ id: string }>;
  if (!seeded) throw new Error('the seeded user seed4242 was not found');
  await call(url, `/admin/v1/users/${seeded.id}`, { headers: admin });
  await call(url, `/admin/v1/users/${seeded.id}/audit`, { headers: admin });
  await call(url, `/admin/v1/users?weibo_uid=${seededUid(4242)}`, { headers: admin });
}

/**
 * Every statement the service runs in a short pass of each scenario, a signed-in user's and a
 * support desk's requests, and the periodic jobs, on the seeded database: its plans as
 * Postgres ran it (auto_explain with ANALYZE and BUFFERS, which slows each query: nothing
 * here is timed for the table).
 */
export async function capturePlans(ctx: PassContext, databaseUrl: string): Promise<QueryPlans[]> {
  const service = await spawnService({
    ...ctx.baseEnv,
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'debug',
    ADMIN_API_KEYS: ADMIN_KEY,
    PGOPTIONS: AUTO_EXPLAIN,
  });
  // 'exit' may come before the last lines are read; 'close' comes after.
  const closed = new Promise((resolve) => service.process.once('close', resolve));
  const messages: string[] = [];
  let lastRequestAt = Date.now();
  service.lines.on('line', (line: string) => {
    if (line.includes('"msg":"request"')) lastRequestAt = Date.now();
    if (!line.includes('"Postgres notice"')) return;
    const message = (JSON.parse(line) as { postgres?: { message?: string } }).postgres?.message;
    if (message?.startsWith('duration:')) messages.push(message);
  });
  try {
    // Long enough for binds (argon2id, under a second each) to come back before the load stops.
    const small: Sizes = { seconds: 4, warmSeconds: 0, logins: 300, tokenCodes: 0, binds: 60 };
    // The expiry sweep and housekeeping run a second after start-up.
    await sleep(2_000);
    // Weibo uids neither the seed (7,000,000,001 on) nor the bind scenario (6,000,000,000 on) took.
    const { bound } = await bind(service.url, ctx.weiboUrl, small, 6_500_000_000);
    await boundLogin(service.url, ctx.weiboUrl, bound, small);
    await appLogin(service.url, ctx.weiboUrl, bound, small);
    const [first, second] = bound;
    if (!first || !second) throw new Error('the plans pass bound fewer than two users');
    await signedInRead(service.url, first, small);
    await tour(service.url, second.username);
    // The plans come as debug lines, megabytes of them while the load kept this process busy:
    // read them all before stopping, or a full pipe at exit loses the last. A request's log
    // line follows its statements' plans; the periodic jobs' plans keep coming, so the wait is
    // for the request lines to stop (at most 30 s).
    const deadline = Date.now() + 30_000;
    while (Date.now() - lastRequestAt < 1_000 && Date.now() < deadline) await sleep(250);
  } finally {
    await service.stop();
    await closed;
  }
  return summarisePlans(messages);
}

/** The plans as a Markdown table, slowest first. */
export function formatPlans(plans: QueryPlans[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = [
    '| statement | calls | mean ms | max ms | buffers hit / read per call | access | seq scans of seeded tables |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const plan of [...plans].sort((a, b) => b.meanMs - a.meanMs)) {
    const query = plan.query.length > 120 ? `${plan.query.slice(0, 117)}…` : plan.query;
    lines.push(
      `| \`${cell(query)}\` | ${plan.calls} | ${plan.meanMs.toFixed(3)} | ${plan.maxMs.toFixed(3)} | ` +
        `${plan.hitBlocks.toFixed(1)} / ${plan.readBlocks.toFixed(1)} | ${cell(plan.access.join('; ') || '-')} | ` +
        `${plan.seqScans.join(', ') || 'none'} |`,
    );
  }
  return lines.join('\n');
}
