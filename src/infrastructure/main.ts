import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startRelayProcess, startService } from './service.ts';

/** `node main.js` serves HTTP (and relays events); `node main.js relay` only relays events. */
const command = process.argv[2] ?? 'serve';
if (command !== 'serve' && command !== 'relay') {
  console.error(`weibo-auth: unknown command "${command}" (expected serve or relay)`);
  process.exit(2);
}

function refuseToStart(error: ConfigError): never {
  for (const problem of error.problems) console.error(`weibo-auth: config: ${problem}`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) refuseToStart(error);
  throw error;
}

const logger = createLogger(config.logLevel);

// npm forwards the signal it gets to its child, so a SIGTERM to `npm start`'s process group
// reaches node twice; an orchestrator may repeat it too. The first one starts the shutdown
// (once start-up is done, if it comes earlier); the repeats are ignored (and said so once),
// never left to the default action, which would cut every request still in flight.
let running: { stop(): Promise<void> } | undefined;
let stopping = false;
let repeatLogged = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    if (!repeatLogged) logger.info({ signal }, 'already shutting down; signal ignored');
    repeatLogged = true;
    return;
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  if (running) void stopAndExit(running);
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, onSignal);

async function stopAndExit(service: { stop(): Promise<void> }): Promise<never> {
  try {
    await service.stop();
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
  logger.info('stopped');
  process.exit(0);
}

running = await (command === 'relay' ? startRelayProcess : startService)(config, logger).catch(
  (error: unknown) => {
    if (error instanceof ConfigError) refuseToStart(error);
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  },
);
if (stopping) await stopAndExit(running);
