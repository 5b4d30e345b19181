import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { migrateOnly, startRelayProcess, startService } from './service.ts';

const HELP = `Usage: node dist/src/infrastructure/main.js [command]   (npm start, npm run relay, npm run migrate)

Commands:
  serve     apply pending migrations, serve HTTP and relay outbox events (the default)
  relay     apply pending migrations and relay outbox events only
  migrate   apply pending migrations and exit
  help      show this text (also --help, -h)

Configuration is read from environment variables: see README.md, "Configuration".`;

const command = process.argv[2] ?? 'serve';
if (['help', '--help', '-h'].includes(command)) {
  console.log(HELP);
  process.exit(0);
}
if (!['serve', 'relay', 'migrate'].includes(command)) {
  console.error(`weibo-auth: unknown command "${command}"\n\n${HELP}`);
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

const logger = createLogger(config.logLevel, undefined, { tracing: config.tracing });
if (command === 'migrate') {
  await migrateOnly(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'migration failed');
    process.exit(1);
  });
  process.exit(0);
}

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
