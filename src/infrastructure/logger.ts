import { type Logger, pino } from 'pino';

/** JSON logs; secrets are censored even if a careless call passes them in. */
export function createLogger(level: string): Logger {
  return pino({
    level,
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
        'code',
        '*.code',
        'state',
        '*.state',
        'headers.cookie',
        '*.headers.cookie',
        'headers.authorization',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}
