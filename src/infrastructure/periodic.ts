import type { Logger } from 'pino';

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
