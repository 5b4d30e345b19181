export type DomainErrorCode =
  | 'INVALID_USERNAME'
  | 'INVALID_PASSWORD'
  | 'INVALID_EMAIL'
  | 'INVALID_PHONE'
  | 'INVALID_RETURN_TO'
  | 'STATE_INVALID'
  | 'BIND_TOKEN_INVALID'
  | 'USERNAME_TAKEN'
  | 'WEIBO_ALREADY_BOUND'
  | 'NOT_SIGNED_IN'
  | 'WRONG_CREDENTIALS'
  | 'ACCOUNT_ALREADY_BOUND'
  | 'NO_WEIBO_ACCOUNT'
  | 'SESSION_EXPIRED'
  | 'WEIBO_TOKEN_INVALID'
  | 'ACCOUNT_LOCKED'
  | 'USER_NOT_FOUND';

/** A rule of the domain was broken; `code` is stable and mapped to HTTP by the adapter. */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

export class InvalidUsername extends DomainError {
  readonly code = 'INVALID_USERNAME';
}

export class InvalidPassword extends DomainError {
  readonly code = 'INVALID_PASSWORD';
}

export class InvalidEmail extends DomainError {
  readonly code = 'INVALID_EMAIL';
}

export class InvalidPhone extends DomainError {
  readonly code = 'INVALID_PHONE';
}

export class InvalidReturnTo extends DomainError {
  readonly code = 'INVALID_RETURN_TO';
}

export class StateInvalid extends DomainError {
  readonly code = 'STATE_INVALID';
}

export class BindTokenInvalid extends DomainError {
  readonly code = 'BIND_TOKEN_INVALID';
}

export class UsernameTaken extends DomainError {
  readonly code = 'USERNAME_TAKEN';
}

export class WeiboAlreadyBound extends DomainError {
  readonly code = 'WEIBO_ALREADY_BOUND';
}

/** No valid login token, or its user is gone. */
export class NotSignedIn extends DomainError {
  readonly code = 'NOT_SIGNED_IN';
}

/** Unknown username or wrong password: the same error, so neither is revealed. */
export class WrongCredentials extends DomainError {
  readonly code = 'WRONG_CREDENTIALS';
}

export class AccountAlreadyBound extends DomainError {
  readonly code = 'ACCOUNT_ALREADY_BOUND';
}

export class NoWeiboAccount extends DomainError {
  readonly code = 'NO_WEIBO_ACCOUNT';
}

/** The refresh token is unknown, expired, revoked or used up. */
export class SessionExpired extends DomainError {
  readonly code = 'SESSION_EXPIRED';
}

/** A used refresh token came back (a sign of theft): its whole session was revoked. */
export class RefreshTokenReused extends SessionExpired {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
  ) {
    super('refresh token reused: session revoked');
  }
}

/** A native app's Weibo token is invalid, expired, another app's, or another uid's. */
export class WeiboTokenInvalid extends DomainError {
  readonly code = 'WEIBO_TOKEN_INVALID';
}

/** An administrator locked the account: its sign-ins are refused until unlocked. */
export class AccountLocked extends DomainError {
  readonly code = 'ACCOUNT_LOCKED';
}

/** No account has this id (the admin API answers 404). */
export class UserNotFound extends DomainError {
  readonly code = 'USER_NOT_FOUND';
}
