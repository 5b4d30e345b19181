import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Measured } from './load.ts';
import { type Served, spawnService } from './processes.ts';
import { authorize, bind, boundLogin } from './scenarios.ts';
import type { PassContext } from './service-pass.ts';

/** Where the traced service exports: an OTLP/HTTP endpoint that takes everything and counts it. */
async function startSink() {
  const received = { exports: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      received.bytes += chunk.length;
    });
    request.on('end', () => {
      received.exports += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The run of the median rate among `runs`. */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor(sorted.length / 2)] as Measured;
}

/** The median of `runs[i] / against[i]`: runs of one round are seconds apart, so drift cancels. */
function pairedRatio(runs: Measured[], against: Measured[]): number {
  const ratios = runs.map(
    (run, index) => run.perSecond / (against[index]?.perSecond ?? Number.NaN),
  );
  return ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? Number.NaN;
}

/**
 * What tracing costs (SPEC "Traces"): authorize and the bound-user login on three services of
 * one database, all running at once: without the tracing preload at all (as before tracing
 * existed), as shipped with no OTLP endpoint (tracing off), and exporting every span of every
 * request to an OTLP sink (tracing on, sampling everything). On this machine two runs of one
 * service differ by up to 15 % from one moment to the next, so the services take turns, short
 * runs in a rotating order for `rounds` rounds, and each keeps its median. Recorded as
 * `untraced:…`, `tracingOff:…` and `tracingOn:…`; resolves the median of each round's ratio,
 * off against no preload and on against off (`tracingOff:authorize`, `tracingOn:login`, …).
 */
export async function tracingPass(
  ctx: PassContext,
  databaseUrl: string,
  rounds: number,
): Promise<Record<string, number>> {
  const sink = await startSink();
  const variants: Array<[string, NodeJS.ProcessEnv, { preload: boolean }]> = [
    ['untraced', {}, { preload: false }],
    ['tracingOff', {}, { preload: true }],
    ['tracingOn', { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }, { preload: true }],
  ];
  const runs = new Map<string, Measured[]>();
  const keep = (key: string, measured: Measured) =>
    runs.set(key, [...(runs.get(key) ?? []), measured]);
  const seconds = Math.max(2, ctx.sizes.seconds / 2);
  const sizes = {
    ...ctx.sizes,
    seconds,
    warmSeconds: 0.5,
    logins: Math.ceil((ctx.sizes.logins * seconds) / ctx.sizes.seconds),
  };
  const services: Array<{ key: string; service: Served }> = [];
  try {
    for (const [key, env, options] of variants) {
      const service = await spawnService(
        { ...ctx.baseEnv, DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: '0', ...env },
        [],
        options,
      );
      services.push({ key, service });
    }
    const [first] = services;
    if (!first) throw new Error('no service to bind users through');
    // Users to log in with, bound once.
    const { bound } = await bind(first.service.url, ctx.weiboUrl, ctx.sizes, 7_000_000_000);
    for (let round = 0; round < rounds; round++) {
      const order = [...services.slice(round % 3), ...services.slice(0, round % 3)];
      for (const { key, service } of order) {
        keep(`${key}:authorize`, await authorize(`${key} authorize`, service.url, sizes));
      }
      for (const { key, service } of order) {
        keep(`${key}:login`, await boundLogin(service.url, ctx.weiboUrl, bound, sizes));
      }
    }
    for (const [key, measured] of runs) {
      const rates = measured.map((run) => run.perSecond.toFixed(0)).join(', ');
      ctx.step(`  ${key} runs: ${rates}/s; the median kept`);
      ctx.record(key, median(measured));
    }
    const megabytes = (sink.received.bytes / 1024 / 1024).toFixed(1);
    ctx.step(`  tracing on: ${sink.received.exports} OTLP exports, ${megabytes} MB received`);
    if (sink.received.exports === 0) throw new Error('tracing on exported nothing to the sink');
    const of = (key: string) => runs.get(key) ?? [];
    const ratios: Record<string, number> = {};
    for (const scenario of ['authorize', 'login']) {
      ratios[`tracingOff:${scenario}`] = pairedRatio(
        of(`tracingOff:${scenario}`),
        of(`untraced:${scenario}`),
      );
      ratios[`tracingOn:${scenario}`] = pairedRatio(
        of(`tracingOn:${scenario}`),
        of(`tracingOff:${scenario}`),
      );
    }
    return ratios;
  } finally {
    for (const { service } of services) await service.stop();
    await sink.stop();
  }
}
