import { z } from '@hono/zod-openapi';
import type { Display } from '../../application/weibo-ports.ts';

const DISPLAYS = ['default', 'mobile', 'wap', 'client'] as const satisfies readonly Display[];
const MAX_PARAM_LENGTH = 512;

// Only the domain judges `return_to` (InvalidReturnTo): its rules are described, not repeated.
export const AuthorizationQuery = z.object({
  return_to: z
    .string()
    .optional()
    .openapi({
      description:
        'Where the browser goes once signed in: a relative path starting with a single `/`, at ' +
        'most 2048 characters, without backslash, control or bidi characters and without a `.` ' +
        'or `..` segment (also percent-encoded). Default `/`.',
      example: '/home',
    }),
  display: z.enum(DISPLAYS).optional().openapi({
    description: "Weibo's login page for this client; `mobile` uses Weibo's mobile page.",
  }),
  forcelogin: z.enum(['true', 'false']).optional().openapi({
    description: '`true` makes Weibo ask for the password even when signed in there.',
  }),
  language: z.enum(['en']).optional().openapi({ description: "Weibo's page in English." }),
});

export const CallbackQuery = z.object({
  code: z.string().min(1).max(MAX_PARAM_LENGTH).openapi({
    description: 'The one-time code Weibo added to the redirect.',
  }),
  state: z.string().min(1).max(MAX_PARAM_LENGTH).openapi({
    description: 'The state of the authorize URL, sent back by Weibo.',
  }),
});

/**
 * The bind form, for the document only: the use case checks it, in the contract's order, after
 * `readJsonObject` has read the body within its size limit.
 */
export const BindForm = z
  .object({
    bind_token: z.string().openapi({ description: "The callback's `bind_token` (code 201)." }),
    username: z
      .string()
      .regex(/^[A-Za-z0-9_]{3,32}$/)
      .openapi({
        description: '3-32 ASCII letters, digits or `_`; unique ignoring letter case.',
      }),
    password: z.string().min(8).max(128).openapi({ description: '8-128 characters.' }),
    phone: z.string().openapi({
      description:
        'E.164 (`+` and 8-15 digits) or a mainland mobile number (`1[3-9]` and 9 digits); ' +
        'spaces and dashes are ignored.',
      example: '+86 138 0013 8000',
    }),
    email: z.string().max(254).openapi({
      description: '`local@domain.tld`, without control characters.',
      example: 'someone@example.com',
    }),
    uid: z.union([z.string(), z.number()]).optional().openapi({
      description: "The Weibo uid, as the old front-end sends it: must be the bind token's.",
    }),
  })
  .openapi('BindForm', {
    description:
      'Checked in this order, the first failure answering: the body (10155), username ' +
      '(10150), password (10108), email (10126), phone (10117), then the bind token (10130).',
  });

export const AuthorizationUrl = z
  .object({ code: z.literal(200), oauth_url: z.url() })
  .strict()
  .openapi('AuthorizationUrl');

/** What every answer that signs a user in carries, besides its `code`. */
const signedInFields = {
  username: z.string(),
  token: z.string().openapi({ description: 'The login token (JWT), with its session in `sid`.' }),
  refresh_token: z.string().openapi({
    description: 'Opaque; trade it at `POST /v1/tokens/refresh` for a new pair. Works once.',
  }),
  expires_in: z.number().int().positive().openapi({ description: 'Seconds the token lives.' }),
};

export const SignedIn = z
  .object({ code: z.literal(200), ...signedInFields, return_to: z.string() })
  .strict()
  .openapi('SignedIn', { description: 'The Weibo account is bound: the user is signed in.' });

const notBoundFields = {
  code: z.literal(201),
  uid: z.string(),
  bind_token: z.string().openapi({ description: 'Short-lived, for the bind form.' }),
  profile: z
    .object({ screen_name: z.string(), avatar: z.string().optional() })
    .strict()
    .optional()
    .openapi({ description: "From Weibo's users/show; left out when Weibo does not answer." }),
};

export const NotBound = z
  .object({ ...notBoundFields, return_to: z.string() })
  .strict()
  .openapi('NotBound', { description: 'No local account yet: show the bind form.' });

export const AppNotBound = z.object(notBoundFields).strict().openapi('AppNotBound', {
  description:
    'No local account yet: create one with the bind form (`POST /v1/users/weibo/users`) or link an existing one (`POST /v1/users/weibo/bindings`).',
});

export const AppLoginForm = z
  .object({
    access_token: z.string().min(1).openapi({
      description: "The Weibo SDK's access token. Weibo is asked whose it is and for which app.",
    }),
    uid: z
      .string()
      .regex(/^[0-9]{1,20}$/)
      .openapi({ example: '1404376560' }),
  })
  .openapi('AppLoginForm', {
    description: 'What the Weibo SDK handed the native app. Anything else: 400 10100.',
  });

export const DeauthorizationHint = z.object({
  uid: z.string().optional().openapi({ description: 'The Weibo uid that removed the app.' }),
  source: z.string().optional().openapi({ description: 'The app key, when Weibo sends it.' }),
});

export const AccountBound = z
  .object({ code: z.literal(200), ...signedInFields })
  .strict()
  .openapi('AccountBound');

export const Status = z
  .object({ status: z.literal('ok') })
  .strict()
  .openapi('Status');

/** Public keys only: a private part (`d`) is not part of the schema. */
export const JsonWebKeySet = z
  .object({
    keys: z.array(
      z
        .object({
          kty: z.string(),
          kid: z.string(),
          alg: z.string(),
          use: z.literal('sig'),
          crv: z.string().optional(),
          x: z.string().optional(),
          y: z.string().optional(),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('JsonWebKeySet');

/** What an OpenID Connect discovery client needs to find the keys, and nothing untrue. */
export const OpenIdConfiguration = z
  .object({
    issuer: z.string().openapi({ description: 'The `iss` of every login token (JWT_ISSUER).' }),
    jwks_uri: z.url(),
    token_endpoint: z.url().openapi({ description: '`POST /v1/tokens`.' }),
    id_token_signing_alg_values_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
  })
  .strict()
  .openapi('OpenIdConfiguration');
