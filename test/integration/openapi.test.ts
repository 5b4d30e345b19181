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
    503: [10154],
  },
  'post /v1/users/weibo/users': {
    200: [200],
    400: [10100, 10108, 10117, 10126, 10150, 10155],
    401: [10130],
    409: [10152, 10153],
    429: [10156],
    500: [10128],
    503: [10154],
  },
  'get /healthz': { 200: [] },
  'get /readyz': { 200: [], 503: [10154] },
  'get /.well-known/jwks.json': { 200: [] },
  'get /metrics': { 200: [] },
};

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

  it('describes the CloudEvents envelope of UserBoundToWeibo', () => {
    const event = resolve(doc.components.schemas.UserBoundToWeibo);
    expect(event.required.sort()).toEqual(
      ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type'].sort(),
    );
    expect(event.properties.specversion.enum).toEqual(['1.0']);
    expect(event.properties.type.enum).toEqual(['UserBoundToWeibo']);
    expect(event.properties.source.enum).toEqual(['weibo-auth']);
    expect(event.properties.datacontenttype.enum).toEqual(['application/json']);
    expect(event.properties.time.format).toBe('date-time');
    expect(event.properties.data.required.sort()).toEqual([
      'boundAt',
      'userId',
      'username',
      'weiboUid',
    ]);
  });
});
