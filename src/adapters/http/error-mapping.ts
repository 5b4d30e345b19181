import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  InfrastructureError,
  type InfrastructureErrorCode,
  RateLimited,
  WeiboRateLimited,
} from '../../application/errors.ts';
import { DomainError, type DomainErrorCode } from '../../domain/errors.ts';
import { HttpError, type HttpErrorCode } from './http-errors.ts';

/** Every answer the service gives for a failure: an error class's code, or a case of the edge. */
export type ErrorCode =
  | DomainErrorCode
  | InfrastructureErrorCode
  | HttpErrorCode
  | 'LOGIN_PAGE_UNAVAILABLE'
  | 'CREATE_USER_FAILED'
  | 'NOT_FOUND'
  | 'UNEXPECTED';

interface ErrorEntry {
  status: ContentfulStatusCode;
  code: number;
  error: string;
  /** Send `Retry-After` with the seconds the error carries. */
  retryAfter?: true;
  /** Headers sent with every such answer. */
  headers?: Record<string, string>;
}

/** The contract's code and HTTP status of each failure: a code with no entry fails `tsc`. */
const ERRORS = {
  INVALID_QUERY: { status: 400, code: 10100, error: 'Invalid parameters' },
  INVALID_RETURN_TO: { status: 400, code: 10100, error: 'Invalid parameters' },
  INVALID_PASSWORD: { status: 400, code: 10108, error: 'Invalid password' },
  INVALID_PHONE: { status: 400, code: 10117, error: 'Invalid phone number' },
  LOGIN_PAGE_UNAVAILABLE: { status: 503, code: 10124, error: 'Cant get weibo login page' },
  INVALID_EMAIL: { status: 400, code: 10126, error: 'Invalid email' },
  CREATE_USER_FAILED: { status: 500, code: 10128, error: 'Create user failed' },
  BIND_TOKEN_INVALID: { status: 401, code: 10130, error: 'Invalid access token' },
  OAUTH_PROVIDER_UNAVAILABLE: { status: 502, code: 10142, error: 'Cant reach weibo server' },
  OAUTH_CODE_REJECTED: { status: 400, code: 12345, error: 'Unable get token' },
  INVALID_USERNAME: { status: 400, code: 10150, error: 'Invalid username' },
  STATE_INVALID: { status: 403, code: 10151, error: 'Invalid or expired state' },
  USERNAME_TAKEN: { status: 409, code: 10152, error: 'Username already exists' },
  WEIBO_ALREADY_BOUND: { status: 409, code: 10153, error: 'Weibo account already bound' },
  STORAGE_UNAVAILABLE: { status: 503, code: 10154, error: 'Service unavailable' },
  STATE_STORE_UNAVAILABLE: { status: 503, code: 10154, error: 'Service unavailable' },
  RATE_LIMITER_UNAVAILABLE: { status: 503, code: 10154, error: 'Service unavailable' },
  INVALID_BODY: { status: 400, code: 10155, error: 'Invalid request body' },
  RATE_LIMITED: { status: 429, code: 10156, error: 'Too many requests', retryAfter: true },
  NOT_SIGNED_IN: {
    status: 401,
    code: 10160,
    error: 'Not signed in',
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  WEIBO_AUTHORIZATION_EXPIRED: { status: 401, code: 10161, error: 'Weibo authorization expired' },
  WRONG_CREDENTIALS: { status: 401, code: 10162, error: 'Wrong username or password' },
  ACCOUNT_ALREADY_BOUND: { status: 409, code: 10163, error: 'Account already bound to Weibo' },
  NO_WEIBO_ACCOUNT: { status: 409, code: 10164, error: 'No Weibo account bound' },
  SESSION_EXPIRED: { status: 401, code: 10165, error: 'Session expired' },
  WEIBO_TOKEN_INVALID: { status: 401, code: 10166, error: 'Invalid Weibo token' },
  ACCOUNT_LOCKED: { status: 403, code: 10168, error: 'Account locked' },
  USER_NOT_FOUND: { status: 404, code: 404, error: 'Not found' },
  NOT_AN_ADMINISTRATOR: {
    status: 401,
    code: 10170,
    error: 'Not an administrator',
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  WEIBO_RATE_LIMITED: {
    status: 503,
    code: 10167,
    error: 'Weibo rate limit, retry later',
    retryAfter: true,
  },
  NOT_FOUND: { status: 404, code: 404, error: 'Not found' },
  UNEXPECTED: { status: 500, code: 10500, error: 'Internal error' },
} as const satisfies Record<ErrorCode, ErrorEntry>;

/** Where a route answers a failure with a code of its own, as the contract says. */
const ROUTE_OVERRIDES: Record<string, Partial<Record<ErrorCode, ErrorCode>>> = {
  'GET /v1/users/weibo/authorization': { STATE_STORE_UNAVAILABLE: 'LOGIN_PAGE_UNAVAILABLE' },
  'POST /v1/users/weibo/users': { UNEXPECTED: 'CREATE_USER_FAILED' },
};

interface ErrorResponse {
  status: ContentfulStatusCode;
  body: { code: number; error: string };
  headers: Record<string, string>;
  /** Not a failure the service foresaw: worth an error log with its cause. */
  unexpected: boolean;
}

/** The answer to `error` on the route `method path`. */
export function errorResponse(error: unknown, route = ''): ErrorResponse {
  const known =
    error instanceof DomainError ||
    error instanceof InfrastructureError ||
    error instanceof HttpError;
  const generic: ErrorCode = known ? error.code : 'UNEXPECTED';
  const entry: ErrorEntry = ERRORS[ROUTE_OVERRIDES[route]?.[generic] ?? generic];
  const { status, code, error: message } = entry;
  const headers: Record<string, string> = { ...entry.headers };
  if (entry.retryAfter && (error instanceof RateLimited || error instanceof WeiboRateLimited)) {
    headers['Retry-After'] = String(error.retryAfterSeconds);
  }
  return { status, body: { code, error: message }, headers, unexpected: !known };
}

/** The contract's body for a case of the edge, e.g. `errorBody('NOT_FOUND')`. */
export function errorBody(name: ErrorCode): { code: number; error: string } {
  return { code: ERRORS[name].code, error: ERRORS[name].error };
}

/** The headers sent with every such answer (e.g. `WWW-Authenticate`). */
export function errorHeaders(name: ErrorCode): Record<string, string> {
  const entry: ErrorEntry = ERRORS[name];
  return entry.headers ?? {};
}

export function errorStatus(name: ErrorCode): ContentfulStatusCode {
  return ERRORS[name].status;
}

/** Whether such an answer carries `Retry-After`. */
export function errorRetries(name: ErrorCode): boolean {
  const entry: ErrorEntry = ERRORS[name];
  return entry.retryAfter === true;
}
