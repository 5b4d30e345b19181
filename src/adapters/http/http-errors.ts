/** Errors only the HTTP edge raises: malformed requests and route-specific failures. */
export class HttpError extends Error {
  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

export const invalidQuery = () => new HttpError('INVALID_QUERY');
export const invalidBody = () => new HttpError('INVALID_BODY');
export const loginPageUnavailable = (cause: unknown) =>
  new HttpError('LOGIN_PAGE_UNAVAILABLE', { cause });
export const createUserFailed = (cause: unknown) => new HttpError('CREATE_USER_FAILED', { cause });
