/**
 * Makes docs/tracing/bind-trace.png, the README's picture of one bind's trace, from a real run:
 * the built service (its preload and npm start's flags) and the example consumer export OTLP to
 * a receiver of our own (test/support/otlp-receiver.ts) in place of a collector and Jaeger; a
 * Weibo sign-up runs against the fake Weibo; the bind's trace is drawn as a waterfall and
 * photographed with Chromium.
 *
 *   npm run build && npx tsx docs/tracing/render-trace.ts
 *
 * Needs Postgres and Redis (DATABASE_URL / REDIS_URL, else the local default ports) and
 * /usr/bin/chromium (or CHROMIUM_PATH).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';
import { spawnService, stopAll } from '../../bench/processes.ts';
import { createDatabase, dropDatabase } from '../../bench/setup.ts';
import { createFakeWeibo } from '../../test/support/fake-weibo.ts';
import { type ReceivedSpan, startOtlpReceiver } from '../../test/support/otlp-receiver.ts';
import { Browser, CLIENT } from '../../test/support/running-service.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUTPUT = path.join(import.meta.dirname, 'bind-trace.png');
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = Date.now().toString(36);
const databaseName = `weibo_auth_trace_${runId}`;
const queue = `trace-${runId}-events`;

const receiver = await startOtlpReceiver();
const weibo = createFakeWeibo(CLIENT);
const weiboUrl = await weibo.start();
const databaseUrl = await createDatabase(adminUrl, databaseName);
const tracing = {
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '100',
};
const consumer = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(ROOT, 'examples/user-bound-consumer.ts')],
  {
    cwd: ROOT,
    env: {
      ...process.env,
      ...tracing,
      REDIS_URL: redisUrl,
      QUEUE: queue,
      OTEL_SERVICE_NAME: 'billing',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const consumed = new Promise<void>((resolve) => {
  readline.createInterface({ input: consumer.stdout }).on('line', (line) => {
    console.log(`consumer: ${line}`);
    if (line.includes('bound Weibo')) resolve();
  });
});

try {
  const service = await spawnService({
    ...tracing,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    WEIBO_CLIENT_ID: CLIENT.clientId,
    WEIBO_CLIENT_SECRET: CLIENT.clientSecret,
    WEIBO_REDIRECT_URI: CLIENT.redirectUri,
    WEIBO_API_BASE_URL: weiboUrl,
    OUTBOX_QUEUES: queue,
    LOG_LEVEL: 'warn',
  });
  const browser = new Browser(service.url);
  const uid = '1404376560';
  const callback = await browser.callback(weibo.issueCode({ uid }), await browser.startLogin());
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: callback.body.bind_token,
    username: 'alice',
    password: 'correct horse battery',
    phone: '13800138000',
    email: 'alice@example.com',
  });
  if (bound.body.code !== 200) throw new Error(`bind answered ${JSON.stringify(bound.body)}`);
  await consumed;
  const isBind = (span: ReceivedSpan) => span.name === 'POST /v1/users/weibo/users';
  const spans = await receiver.waitFor((all) => {
    const bind = all.find(isBind);
    return all.some((span) => span.traceId === bind?.traceId && span.kind === 5);
  });
  const bind = spans.find(isBind) as ReceivedSpan;
  const trace = spans.filter((span) => span.traceId === bind.traceId);
  console.log(`trace ${bind.traceId}: ${trace.length} spans`);
  await screenshot(trace);
  console.log(`wrote ${path.relative(ROOT, OUTPUT)}`);
} finally {
  consumer.kill('SIGTERM');
  await stopAll();
  await weibo.stop();
  await receiver.stop();
  await dropDatabase(adminUrl, databaseName);
}

/** The spans depth first, each under its parent, siblings by start. */
function ordered(spans: ReceivedSpan[]): Array<{ span: ReceivedSpan; depth: number }> {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = (parent: string) =>
    spans
      .filter((span) => (ids.has(span.parentSpanId) ? span.parentSpanId : '') === parent)
      .sort((a, b) => a.startMs - b.startMs);
  const walk = (parent: string, depth: number): Array<{ span: ReceivedSpan; depth: number }> =>
    children(parent).flatMap((span) => [{ span, depth }, ...walk(span.spanId, depth + 1)]);
  return walk('', 0);
}

function detail(span: ReceivedSpan): string {
  const a = span.attributes;
  const text =
    a['url.full'] ??
    a['db.query.text'] ??
    (a['messaging.message.id'] && `event ${a['messaging.message.id']}`) ??
    (a['messaging.batch.message_count'] && `batch of ${a['messaging.batch.message_count']}`) ??
    '';
  return String(text).replace(/\s+/g, ' ').slice(0, 90);
}

function escapeHtml(text: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
  };
  return text.replace(/[&<>"]/g, (c) => entities[c] ?? c);
}

async function screenshot(trace: ReceivedSpan[]) {
  const rows = ordered(trace);
  const start = Math.min(...trace.map((span) => span.startMs));
  const end = Math.max(...trace.map((span) => span.endMs));
  const total = Math.max(end - start, 1);
  const colours: Record<string, string> = { 'weibo-auth': '#3b82f6', billing: '#16a34a' };
  const html = rows
    .map(({ span, depth }) => {
      const service = String(span.resource['service.name'] ?? '');
      const left = ((span.startMs - start) / total) * 100;
      const width = Math.max(((span.endMs - span.startMs) / total) * 100, 0.3);
      const ms = (span.endMs - span.startMs).toFixed(span.endMs - span.startMs < 10 ? 2 : 1);
      return `<tr><td class="name" style="padding-left:${8 + depth * 16}px">
        <span class="svc" style="background:${colours[service] ?? '#a855f7'}">${escapeHtml(service)}</span>
        ${escapeHtml(span.name)}<div class="detail">${escapeHtml(detail(span))}</div></td>
        <td class="lane"><div class="bar" style="left:${left}%;width:${width}%;background:${colours[service] ?? '#a855f7'}"></div>
        <span class="ms" style="${left + width > 80 ? `right:calc(${100 - left}% + 4px)` : `left:calc(${left + width}% + 4px)`}">${ms} ms</span></td></tr>`;
    })
    .join('');
  const page = `<!doctype html><html><head><style>
    body{font:13px system-ui,sans-serif;margin:16px;color:#111}
    h1{font-size:16px;margin:0 0 4px} p{margin:0 0 12px;color:#555}
    table{border-collapse:collapse;width:100%} tr{border-bottom:1px solid #eee}
    td{vertical-align:top;padding:4px 0} .name{width:44%;white-space:nowrap}
    .svc{color:#fff;border-radius:3px;padding:0 4px;margin-right:6px;font-size:11px}
    .detail{color:#777;font:11px ui-monospace,monospace;margin-top:2px}
    .lane{position:relative} .bar{position:absolute;top:7px;height:12px;border-radius:2px}
    .ms{position:absolute;top:5px;font-size:11px;color:#444;white-space:nowrap}
  </style></head><body>
  <h1>POST /v1/users/weibo/users: one bind, from the request through the outbox to the consumer</h1>
  <p>trace ${trace[0]?.traceId} · ${trace.length} spans · ${total.toFixed(1)} ms · exported over OTLP by weibo-auth and the example consumer</p>
  <table>${html}</table></body></html>`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 400 } });
    await tab.setContent(page);
    await tab.screenshot({ path: OUTPUT, fullPage: true });
  } finally {
    await browser.close();
  }
}
