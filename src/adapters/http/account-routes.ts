import type { Logger } from 'pino';
import type { Authenticate } from '../../application/authenticate.ts';
import type { DeleteAccount } from '../../application/delete-account.ts';
import type { LinkWeiboAccount } from '../../application/link-weibo-account.ts';
import type { ListWeiboFriends } from '../../application/list-weibo-friends.ts';
import type { SignInWithPassword } from '../../application/sign-in-with-password.ts';
import type { UnbindWeibo } from '../../application/unbind-weibo.ts';
import { authorizationAt } from '../../domain/weibo-account.ts';
import { deleteMe, friends, link, me, signIn, unbind } from './account-operations.ts';
import { Credentials, LinkForm, PasswordConfirmation } from './account-schemas.ts';
import { requesterOf } from './client-address.ts';
import { readJsonObject } from './json-body.ts';
import { openApiRouter } from './openapi.ts';
import { answerJson } from './response-headers.ts';
import { type SignedInEnv, signedIn, signedInBody } from './signed-in.ts';

const MAX_BODY_BYTES = 16 * 1024;

export interface AccountRoutesDeps {
  logger: Logger;
  authenticate: Authenticate;
  signInWithPassword: SignInWithPassword;
  listWeiboFriends: ListWeiboFriends;
  linkWeiboAccount: LinkWeiboAccount;
  unbindWeibo: UnbindWeibo;
  deleteAccount: DeleteAccount;
  /** Take the client's IP from `X-Forwarded-For`, as the rate limiter does. */
  trustProxy: boolean;
}

/** The account API (SPEC endpoints 4-9), mounted at `/v1`. */
export function accountRoutes(deps: AccountRoutesDeps) {
  const app = openApiRouter<SignedInEnv>();
  app.openAPIRegistry.register('Credentials', Credentials);
  app.openAPIRegistry.register('LinkForm', LinkForm);
  app.openAPIRegistry.register('PasswordConfirmation', PasswordConfirmation);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A login token from this service.',
  });
  const auth = signedIn(deps.authenticate);
  for (const path of ['/users/me', '/users/weibo/friends', '/users/weibo/binding']) {
    app.use(path, auth);
  }

  app.openapi(signIn, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    const requester = requesterOf(c, deps.trustProxy);
    const signedIn = await deps.signInWithPassword.execute(body, requester);
    return answerJson(c, { code: 200 as const, ...signedInBody(signedIn) }, 200);
  });

  app.openapi(me, async (c) => {
    // The signed-in check read the user and its Weibo account, in one query.
    const weibo = c.get('weibo');
    const { id, username, email, phone, createdAt } = c.get('user');
    return answerJson(
      c,
      {
        code: 200 as const,
        user: { id, username, email, phone, created_at: createdAt.toISOString() },
        weibo: weibo && {
          uid: weibo.uid,
          bound_at: weibo.boundAt.toISOString(),
          authorization: authorizationAt(weibo.authorization, weibo.tokenExpiresAt, new Date()),
          token_expires_at: weibo.tokenExpiresAt?.toISOString() ?? null,
        },
      },
      200,
    );
  });

  app.openapi(friends, async (c) => {
    const query = c.req.valid('query');
    const page = { cursor: Number(query.cursor ?? 0), count: Number(query.count ?? 5) };
    const found = await deps.listWeiboFriends.execute(
      c.get('user').id,
      page,
      requesterOf(c, deps.trustProxy, c.get('sessionId')),
    );
    const users = found.users.map((friend) => ({
      uid: friend.uid,
      screen_name: friend.screenName,
      ...(friend.avatar && { avatar: friend.avatar }),
      location: friend.location,
      description: friend.description,
      gender: friend.gender,
      followers_count: friend.followersCount,
      friends_count: friend.friendsCount,
      verified: friend.verified,
    }));
    const { nextCursor, previousCursor, totalNumber } = found;
    return answerJson(
      c,
      {
        code: 200 as const,
        users,
        next_cursor: nextCursor,
        previous_cursor: previousCursor,
        total_number: totalNumber,
      },
      200,
    );
  });

  app.openapi(link, async (c) => {
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    const linked = await deps.linkWeiboAccount.execute(body, requesterOf(c, deps.trustProxy));
    return answerJson(c, { code: 200 as const, ...signedInBody(linked) }, 200);
  });

  app.openapi(unbind, async (c) => {
    const user = c.get('user');
    const { weiboUid, revoked } = await deps.unbindWeibo.execute(
      user,
      requesterOf(c, deps.trustProxy, c.get('sessionId')),
    );
    deps.logger.info({ userId: user.id, weiboUid, revoked }, 'Weibo unbound; token revoke');
    return answerJson(c, { code: 200 as const }, 200);
  });

  app.openapi(deleteMe, async (c) => {
    const user = c.get('user');
    const body = await readJsonObject(c, MAX_BODY_BYTES);
    const requester = requesterOf(c, deps.trustProxy, c.get('sessionId'));
    const { weiboUid, revoked } = await deps.deleteAccount.execute(user, body, requester);
    deps.logger.info({ userId: user.id, weiboUid, revoked }, 'account deleted; token revoke');
    return answerJson(c, { code: 200 as const }, 200);
  });
  return app;
}
