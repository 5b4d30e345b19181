import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';
import { traceLogFields } from '../adapters/tracing/trace-context.ts';

const PRETTY = {
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname,service',
  singleLine: true,
  // Synchronous, so the last lines before an exit are not lost.
  sync: true,
};

/**
 * JSON logs; secrets are censored by name even if a careless call passes them in. Not `code`:
 * it names Postgres, Node and contract error codes, which a reader needs (OAuth codes are
 * never logged, which the log-secrets test holds).
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  { tracing = false }: { tracing?: boolean } = {},
): Logger {
  const options: LoggerOptions = {
    level,
    // With tracing on, a line written inside a span says which (SPEC "Traces").
    ...(tracing ? { mixin: traceLogFields } : {}),
    base: { service: 'weibo-auth' },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'bind_token',
        '*.bind_token',
        'access_token',
        '*.access_token',
        'refresh_token',
        '*.refresh_token',
        'client_secret',
        '*.client_secret',
        'state',
        '*.state',
        'headers.cookie',
        '*.headers.cookie',
        'headers.authorization',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  // A person at a terminal reads lines; anything else (a container, a pipe) gets JSON.
  return process.stdout.isTTY ? pino(options, pretty(PRETTY)) : pino(options);
}
