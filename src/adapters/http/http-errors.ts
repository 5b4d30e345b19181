export type HttpErrorCode = 'INVALID_QUERY' | 'INVALID_BODY';

/** Errors only the HTTP edge raises: malformed requests. */
export class HttpError extends Error {
  constructor(readonly code: HttpErrorCode) {
    super(code);
  }
}

export const invalidQuery = () => new HttpError('INVALID_QUERY');
export const invalidBody = () => new HttpError('INVALID_BODY');
