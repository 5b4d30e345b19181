import { createRoute } from '@hono/zod-openapi';
import { Done, FriendsPage, FriendsQuery, Me } from './account-schemas.ts';
import { documentedJsonBody, errorResponses, json } from './openapi.ts';
import { AccountBound } from './schemas.ts';
import { BEARER } from './signed-in.ts';

/** The account API's operations: what each takes and answers, for validation and the document. */
const signedInErrors = ['NOT_SIGNED_IN', 'RATE_LIMITED', 'STORAGE_UNAVAILABLE'] as const;

export const signIn = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['Account'],
  summary: 'Sign in with username and password',
  request: { body: documentedJsonBody('Credentials') },
  responses: {
    200: { description: 'Signed in.', content: json(AccountBound) },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'INVALID_USERNAME',
      'INVALID_PASSWORD',
      'WRONG_CREDENTIALS',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

export const me = createRoute({
  method: 'get',
  path: '/users/me',
  tags: ['Account'],
  summary: 'The signed-in user and its Weibo account',
  security: BEARER,
  responses: {
    200: { description: 'The user.', content: json(Me) },
    ...errorResponses('INVALID_QUERY', ...signedInErrors, 'UNEXPECTED'),
  },
});

export const friends = createRoute({
  method: 'get',
  path: '/users/weibo/friends',
  tags: ['Account'],
  summary: "The user's Weibo friends who also use this app, a page at a time",
  security: BEARER,
  request: { query: FriendsQuery },
  responses: {
    200: { description: 'A page of friends.', content: json(FriendsPage) },
    ...errorResponses(
      'INVALID_QUERY',
      ...signedInErrors,
      'WEIBO_AUTHORIZATION_EXPIRED',
      'NO_WEIBO_ACCOUNT',
      'OAUTH_PROVIDER_UNAVAILABLE',
      'WEIBO_RATE_LIMITED',
      'UNEXPECTED',
    ),
  },
});

export const link = createRoute({
  method: 'post',
  path: '/users/weibo/bindings',
  tags: ['Account'],
  summary: 'Link Weibo to an existing account',
  request: { body: documentedJsonBody('LinkForm') },
  responses: {
    200: { description: 'Linked and signed in.', content: json(AccountBound) },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'INVALID_USERNAME',
      'INVALID_PASSWORD',
      'BIND_TOKEN_INVALID',
      'WRONG_CREDENTIALS',
      'ACCOUNT_ALREADY_BOUND',
      'WEIBO_ALREADY_BOUND',
      'RATE_LIMITED',
      'STORAGE_UNAVAILABLE',
      'UNEXPECTED',
    ),
  },
});

export const unbind = createRoute({
  method: 'delete',
  path: '/users/weibo/binding',
  tags: ['Account'],
  summary: 'Unbind Weibo; the token is revoked at Weibo',
  security: BEARER,
  responses: {
    200: { description: 'Unbound.', content: json(Done) },
    ...errorResponses('INVALID_QUERY', ...signedInErrors, 'NO_WEIBO_ACCOUNT', 'UNEXPECTED'),
  },
});

export const deleteMe = createRoute({
  method: 'delete',
  path: '/users/me',
  tags: ['Account'],
  summary: 'Delete the account, confirmed by its password',
  security: BEARER,
  request: { body: documentedJsonBody('PasswordConfirmation') },
  responses: {
    200: { description: 'Deleted: its login tokens are refused from now on.', content: json(Done) },
    ...errorResponses(
      'INVALID_BODY',
      'INVALID_QUERY',
      'INVALID_PASSWORD',
      'WRONG_CREDENTIALS',
      ...signedInErrors,
      'UNEXPECTED',
    ),
  },
});
