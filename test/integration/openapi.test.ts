import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked by hand
type Json = any;

/** SPEC's operations: for each, every HTTP status it answers and the codes of that status. */
const CONTRACT: Record<string, Record<number, number[]>> = {
  'get /v1/users/weibo/authorization': {
    200: [200],
    400: [10100],
    429: [10156],
    500: [10500],
    503: [10124],
  },
  'get /v1/users/weibo/users': {
    200: [200, 201],
    400: [10100, 12345],
    403: [10151],
    429: [10156],
    500: [10500],
    502: [10142],
    503: [10154, 10167],
  },
  'post /v1/users/weibo/app-login': {
    200: [200, 201],
    400: [10100, 10155],
    401: [10166],
    429: [10156],
    500: [10500],
    502: [10142],
    503: [10154, 10167],
  },
  'get /v1/users/weibo/deauthorization': { 200: [200] },
  'post /v1/users/weibo/deauthorization': { 200: [200] },
  'post /v1/users/weibo/users': {
    200: [200],
    400: [10100, 10108, 10117, 10126, 10150, 10155],
    401: [10130],
    409: [10152, 10153],
    429: [10156],
    500: [10128],
    503: [10154],
  },
  'post /v1/tokens': {
    200: [200],
    400: [10100, 10108, 10150, 10155],
    401: [10162],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'get /v1/users/me': {
    200: [200],
    400: [10100],
    401: [10160],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'get /v1/users/weibo/friends': {
    200: [200],
    400: [10100],
    401: [10160, 10161],
    409: [10164],
    429: [10156],
    500: [10500],
    502: [10142],
    503: [10154, 10167],
  },
  'post /v1/users/weibo/bindings': {
    200: [200],
    400: [10100, 10108, 10150, 10155],
    401: [10130, 10162],
    409: [10153, 10163],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'delete /v1/users/weibo/binding': {
    200: [200],
    400: [10100],
    401: [10160],
    409: [10164],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'delete /v1/users/me': {
    200: [200],
    400: [10100, 10108, 10155],
    401: [10160, 10162],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'post /v1/tokens/refresh': {
    200: [200],
    400: [10100, 10155],
    401: [10165],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'post /v1/tokens/revoke': {
    200: [200],
    400: [10100, 10155],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'get /v1/users/me/sessions': {
    200: [200],
    400: [10100],
    401: [10160],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'delete /v1/users/me/sessions/{id}': {
    200: [200],
    400: [10100],
    401: [10160],
    404: [404],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'delete /v1/users/me/sessions': {
    200: [200],
    400: [10100],
    401: [10160],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'get /v1/users/me/activity': {
    200: [200],
    400: [10100],
    401: [10160],
    429: [10156],
    500: [10500],
    503: [10154],
  },
  'get /admin/v1/users': { 200: [200], 400: [10100], 401: [10170], 500: [10500], 503: [10154] },
  'get /admin/v1/users/{id}': { 200: [200], 401: [10170], 404: [404], 500: [10500], 503: [10154] },
  'post /admin/v1/users/{id}/lock': {
    200: [200],
    400: [10100, 10155],
    401: [10170],
    404: [404],
    500: [10500],
    503: [10154],
  },
  'post /admin/v1/users/{id}/unlock': {
    200: [200],
    401: [10170],
    404: [404],
    500: [10500],
    503: [10154],
  },
  'delete /admin/v1/users/{id}/weibo-binding': {
    200: [200],
    401: [10170],
    404: [404],
    409: [10164],
    500: [10500],
    503: [10154],
  },
  'delete /admin/v1/users/{id}/sessions': {
    200: [200],
    401: [10170],
    404: [404],
    500: [10500],
    503: [10154],
  },
  'get /admin/v1/users/{id}/audit': {
    200: [200],
    400: [10100],
    401: [10170],
    404: [404],
    500: [10500],
    503: [10154],
  },
  'get /healthz': { 200: [] },
  'get /readyz': { 200: [], 503: [10154] },
  'get /.well-known/jwks.json': { 200: [] },
  'get /.well-known/openid-configuration': { 200: [] },
  'get /metrics': { 200: [] },
};

/** The operations that need `Authorization: Bearer <login token>`. */
const SIGNED_IN = [
  'get /v1/users/me',
  'get /v1/users/me/activity',
  'get /v1/users/weibo/friends',
  'delete /v1/users/weibo/binding',
  'delete /v1/users/me',
  'get /v1/users/me/sessions',
  'delete /v1/users/me/sessions/{id}',
  'delete /v1/users/me/sessions',
];

let sut: ServiceUnderTest;
let served: Response;
let doc: Json;
beforeAll(async () => {
  sut = await startServiceUnderTest();
  served = await fetch(`${sut.service.url}/openapi.json`);
  doc = await served.json();
});
afterAll(() => sut.stop());

function resolve(node: Json): Json {
  if (typeof node?.$ref !== 'string') return node;
  const pointer = node.$ref.replace(/^#\//, '').split('/');
  return resolve(pointer.reduce((at: Json, part: string) => at?.[part.replaceAll('~1', '/')], doc));
}

/** The `code` values a response schema allows, through references and alternatives. */
function codesOf(schema: Json): number[] {
  const node = resolve(schema);
  const alternatives = [...(node?.anyOf ?? []), ...(node?.oneOf ?? []), ...(node?.allOf ?? [])];
  const code = resolve(node?.properties?.code);
  const own = code?.enum ?? (code?.const === undefined ? [] : [code.const]);
  return [...new Set([...own, ...alternatives.flatMap(codesOf)])].sort((a, b) => a - b);
}

const jsonSchemaOf = (response: Json) => resolve(response)?.content?.['application/json']?.schema;
const component = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The required and the listed properties of an object schema, each sorted. */
function fields(schema: Json) {
  const node = resolve(schema);
  return { required: [...node.required].sort(), properties: Object.keys(node.properties).sort() };
}
const operation = (key: string) => {
  const [method = '', route = ''] = key.split(' ');
  return doc.paths?.[route]?.[method];
};

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document named after the service and its version', async () => {
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    const validation = await new Validator().validate(doc);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
    const manifest = path.resolve(import.meta.dirname, '../../package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    expect(doc.info).toMatchObject({ title: 'weibo-auth', version });
  });

  it('lists every operation of the contract, and no other', () => {
    const listed = Object.entries(doc.paths).flatMap(([route, item]) =>
      Object.keys(item as object).map((method) => `${method} ${route}`),
    );
    expect(listed.sort()).toEqual(Object.keys(CONTRACT).sort());
  });

  it.each(Object.entries(CONTRACT))('documents %s with each status and code', (key, statuses) => {
    const { responses } = operation(key);
    const documented = Object.fromEntries(
      Object.entries(responses).map(([status, response]) => [
        status,
        codesOf(jsonSchemaOf(response)),
      ]),
    );
    const expected = Object.fromEntries(
      Object.entries(statuses).map(([status, codes]) => [status, [...codes].sort((a, b) => a - b)]),
    );
    expect(documented).toEqual(expected);
  });

  it('documents every error answer as exactly {code, error}', () => {
    for (const key of Object.keys(CONTRACT)) {
      for (const [status, response] of Object.entries(operation(key).responses)) {
        if (Number(status) < 400) continue;
        const schema = resolve(jsonSchemaOf(response));
        expect(schema, `${key} ${status}`).toMatchObject({
          type: 'object',
          required: ['code', 'error'],
          additionalProperties: false,
          properties: { code: { type: 'integer' }, error: { type: 'string' } },
        });
        expect(Object.keys(schema.properties)).toEqual(['code', 'error']);
      }
    }
    expect(resolve(doc.components.schemas.Error)).toMatchObject({
      required: ['code', 'error'],
      additionalProperties: false,
    });
  });

  it('documents Retry-After on every 429', () => {
    for (const key of Object.keys(CONTRACT)) {
      const limited = operation(key).responses['429'];
      if (limited) expect(limited.headers?.['Retry-After']?.schema, key).toBeDefined();
    }
  });

  it('documents the 404 of a path no route serves as a shared response', () => {
    const notFound = doc.components.responses.NotFound;
    expect(codesOf(jsonSchemaOf(notFound))).toEqual([404]);
  });

  it('documents the query parameters of the login endpoints', () => {
    const parameters = (key: string) =>
      Object.fromEntries(
        operation(key).parameters.map((p: Json) => [p.name, { in: p.in, required: p.required }]),
      );
    const optional = { in: 'query', required: false };
    expect(parameters('get /v1/users/weibo/authorization')).toEqual({
      return_to: optional,
      display: optional,
      forcelogin: optional,
      language: optional,
    });
    const display = operation('get /v1/users/weibo/authorization').parameters[1];
    expect(display.schema.enum).toEqual(['default', 'mobile', 'wap', 'client']);
    const required = { in: 'query', required: true };
    expect(parameters('get /v1/users/weibo/users')).toEqual({ code: required, state: required });
  });

  it('documents the bind form as a JSON body with its fields', () => {
    const body = operation('post /v1/users/weibo/users').requestBody;
    expect(body.required).toBe(true);
    const form = resolve(body.content['application/json'].schema);
    expect(form.required.sort()).toEqual(['bind_token', 'email', 'password', 'phone', 'username']);
    expect(Object.keys(form.properties).sort()).toEqual([
      'bind_token',
      'email',
      'password',
      'phone',
      'uid',
      'username',
    ]);
  });

  it.each([
    ['UserBoundToWeibo', 'boundAt'],
    ['UserUnboundFromWeibo', 'unboundAt'],
    ['UserDeleted', 'deletedAt'],
  ])('describes the CloudEvents envelope of %s', (type, at) => {
    const event = resolve(doc.components.schemas[type]);
    expect(event.required.sort()).toEqual(
      ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type'].sort(),
    );
    expect(event.properties.specversion.enum).toEqual(['1.0']);
    expect(event.properties.type.enum).toEqual([type]);
    expect(event.properties.source.enum).toEqual(['weibo-auth']);
    expect(event.properties.datacontenttype.enum).toEqual(['application/json']);
    expect(event.properties.time.format).toBe('date-time');
    const by = type === 'UserUnboundFromWeibo' ? ['by'] : [];
    expect(event.properties.data.required.sort()).toEqual(
      [at, 'userId', 'username', 'weiboUid', ...by].sort(),
    );
    expect(event.properties.data.properties[at].format).toBe('date-time');
    // A deleted account may have had no Weibo account bound.
    const weiboUid = [event.properties.data.properties.weiboUid.type].flat();
    expect(weiboUid.sort()).toEqual(type === 'UserDeleted' ? ['null', 'string'] : ['string']);
  });

  it('documents WWW-Authenticate on the 401 of every signed-in operation', () => {
    for (const [route, method] of [
      ['/v1/users/me', 'get'],
      ['/v1/users/me', 'delete'],
      ['/v1/users/weibo/friends', 'get'],
      ['/v1/users/weibo/binding', 'delete'],
      ['/v1/users/me/sessions', 'get'],
      ['/v1/users/me/sessions/{id}', 'delete'],
      ['/v1/users/me/sessions', 'delete'],
    ] as const) {
      expect(
        doc.paths[route][method].responses['401'].headers,
        `${method} ${route}`,
      ).toHaveProperty('WWW-Authenticate');
    }
  });

  it('documents the bearer login token on the signed-in operations, the admin key on /admin', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      adminKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(doc.security).toBeUndefined();
    for (const key of Object.keys(CONTRACT)) {
      const admin = key.includes(' /admin/');
      const expected = admin
        ? [{ adminKey: [] }]
        : SIGNED_IN.includes(key)
          ? [{ bearerAuth: [] }]
          : undefined;
      expect(operation(key).security, key).toEqual(expected);
    }
  });

  it.each(['UserLocked', 'UserUnlocked'])('describes the CloudEvents envelope of %s', (type) => {
    const event = resolve(doc.components.schemas[type]);
    expect(event.properties.type.enum).toEqual([type]);
    const at = type === 'UserLocked' ? 'lockedAt' : 'unlockedAt';
    expect(event.properties.data.required.sort()).toEqual([at, 'userId', 'username'].sort());
  });

  it("documents the account API's request bodies by their component schemas", () => {
    const { schemas } = doc.components;
    const body = (key: string) => {
      const { requestBody } = operation(key);
      expect(requestBody.required, key).toBe(true);
      return requestBody.content['application/json'].schema;
    };
    const credentials = ['password', 'username'];
    expect(body('post /v1/tokens')).toEqual(component('Credentials'));
    expect(fields(schemas.Credentials)).toEqual({ required: credentials, properties: credentials });
    const linkForm = ['bind_token', ...credentials];
    expect(body('post /v1/users/weibo/bindings')).toEqual(component('LinkForm'));
    expect(fields(schemas.LinkForm)).toEqual({ required: linkForm, properties: linkForm });
    const password = ['password'];
    expect(body('delete /v1/users/me')).toEqual(component('PasswordConfirmation'));
    expect(fields(schemas.PasswordConfirmation)).toEqual({
      required: password,
      properties: password,
    });
  });

  it("documents the account API's answers by their component schemas", () => {
    const { schemas } = doc.components;
    const answer = (key: string) => jsonSchemaOf(operation(key).responses['200']);
    for (const key of ['post /v1/tokens', 'post /v1/users/weibo/bindings']) {
      expect(answer(key), key).toEqual(component('AccountBound'));
    }
    expect(answer('get /v1/users/me')).toEqual(component('Me'));
    const me = ['code', 'user', 'weibo'];
    expect(fields(schemas.Me)).toEqual({ required: me, properties: me });
    const user = ['created_at', 'email', 'id', 'phone', 'username'];
    expect(fields(schemas.Me.properties.user)).toEqual({ required: user, properties: user });
    expect(schemas.Me.properties.weibo.type).toEqual(['object', 'null']);
    const weibo = ['authorization', 'bound_at', 'token_expires_at', 'uid'];
    expect(fields(schemas.Me.properties.weibo)).toEqual({ required: weibo, properties: weibo });
    expect(schemas.Me.properties.weibo.properties.authorization.enum).toEqual([
      'valid',
      'expired',
      'revoked',
    ]);

    expect(answer('get /v1/users/weibo/friends')).toEqual(component('WeiboFriendsPage'));
    const page = ['code', 'next_cursor', 'previous_cursor', 'total_number', 'users'];
    expect(fields(schemas.WeiboFriendsPage)).toEqual({ required: page, properties: page });
    expect(schemas.WeiboFriendsPage.properties.users.items).toEqual(component('WeiboFriend'));
    const friend = ['uid', 'screen_name', 'location', 'description', 'gender']
      .concat(['followers_count', 'friends_count', 'verified'])
      .sort();
    // `avatar` is left out when Weibo has none.
    const properties = [...friend, 'avatar'].sort();
    expect(fields(schemas.WeiboFriend)).toEqual({ required: friend, properties });
    expect(schemas.WeiboFriend.properties.gender.enum).toEqual(['m', 'f', 'n']);

    for (const key of ['delete /v1/users/weibo/binding', 'delete /v1/users/me']) {
      expect(answer(key), key).toEqual(component('Done'));
    }
    expect(fields(schemas.Done)).toEqual({ required: ['code'], properties: ['code'] });
  });

  it('documents refresh_token and expires_in on every answer that signs in', () => {
    const { schemas } = doc.components;
    const signedIn = ['code', 'expires_in', 'refresh_token', 'token', 'username'];
    expect(fields(schemas.AccountBound)).toEqual({ required: signedIn, properties: signedIn });
    const callback = [...signedIn, 'return_to'].sort();
    expect(fields(schemas.SignedIn)).toEqual({ required: callback, properties: callback });
    expect(schemas.AccountBound.properties.expires_in).toMatchObject({ type: 'integer' });
    const answer = (key: string) => jsonSchemaOf(operation(key).responses['200']);
    for (const key of ['post /v1/users/weibo/users', 'post /v1/tokens/refresh']) {
      expect(answer(key), key).toEqual(component('AccountBound'));
    }
    const bound = resolve(answer('get /v1/users/weibo/users'));
    expect(bound.anyOf ?? bound.oneOf).toContainEqual(component('SignedIn'));
  });

  it("documents the session API's bodies, answers and path by their component schemas", () => {
    const { schemas } = doc.components;
    for (const key of ['post /v1/tokens/refresh', 'post /v1/tokens/revoke']) {
      const { requestBody } = operation(key);
      expect(requestBody.required, key).toBe(true);
      expect(requestBody.content['application/json'].schema, key).toEqual(
        component('RefreshTokenBody'),
      );
    }
    const body = ['refresh_token'];
    expect(fields(schemas.RefreshTokenBody)).toEqual({ required: body, properties: body });
    const answer = (key: string) => jsonSchemaOf(operation(key).responses['200']);
    for (const key of [
      'post /v1/tokens/revoke',
      'delete /v1/users/me/sessions/{id}',
      'delete /v1/users/me/sessions',
    ]) {
      expect(answer(key), key).toEqual(component('Done'));
    }
    expect(answer('get /v1/users/me/sessions')).toEqual(component('SessionList'));
    const list = ['code', 'sessions'];
    expect(fields(schemas.SessionList)).toEqual({ required: list, properties: list });
    const session = ['created_at', 'current', 'id', 'last_used_at', 'user_agent'];
    expect(fields(schemas.SessionList.properties.sessions.items)).toEqual({
      required: session,
      properties: session,
    });
    expect(schemas.SessionList.properties.sessions.items.properties.user_agent.type).toEqual([
      'string',
      'null',
    ]);
    const [id, ...others] = operation('delete /v1/users/me/sessions/{id}').parameters;
    expect(others).toEqual([]);
    expect(id).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    });
    const notFound = operation('delete /v1/users/me/sessions/{id}').responses['404'];
    expect(notFound).toEqual({ $ref: '#/components/responses/NotFound' });
  });

  it('documents the optional query of the friends page', () => {
    const optional = { in: 'query', required: false };
    const parameters = operation('get /v1/users/weibo/friends').parameters.map((p: Json) => [
      p.name,
      { in: p.in, required: p.required },
    ]);
    expect(Object.fromEntries(parameters)).toEqual({ cursor: optional, count: optional });
  });
});
