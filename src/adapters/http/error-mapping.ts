import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InfrastructureError } from '../../application/errors.ts';
import { DomainError } from '../../domain/errors.ts';
import { HttpError } from './http-errors.ts';

export interface ErrorResponse {
  status: ContentfulStatusCode;
  body: { code: number; error: string };
}

const RESPONSES: Record<string, [ContentfulStatusCode, number, string]> = {
  INVALID_QUERY: [400, 10100, 'Invalid parameters'],
  INVALID_RETURN_TO: [400, 10100, 'Invalid parameters'],
  INVALID_PASSWORD: [400, 10108, 'Invalid password'],
  INVALID_PHONE: [400, 10117, 'Invalid phone number'],
  LOGIN_PAGE_UNAVAILABLE: [503, 10124, 'Cant get weibo login page'],
  INVALID_EMAIL: [400, 10126, 'Invalid email'],
  CREATE_USER_FAILED: [500, 10128, 'Create user failed'],
  BIND_TOKEN_INVALID: [401, 10130, 'Invalid access token'],
  OAUTH_PROVIDER_UNAVAILABLE: [502, 10142, 'Cant reach weibo server'],
  OAUTH_CODE_REJECTED: [400, 12345, 'Unable get token'],
  INVALID_USERNAME: [400, 10150, 'Invalid username'],
  STATE_INVALID: [403, 10151, 'Invalid or expired state'],
  USERNAME_TAKEN: [409, 10152, 'Username already exists'],
  WEIBO_ALREADY_BOUND: [409, 10153, 'Weibo account already bound'],
  STORAGE_UNAVAILABLE: [503, 10154, 'Service unavailable'],
  STATE_STORE_UNAVAILABLE: [503, 10154, 'Service unavailable'],
  INVALID_BODY: [400, 10155, 'Invalid request body'],
  RATE_LIMITED: [429, 10156, 'Too many requests'],
};

export const NOT_FOUND: ErrorResponse = { status: 404, body: { code: 404, error: 'Not found' } };
export const INTERNAL_ERROR: ErrorResponse = {
  status: 500,
  body: { code: 10500, error: 'Internal error' },
};

/** The response for a known error, or null for one nobody expected. */
export function errorResponse(error: unknown): ErrorResponse | null {
  const known =
    error instanceof DomainError ||
    error instanceof InfrastructureError ||
    error instanceof HttpError;
  const entry = known ? RESPONSES[error.code] : undefined;
  if (!entry) return null;
  const [status, code, message] = entry;
  return { status, body: { code, error: message } };
}
