import { setTimeout as sleep } from 'node:timers/promises';
import type { Measured } from './load.ts';
import { heapMb, residentMb, type Served, spawnService } from './processes.ts';
import {
  appLogin,
  authorize,
  type BoundUser,
  bind,
  boundLogin,
  type Sizes,
  signedInRead,
} from './scenarios.ts';

export interface PassContext {
  sizes: Sizes;
  weiboUrl: string;
  /** The service's environment, but for DATABASE_URL and RATE_LIMIT_PER_MINUTE. */
  baseEnv: NodeJS.ProcessEnv;
  /** With --profile: a service of its own per scenario, each writing its CPU profile here. */
  profileDir?: string;
  /** Runs one part; a failure is reported and the rest goes on. `key` is its --only name. */
  part(name: string, body: () => Promise<void>, key?: string): Promise<void>;
  record(key: string, result: Measured): void;
  step(text: string): void;
}

export interface PassMemory {
  idle?: number;
  after?: number;
}

/**
 * The scenarios that run through the service, on the database at `databaseUrl`: authorize,
 * bind, the two logins and the read on one service with limits off (whose RSS is reported),
 * then authorize on another with limits on. Each figure is recorded as `<prefix><scenario>`.
 */
export async function servicePass(
  ctx: PassContext,
  databaseUrl: string,
  prefix = '',
): Promise<PassMemory> {
  const { sizes, weiboUrl, step } = ctx;
  const memory: PassMemory = {};
  const label = (name: string) => `${prefix.replace(/\W+/g, '-')}${name}`;
  const record = (name: string, result: Measured) => ctx.record(`${prefix}${name}`, result);
  const startService = (name: string, rateLimitPerMinute: string) =>
    spawnService(
      { ...ctx.baseEnv, DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: rateLimitPerMinute },
      ctx.profileDir
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${ctx.profileDir}`,
            `--cpu-prof-name=${label(name)}.cpuprofile`,
          ]
        : [],
    );
  let shared: Served | undefined;
  const withService = async (name: string, body: (service: Served) => Promise<void>) => {
    if (!ctx.profileDir) {
      shared ??= await startService('service', '0');
      await body(shared);
      const metrics = `${shared.url}/metrics`;
      const after = await residentMb(shared.process.pid ?? 0, metrics);
      step(`  service RSS now ${after?.toFixed(0)} MB (${await heapMb(metrics)} MB)`);
      return;
    }
    const service = await startService(name, '0');
    try {
      await body(service);
    } finally {
      await service.stop();
    }
  };

  await ctx.part(`${prefix}service, rate limits off`, async () => {
    try {
      await withService('idle', async (service) => {
        await sleep(1000);
        memory.idle = await residentMb(service.process.pid ?? 0, `${service.url}/metrics`);
      });
      let bound: BoundUser[] = [];
      await ctx.part(
        `${prefix}authorize, limits off`,
        () =>
          withService('authorize', async (service) => {
            record('authorize', await authorize('authorize, limits off', service.url, sizes));
          }),
        'authorize',
      );
      await ctx.part(
        `${prefix}bind`,
        () =>
          withService('bind', async (service) => {
            const binds = await bind(service.url, weiboUrl, sizes);
            bound = binds.bound;
            record('bind', binds.measured);
          }),
        'bind',
      );
      await ctx.part(
        `${prefix}bound-user login`,
        () =>
          withService('login', async (service) => {
            record('login', await boundLogin(service.url, weiboUrl, bound, sizes));
          }),
        'login',
      );
      await ctx.part(
        `${prefix}app login`,
        () =>
          withService('applogin', async (service) => {
            record('applogin', await appLogin(service.url, weiboUrl, bound, sizes));
          }),
        'applogin',
      );
      await ctx.part(
        `${prefix}signed-in read`,
        () =>
          withService('read', async (service) => {
            const user = bound[0];
            if (!user) throw new Error('no bound user to sign in with');
            record('read', await signedInRead(service.url, user, sizes));
          }),
        'read',
      );
      if (shared) memory.after = await residentMb(shared.process.pid ?? 0, `${shared.url}/metrics`);
    } finally {
      await shared?.stop();
    }
  });

  await ctx.part(
    `${prefix}service, rate limits on`,
    async () => {
      // Counts every request in Redis, with a limit too high to trip (the most config allows).
      const service = await startService('authorize-limits-on', '1000000');
      try {
        record('authorizeLimited', await authorize('authorize, limits on', service.url, sizes));
      } finally {
        await service.stop();
      }
    },
    'limited',
  );
  return memory;
}
