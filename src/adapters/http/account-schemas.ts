import { z } from '@hono/zod-openapi';

export const Credentials = z
  .object({
    username: z.string().openapi({ description: 'Matched ignoring ASCII letter case.' }),
    password: z.string(),
  })
  .openapi('Credentials', {
    description:
      'username not a string: 10150; password not a string: 10108; unknown user or wrong ' +
      'password: 10162. Failed attempts per username are limited (429 10156).',
  });

export const LinkForm = z
  .object({ bind_token: z.string(), username: z.string(), password: z.string() })
  .openapi('LinkForm', {
    description:
      "The callback's bind token (10130), then the account's credentials (10162); the " +
      'account already bound: 10163; the uid already bound: 10153.',
  });

export const PasswordConfirmation = z
  .object({ password: z.string() })
  .openapi('PasswordConfirmation', { description: 'password not a string: 10108; wrong: 10162.' });

export const Done = z
  .object({ code: z.literal(200) })
  .strict()
  .openapi('Done');

export const Me = z
  .object({
    code: z.literal(200),
    user: z
      .object({
        id: z.uuid(),
        username: z.string(),
        email: z.string(),
        phone: z.string(),
        created_at: z.iso.datetime(),
      })
      .strict(),
    weibo: z
      .object({
        uid: z.string(),
        bound_at: z.iso.datetime(),
        authorization: z.enum(['valid', 'expired', 'revoked']).openapi({
          description:
            'Whether the stored Weibo token still works: expired or revoked until the next sign-in with Weibo (the friends list answers 401 10161 meanwhile).',
        }),
        token_expires_at: z.iso
          .datetime()
          .nullable()
          .openapi({ description: 'null once the user removed the app in Weibo.' }),
      })
      .strict()
      .nullable(),
  })
  .strict()
  .openapi('Me');

export const FriendsQuery = z.object({
  cursor: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,8})$/)
    .optional()
    .openapi({ description: 'A whole number >= 0, from `next_cursor`; default 0.' }),
  count: z
    .enum(['1', '2', '3', '4', '5'])
    .optional()
    .openapi({ description: "1-5 (Weibo's maximum), default 5." }),
});

const Friend = z
  .object({
    uid: z.string(),
    screen_name: z.string(),
    avatar: z.url().optional(),
    location: z.string(),
    description: z.string(),
    gender: z.enum(['m', 'f', 'n']),
    followers_count: z.number().int().nonnegative(),
    friends_count: z.number().int().nonnegative(),
    verified: z.boolean(),
  })
  .strict()
  .openapi('WeiboFriend');

export const FriendsPage = z
  .object({
    code: z.literal(200),
    users: z.array(Friend),
    next_cursor: z.number().int().nonnegative(),
    previous_cursor: z.number().int().nonnegative(),
    total_number: z.number().int().nonnegative(),
  })
  .strict()
  .openapi('WeiboFriendsPage');
