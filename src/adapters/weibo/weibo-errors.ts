import type { Json } from './weibo-users.ts';

/** Weibo's error codes for a token that expired, was revoked or is otherwise no longer valid. */
const TOKEN_ERROR_CODES = new Set([21301, 21314, 21315, 21316, 21317, 21327, 21332]);

/** Whether Weibo's error answer says the access token can no longer be used. */
export function isTokenError(json: Json): boolean {
  return TOKEN_ERROR_CODES.has(errorCodeOf(json));
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
function errorCodeOf(json: Json): number {
  const code = json.error_code;
  const digits = typeof code === 'number' || typeof code === 'string' ? `${code}` : '';
  return /^[0-9]{1,9}$/.test(digits) ? Number(digits) : Number.NaN;
}
