import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../src/adapters/http/error-mapping.ts';
import { invalidBody, invalidQuery } from '../../src/adapters/http/http-errors.ts';
import {
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  RateLimited,
  StateStoreUnavailable,
  StorageUnavailable,
} from '../../src/application/errors.ts';
import * as domain from '../../src/domain/errors.ts';

const AUTHORIZE = 'GET /v1/users/weibo/authorization';
const BIND = 'POST /v1/users/weibo/users';

describe('the error table', () => {
  it.each([
    [new domain.InvalidUsername(), 400, 10150],
    [new domain.InvalidPassword(), 400, 10108],
    [new domain.InvalidEmail(), 400, 10126],
    [new domain.InvalidPhone(), 400, 10117],
    [new domain.InvalidReturnTo(), 400, 10100],
    [new domain.StateInvalid(), 403, 10151],
    [new domain.BindTokenInvalid(), 401, 10130],
    [new domain.UsernameTaken(), 409, 10152],
    [new domain.WeiboAlreadyBound(), 409, 10153],
    [new StateStoreUnavailable('down'), 503, 10154],
    [new StorageUnavailable('down'), 503, 10154],
    [new OAuthProviderUnavailable('down'), 502, 10142],
    [new OAuthCodeRejected('no'), 400, 12345],
    [new RateLimited(7), 429, 10156],
    [invalidQuery(), 400, 10100],
    [invalidBody(), 400, 10155],
    [new Error('boom'), 500, 10500],
  ])('answers %s with %i %i', (error, status, code) => {
    const answer = errorResponse(error);
    expect({ status: answer.status, code: answer.body.code }).toEqual({ status, code });
    expect(answer.unexpected).toBe(code === 10500);
  });

  it('sends Retry-After with the seconds a rate limit carries', () => {
    expect(errorResponse(new RateLimited(42)).headers).toEqual({ 'Retry-After': '42' });
    expect(errorResponse(new StorageUnavailable('down')).headers).toEqual({});
  });

  it('answers a state store outage on the authorize route with 503 10124', () => {
    expect(errorResponse(new StateStoreUnavailable('down'), AUTHORIZE).body).toEqual({
      code: 10124,
      error: 'Cant get weibo login page',
    });
  });

  it('answers an unexpected bind failure with 500 10128, and a known one as usual', () => {
    expect(errorResponse(new Error('boom'), BIND).body).toEqual({
      code: 10128,
      error: 'Create user failed',
    });
    expect(errorResponse(new StorageUnavailable('down'), BIND).body.code).toBe(10154);
  });
});
