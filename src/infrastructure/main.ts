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
const running = await (command === 'relay' ? startRelayProcess : startService)(
  config,
  logger,
).catch((error: unknown) => {
  if (error instanceof ConfigError) refuseToStart(error);
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await running.stop();
    logger.info('stopped');
    process.exit(0);
  });
}
