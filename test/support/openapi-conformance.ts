import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { appWithFakes, type FakeAppOptions } from './app-with-fakes.ts';
import type { Answer } from './running-service.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked by hand
export type Json = any;

/** A JSON pointer into the document, each part escaped. */
export const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Answers checked against the service's own `GET /openapi.json`, each one remembered as
 * `method route status code` for the coverage check of the file that walks them. One per test
 * file: `load` it in `beforeAll`.
 */
export function openApiConformance() {
  let doc: Json;
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  const answered = new Set<string>();

  function resolve(node: Json): Json {
    if (typeof node?.$ref !== 'string') return node;
    const parts = node.$ref.replace(/^#\//, '').split('/');
    return resolve(parts.reduce((at: Json, part: string) => at?.[part.replaceAll('~1', '/')], doc));
  }

  /** The `code` values a schema allows, through references and alternatives. */
  function codesOf(schema: Json): number[] {
    const node = resolve(schema);
    const alternatives = [...(node?.anyOf ?? []), ...(node?.oneOf ?? []), ...(node?.allOf ?? [])];
    const code = resolve(node?.properties?.code);
    const own = code?.enum ?? (code?.const === undefined ? [] : [code.const]);
    return [...new Set<number>([...own, ...alternatives.flatMap(codesOf)])];
  }

  /** Validates `body` against the schema at `path` in the document, naming what failed. */
  function expectValid(path: string, body: unknown, label: string) {
    const ref = `openapi.json#/${path}`;
    const validate = validators.get(ref) ?? ajv.compile({ $ref: ref });
    validators.set(ref, validate);
    expect(validate(body), `${label}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }

  /** Counts an answer checked some other way (e.g. a text one) as seen. */
  function seen(key: string, status: number, code?: number) {
    answered.add(`${key} ${status} ${code ?? ''}`);
  }

  /**
   * The contract's answer (status and code, as SPEC says), and the document's: the status is
   * documented for the operation, the body validates against its schema, and the code is listed.
   */
  function expectAnswer(key: string, answer: Answer, status: number, code?: number): Answer {
    const label = `${key} answered ${answer.status} ${JSON.stringify(answer.body)}`;
    expect({ status: answer.status, code: answer.body?.code }, label).toEqual({ status, code });
    const [method = '', route = ''] = key.split(' ');
    const responses = doc.paths[route]?.[method]?.responses ?? {};
    expect(Object.keys(responses), `${label}: status not documented`).toContain(String(status));
    const schemaPath = ['paths', route, method, 'responses', String(status), 'content'];
    expectValid(pointer(...schemaPath, 'application/json', 'schema'), answer.body, label);
    const listed = codesOf(responses[status].content['application/json'].schema);
    if (code !== undefined || listed.length > 0) expect(listed, label).toContain(code);
    seen(key, status, code);
    return answer;
  }

  /**
   * `expectAnswer` for a response the operation takes by `$ref` from `components.responses`
   * (e.g. `NotFound`): the body validates against the shared response's schema, and its code is
   * listed there. Counted as seen both with its code and without (as `unanswered` lists it).
   */
  function expectSharedAnswer(key: string, answer: Answer, status: number, code: number): Answer {
    const label = `${key} answered ${answer.status} ${JSON.stringify(answer.body)}`;
    expect({ status: answer.status, code: answer.body?.code }, label).toEqual({ status, code });
    const [method = '', route = ''] = key.split(' ');
    const reference = doc.paths[route]?.[method]?.responses?.[status]?.$ref;
    expect(reference, `${label}: not a shared response`).toMatch(/^#\/components\/responses\//);
    const shared = reference.replace(/^#\//, '').split('/');
    expectValid(pointer(...shared, 'content', 'application/json', 'schema'), answer.body, label);
    expect(
      codesOf(resolve({ $ref: reference }).content['application/json'].schema),
      label,
    ).toContain(code);
    seen(key, status, code);
    seen(key, status);
    return answer;
  }

  /**
   * Every `method route status code` the document lists for the operations `which` selects
   * (`code` empty for a response without one) that no checked answer has shown yet.
   */
  function unanswered(which: (operation: Json) => boolean): string[] {
    const documented = Object.entries(doc.paths).flatMap(([route, item]) =>
      Object.entries(item as Json)
        .filter(([, operation]) => which(operation))
        .flatMap(([method, operation]) =>
          Object.entries((operation as Json).responses).flatMap(([status, response]) => {
            const codes = codesOf((response as Json).content?.['application/json']?.schema);
            const key = `${method} ${route} ${status}`;
            return codes.length === 0 ? [`${key} `] : codes.map((code) => `${key} ${code}`);
          }),
        ),
    );
    return documented.filter((entry) => !answered.has(entry));
  }

  return {
    /** Fetches the service's document; the checks read it from then on. */
    async load(baseUrl: string): Promise<Json> {
      doc = await (await fetch(`${baseUrl}/openapi.json`)).json();
      ajv.addSchema(doc, 'openapi.json');
      return doc;
    },
    document: (): Json => doc,
    codesOf,
    expectValid,
    expectAnswer,
    expectSharedAnswer,
    seen,
    unanswered,
  };
}

/** The operations of the account API (SPEC endpoints 4-9), as the document tags them. */
export const isAccountOperation = (operation: Json) => (operation.tags ?? []).includes('Account');

/** The admin API, as the document tags it. */
export const isAdminOperation = (operation: Json) => (operation.tags ?? []).includes('Admin');

/** The native app's sign-in and Weibo's deauthorization (SPEC endpoints 12 and 13). */
export const isWeiboAppOperation = (operation: Json) =>
  (operation.tags ?? []).includes('Native apps and Weibo');

/** The operations of refresh and sign-out (SPEC endpoints 10 and 11), as the document tags them. */
export const isSessionOperation = (operation: Json) => (operation.tags ?? []).includes('Sessions');

export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

/** A function of a port that fails with `error()`, fresh at each call. */
export const rejecting =
  (error: () => Error) =>
  (..._: unknown[]): Promise<never> =>
    Promise.reject(error());

/**
 * The real app over fakes as a service whose stores fail: readiness down, and the ports
 * `options` gives (e.g. a unit of work whose transactions reject) failing as they do.
 */
export function failingApp(options: FakeAppOptions) {
  return appWithFakes({
    trustProxy: false,
    readiness: [{ name: 'postgres', check: () => Promise.reject(new Error('down')) }],
    ...options,
  });
}
