import type { Json } from './weibo-users.ts';

/** Weibo's error codes for a token that expired, was revoked or is otherwise no longer valid. */
const TOKEN_ERROR_CODES = new Set([21301, 21314, 21315, 21316, 21317, 21319, 21327, 21332]);
/** The token's lifetime is over (the others: revoked, removed or never valid). */
const TOKEN_EXPIRED = 21327;
/** Rate limits: of the app's server IP (which pauses every call), of a user, of a user's call. */
export const PAUSING_RATE_LIMIT = 10022;
const RATE_LIMIT_CODES = new Set([PAUSING_RATE_LIMIT, 10023, 10024]);
/**
 * Errors only the operator can fix: the unaudited app's limits (21321), a redirect URI not
 * registered (21322), the app's key or secret refused (21323, 21324).
 */
const OPERATOR_ERROR_CODES = new Set([21321, 21322, 21323, 21324]);

/** Whether Weibo's error answer says the access token can no longer be used. */
export function isTokenError(json: Json): boolean {
  return TOKEN_ERROR_CODES.has(errorCodeOf(json));
}

/** The loss a token error means: 21327 is an expiry, any other a revocation. */
export function tokenLoss(json: Json): 'expired' | 'revoked' {
  return errorCodeOf(json) === TOKEN_EXPIRED ? 'expired' : 'revoked';
}

export function isRateLimit(code: number): boolean {
  return RATE_LIMIT_CODES.has(code);
}

export function isOperatorError(code: number): boolean {
  return OPERATOR_ERROR_CODES.has(code);
}

/**
 * Weibo's error_description echoes what it refused (a code, a token), so only the numeric code
 * and the error name are kept.
 */
export function describeError(json: Json): string {
  const code = errorCodeOf(json);
  const name =
    typeof json.error === 'string' && /^[a-z_]{1,64}$/.test(json.error) ? json.error : '';
  return `error${Number.isNaN(code) ? '' : ` ${code}`} ${name}`.trimEnd();
}

/** Weibo's error_code, a number or a string of digits; NaN when it is neither. */
export function errorCodeOf(json: Json): number {
  const code = json.error_code;
  const digits = typeof code === 'number' || typeof code === 'string' ? `${code}` : '';
  return /^[0-9]{1,9}$/.test(digits) ? Number(digits) : Number.NaN;
}

/** The error code to carry on an error for the metrics, when Weibo gave a readable one. */
export function weiboErrorCode(json: Json): { weiboErrorCode?: number } {
  const code = errorCodeOf(json);
  return Number.isNaN(code) ? {} : { weiboErrorCode: code };
}
