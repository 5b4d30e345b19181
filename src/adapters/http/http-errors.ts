export type HttpErrorCode = 'INVALID_QUERY' | 'INVALID_BODY' | 'NOT_AN_ADMINISTRATOR';

/** Errors only the HTTP edge raises: malformed requests. */
export class HttpError extends Error {
  constructor(readonly code: HttpErrorCode) {
    super(code);
  }
}

export const invalidQuery = () => new HttpError('INVALID_QUERY');
export const invalidBody = () => new HttpError('INVALID_BODY');
export const notAnAdministrator = () => new HttpError('NOT_AN_ADMINISTRATOR');
