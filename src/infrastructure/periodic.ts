import type { Container } from 'inversify';
import type { Logger } from 'pino';
import { Housekeeping } from '../application/housekeeping.ts';
import { WeiboAuthorizationHealth } from '../application/weibo-authorization-health.ts';
import type { Config } from './config.ts';
import { resolve } from './typed-token.ts';

/** How often ended sessions and old audit entries are purged. */
const HOUSEKEEPING_SECONDS = 3600;

export interface PeriodicJob {
  /** Stops the schedule and waits for a run in flight. */
  stop(): Promise<void>;
}

/**
 * Runs `job` every `everySeconds`, the first time soon after start-up, never two runs at once.
 * A failed run is logged and the next one comes as usual. Which instance does the work is the
 * job's own affair (a Postgres advisory lock), so every instance may schedule it.
 */
export function runPeriodically(
  name: string,
  everySeconds: number,
  job: () => Promise<unknown>,
  logger: Logger,
): PeriodicJob {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= job()
      .then(
        (result) => logger.debug({ job: name, result }, `${name} ran`),
        (error: unknown) => logger.error({ err: error, job: name }, `${name} failed`),
      )
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(run, 1_000);
  const timer = setInterval(run, everySeconds * 1000);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}

/** The service's periodic work: the Weibo expiry sweep and housekeeping; stopped together. */
export function schedulePeriodicJobs(container: Container, config: Config, logger: Logger) {
  const health = resolve(container, WeiboAuthorizationHealth);
  const housekeeping = resolve(container, Housekeeping);
  const jobs = [
    runPeriodically(
      'Weibo expiry sweep',
      config.weiboExpirySweepSeconds,
      async () => {
        const expired = await health.sweepExpired();
        if (expired > 0) logger.info({ expired }, 'Weibo tokens past their expiry marked expired');
      },
      logger,
    ),
    runPeriodically(
      'housekeeping',
      HOUSEKEEPING_SECONDS,
      async () => {
        const purged = await housekeeping.run();
        if (purged.sessions + purged.audit > 0) logger.info(purged, 'housekeeping purged rows');
      },
      logger,
    ),
  ];
  return {
    async stop() {
      await Promise.all(jobs.map((job) => job.stop()));
    },
  };
}
