import { type Answer, type Browser, freshUid, type ServiceUnderTest } from './running-service.ts';

export const PASSWORD = 'correct horse battery';

/** A Weibo login of a fresh uid up to the callback's answer (201 for a fresh uid). */
export async function weiboLogin(sut: ServiceUnderTest, uid = freshUid()) {
  const browser = sut.browser();
  const answer = await browser.callback(sut.weibo.issueCode({ uid }), await browser.startLogin());
  return { browser, uid, answer };
}

/** A new account bound to a fresh Weibo uid: its browser, ids, username and login token. */
export async function signUp(sut: ServiceUnderTest) {
  const { browser, uid, answer } = await weiboLogin(sut);
  if (answer.body.code !== 201) throw new Error(`callback answered ${JSON.stringify(answer.body)}`);
  const username = `acct_${freshUid()}`;
  const bound = await browser.post('/v1/users/weibo/users', {
    bind_token: answer.body.bind_token,
    username,
    password: PASSWORD,
    phone: '+8613800138000',
    email: 'acct@example.com',
  });
  if (bound.body.code !== 200) throw new Error(`bind answered ${JSON.stringify(bound.body)}`);
  const token = bound.body.token as string;
  const me = await send(browser, 'GET', '/v1/users/me', token);
  return { browser, uid, username, token, userId: me.body.user.id as string };
}

/** A request with an optional login token and JSON body. */
export function send(
  browser: Browser,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Answer> {
  return browser.request(path, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}
