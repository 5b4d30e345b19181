export type InfrastructureErrorCode =
  | 'STATE_STORE_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'OAUTH_PROVIDER_UNAVAILABLE'
  | 'OAUTH_CODE_REJECTED'
  | 'RATE_LIMITED'
  | 'RATE_LIMITER_UNAVAILABLE'
  | 'WEIBO_AUTHORIZATION_EXPIRED'
  | 'WEIBO_RATE_LIMITED';

/** Failures of what the application talks to, raised at the adapter edge. */
export abstract class InfrastructureError extends Error {
  abstract readonly code: InfrastructureErrorCode;
  /** Weibo's own `error_code`, when Weibo answered with one. */
  readonly weiboErrorCode?: number;
  constructor(message: string, options?: { cause?: unknown; weiboErrorCode?: number }) {
    super(message, options);
    if (options?.weiboErrorCode !== undefined) this.weiboErrorCode = options.weiboErrorCode;
  }
}

export class StateStoreUnavailable extends InfrastructureError {
  readonly code = 'STATE_STORE_UNAVAILABLE';
}

export class StorageUnavailable extends InfrastructureError {
  readonly code = 'STORAGE_UNAVAILABLE';
}

export class OAuthProviderUnavailable extends InfrastructureError {
  readonly code = 'OAUTH_PROVIDER_UNAVAILABLE';
}

export class OAuthCodeRejected extends InfrastructureError {
  readonly code = 'OAUTH_CODE_REJECTED';
}

export class RateLimited extends InfrastructureError {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds} s`);
  }
}

/** The store of a rate limit's counts cannot be reached. */
export class RateLimiterUnavailable extends InfrastructureError {
  readonly code = 'RATE_LIMITER_UNAVAILABLE';
}

/** The provider refused the stored token (expired or revoked): sign in with it again. */
export class WeiboAuthorizationExpired extends InfrastructureError {
  readonly code = 'WEIBO_AUTHORIZATION_EXPIRED';
  constructor(
    message: string,
    readonly reason: 'expired' | 'revoked',
    options?: { cause?: unknown; weiboErrorCode?: number },
  ) {
    super(message, options);
  }
}

/** Weibo's rate limit (10022, 10023, 10024): not an outage; retry after the seconds given. */
export class WeiboRateLimited extends InfrastructureError {
  readonly code = 'WEIBO_RATE_LIMITED';
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown; weiboErrorCode?: number },
  ) {
    super(`Weibo rate limit: retry after ${retryAfterSeconds} s`, options);
  }
}
