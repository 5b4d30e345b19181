// The demo front-end of weibo-auth: plain JavaScript, no build step.
const TOKEN_KEY = 'weibo-auth-demo-token';
const LANG_KEY = 'weibo-auth-demo-lang';

const TEXT = {
  zh: {
    demo: '演示',
    welcome: '欢迎',
    intro: '用微博账号登录这个演示站点。',
    signin: '用微博登录',
    passwordTitle: '或者用用户名和密码登录',
    usernamePlain: '用户名',
    passwordPlain: '密码',
    passwordSignin: '登录',
    hello: '你好',
    weiboBound: ({ uid, since }) => `已绑定微博 (uid ${uid}，${date(since)} 起)`,
    weiboUnbound: '未绑定微博',
    friendsTitle: '也在用本站的微博好友',
    noFriends: '你的微博好友还没有人使用本站。',
    verified: '认证',
    prev: '上一页',
    next: '下一页',
    perPage: '每页',
    pageInfo: ({ page, total }) => `第 ${page} 页，共 ${total} 位`,
    claims: '你的登录令牌 (JWT) 里写着',
    linkWeibo: '绑定微博',
    unbind: '解除微博绑定',
    signout: '退出登录',
    deleteAccount: '注销账号',
    deleteIntro: '注销会删除你在本站的账号和它的微博绑定，无法恢复。请输入密码确认。',
    deleteConfirm: '永久注销',
    cancel: '取消',
    weiboAgain: '重新用微博登录',
    unbound: '已解除微博绑定。',
    signedOut: '你已退出登录。',
    deleted: '你的账号已注销。',
    working: '正在完成微博登录…',
    bindTitle: '完善你的账号',
    bindIntro: '这个微博账号还没有绑定本站账号。创建一个，下次用微博即可直接登录。',
    username: '用户名 (3-32 位字母、数字或下划线)',
    password: '密码 (至少 8 位)',
    phone: '手机号',
    email: '邮箱',
    create: '创建并绑定',
    haveAccount: '我已经有账号了',
    linkIntro: '用你在本站的用户名和密码登录，把这个微博账号绑定上去。',
    linkSubmit: '登录并绑定',
    newAccount: '改为创建新账号',
    home: '返回首页',
    switchTo: 'English',
    denied: '你取消了微博授权。',
  },
  en: {
    demo: 'demo',
    welcome: 'Welcome',
    intro: 'Sign in to this demo site with your Weibo account.',
    signin: 'Sign in with Weibo',
    passwordTitle: 'Or sign in with your username and password',
    usernamePlain: 'Username',
    passwordPlain: 'Password',
    passwordSignin: 'Sign in',
    hello: 'Hello',
    weiboBound: ({ uid, since }) => `Weibo is bound (uid ${uid}, since ${date(since)})`,
    weiboUnbound: 'Weibo is not bound',
    friendsTitle: 'Weibo friends who use this site',
    noFriends: 'None of your Weibo friends uses this site yet.',
    verified: 'verified',
    prev: 'Previous',
    next: 'Next',
    perPage: 'Per page',
    pageInfo: ({ page, total }) => `Page ${page}, ${total} in all`,
    claims: 'Your login token (JWT) says',
    linkWeibo: 'Link Weibo',
    unbind: 'Unlink Weibo',
    signout: 'Sign out',
    deleteAccount: 'Delete my account',
    deleteIntro:
      'This deletes your account here and its Weibo binding, for good. Enter your password to confirm.',
    deleteConfirm: 'Delete for good',
    cancel: 'Cancel',
    weiboAgain: 'Sign in with Weibo again',
    unbound: 'Weibo is unlinked.',
    signedOut: 'You signed out.',
    deleted: 'Your account is deleted.',
    working: 'Finishing the Weibo sign-in…',
    bindTitle: 'Complete your account',
    bindIntro:
      'This Weibo account has no account here yet. Create one; next time Weibo signs you straight in.',
    username: 'Username (3-32 letters, digits or _)',
    password: 'Password (8 characters or more)',
    phone: 'Phone',
    email: 'Email',
    create: 'Create and bind',
    haveAccount: 'I already have an account',
    linkIntro: 'Sign in with your username and password here to link this Weibo account to it.',
    linkSubmit: 'Sign in and link',
    newAccount: 'Create a new account instead',
    home: 'Back to the home page',
    switchTo: '中文',
    denied: 'You cancelled the Weibo authorization.',
  },
};

// Our words for the API's codes; the API's own `error` text is shown beside them.
const ERRORS = {
  0: ['无法连接服务。', 'The service could not be reached.'],
  404: ['找不到这个地址。', 'Not found.'],
  10100: ['请求参数不对。', 'The request parameters are invalid.'],
  10108: ['密码需要 8 到 128 个字符。', 'The password needs 8 to 128 characters.'],
  10117: ['手机号格式不对。', 'That phone number is not valid.'],
  10124: [
    '暂时无法打开微博登录页，请稍后再试。',
    'The Weibo login page is unavailable; try again soon.',
  ],
  10126: ['邮箱格式不对。', 'That email address is not valid.'],
  10128: ['创建账号失败，请稍后再试。', 'Creating the account failed; try again soon.'],
  10130: [
    '绑定凭证无效或已过期，请重新用微博登录。',
    'The bind token is invalid or expired: sign in with Weibo again.',
  ],
  10142: ['连接微博失败，请稍后再试。', 'Weibo could not be reached; try again soon.'],
  12345: [
    '微博拒绝了这次授权码，请重新登录。',
    'Weibo refused this authorization code: sign in again.',
  ],
  10150: [
    '用户名需要 3-32 位字母、数字或下划线。',
    'The username needs 3-32 letters, digits or _.',
  ],
  10151: [
    '登录请求已失效，请重新用微博登录。',
    'This sign-in has expired or was used already: start again.',
  ],
  10152: ['这个用户名已被占用。', 'That username is taken.'],
  10153: ['这个微博账号已经绑定过了。', 'This Weibo account is already bound.'],
  10154: ['服务暂时不可用。', 'The service is unavailable right now.'],
  10155: ['请求内容无效。', 'The request body is invalid.'],
  10156: ['请求太频繁，请稍后再试。', 'Too many requests: wait a moment.'],
  10160: [
    '你还没有登录，或登录已过期，请重新登录。',
    'You are not signed in, or it expired: sign in again.',
  ],
  10161: [
    '微博授权已过期或已撤销，请重新用微博登录。',
    'Your Weibo authorization expired or was revoked: sign in with Weibo again.',
  ],
  10162: ['用户名或密码不对。', 'Wrong username or password.'],
  10163: ['这个账号已经绑定了一个微博账号。', 'This account is already bound to a Weibo account.'],
  10164: ['你的账号还没有绑定微博。', 'Your account has no Weibo account bound.'],
  10500: ['服务出错了，请稍后再试。', 'Something went wrong; try again soon.'],
};
for (const [index, language] of ['zh', 'en'].entries()) {
  TEXT[language].error = ({ code, error }) =>
    ERRORS[code] ? `${ERRORS[code][index]} (${code} ${error})` : `${error} (${code})`;
}

// The login token is kept in sessionStorage: this tab only, gone when the tab closes, and never
// sent by the browser on its own as a cookie would be. Memory alone would not do: the token
// must outlive the navigation from callback.html back to the page the user came from. It lives
// an hour, then the user signs in again; refresh tokens come with a later issue.
const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  keep: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  end: () => sessionStorage.removeItem(TOKEN_KEY),
};
localStorage.removeItem(TOKEN_KEY); // where earlier versions of the demo kept it

let lang = localStorage.getItem(LANG_KEY) || (navigator.language.startsWith('zh') ? 'zh' : 'en');
const $ = (id) => document.getElementById(id);
const date = (iso) => new Date(iso).toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en');

function t(key, vars) {
  const entry = TEXT[lang][key];
  return typeof entry === 'function' ? entry(vars ?? {}) : entry;
}

/** Every element with `data-i18n` (and its `data-vars`) is written in the current language. */
function translate() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const element of document.querySelectorAll('[data-i18n]')) {
    const vars = element.dataset.vars && JSON.parse(element.dataset.vars);
    element.textContent = t(element.dataset.i18n, vars);
  }
  $('lang').textContent = TEXT[lang].switchTo;
}

/** Shows `element` saying `key`, kept translated when the language changes. */
function say(element, key, vars) {
  element.dataset.i18n = key;
  if (vars) element.dataset.vars = JSON.stringify(vars);
  else delete element.dataset.vars;
  element.textContent = t(key, vars);
  element.hidden = false;
}

function showError(body) {
  say($('error'), 'error', { code: body?.code ?? 0, error: body?.error ?? 'Error' });
  if ($('weibo-again')) $('weibo-again').hidden = body?.code !== 10161;
}

function clearMessages() {
  for (const id of ['error', 'notice', 'weibo-again']) if ($(id)) $(id).hidden = true;
}

/** A call to the API: its JSON answer, or `{code, error}` made up when there is none. */
async function api(path, { method = 'GET', body, signedIn = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (signedIn) headers.authorization = `Bearer ${session.token()}`;
  try {
    const response = await fetch(`/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return await response
      .json()
      .catch(() => ({ code: response.status, error: response.statusText }));
  } catch {
    return { code: 0, error: 'Network error' };
  }
}

function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))),
    );
    return claims.exp * 1000 > Date.now() ? claims : null;
  } catch {
    return null;
  }
}

async function signInWithWeibo() {
  const answer = await api('/users/weibo/authorization?return_to=/');
  if (answer.code === 200) location.assign(answer.oauth_url);
  else showError(answer);
}

function signedIn(token, returnTo = '/') {
  session.keep(token);
  location.assign(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/');
}

// ---- The home page: signed out, or the signed-in user's account. ----

/** Which friends page is shown: the cursors that led to it, the current one last. */
const pager = { cursors: [0], next: 0 };

function showSignedOut(notice) {
  session.end();
  $('signed-in').hidden = true;
  $('delete-form').reset();
  $('delete-form').hidden = true;
  $('signed-out').hidden = false;
  if (notice) say($('notice'), notice);
}

/** An error of a signed-in request; 10160 means the session is over. */
function signedInError(body) {
  if (body.code === 10160) showSignedOut();
  showError(body);
}

async function showAccount() {
  const me = await api('/users/me', { signedIn: true });
  if (me.code !== 200) return signedInError(me);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('whoami').textContent = me.user.username;
  $('claims').textContent = JSON.stringify(claimsOf(session.token()), null, 2);
  const bound = me.weibo !== null;
  if (bound) say($('weibo-status'), 'weiboBound', { uid: me.weibo.uid, since: me.weibo.bound_at });
  else say($('weibo-status'), 'weiboUnbound');
  $('unbind').hidden = !bound;
  $('link-weibo').hidden = bound;
  $('friends-box').hidden = !bound;
  if (bound) await showFriends([0]);
}

async function showFriends(cursors) {
  $('prev').disabled = true;
  $('next').disabled = true;
  const query = new URLSearchParams({ cursor: cursors.at(-1), count: $('page-size').value });
  const page = await api(`/users/weibo/friends?${query}`, { signedIn: true });
  if (page.code !== 200) {
    $('prev').disabled = pager.cursors.length < 2;
    $('next').disabled = pager.next === 0;
    return signedInError(page);
  }
  pager.cursors = cursors;
  pager.next = page.next_cursor;
  $('friends').replaceChildren(...page.users.map(friendItem));
  $('friends-empty').hidden = page.users.length > 0;
  say($('page-info'), 'pageInfo', { page: cursors.length, total: page.total_number });
  $('prev').disabled = cursors.length < 2;
  $('next').disabled = page.next_cursor === 0;
}

function friendItem(friend) {
  const item = document.createElement('li');
  item.dataset.uid = friend.uid;
  const avatar = document.createElement('img');
  avatar.alt = '';
  avatar.referrerPolicy = 'no-referrer'; // Weibo's image hosts refuse foreign referrers
  if (friend.avatar) avatar.src = friend.avatar;
  else avatar.hidden = true;
  const title = document.createElement('div');
  const name = document.createElement('strong');
  name.textContent = friend.screen_name;
  title.append(name);
  if (friend.verified) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    say(badge, 'verified');
    title.append(' ', badge);
  }
  const about = document.createElement('small');
  about.textContent = [friend.location, friend.description].filter(Boolean).join(' · ');
  item.append(avatar, title, about);
  return item;
}

function home() {
  $('signin').addEventListener('click', signInWithWeibo);
  $('link-weibo').addEventListener('click', signInWithWeibo);
  $('weibo-again').addEventListener('click', signInWithWeibo);
  $('password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const answer = await api('/tokens', {
      method: 'POST',
      body: Object.fromEntries(new FormData(event.target)),
    });
    if (answer.code !== 200) return showError(answer);
    event.target.reset();
    session.keep(answer.token);
    await showAccount();
  });
  const turnPage = (cursors) => {
    clearMessages();
    showFriends(cursors);
  };
  $('prev').addEventListener('click', () => turnPage(pager.cursors.slice(0, -1)));
  $('next').addEventListener('click', () => turnPage([...pager.cursors, pager.next]));
  $('page-size').addEventListener('change', () => turnPage([0]));
  $('unbind').addEventListener('click', async () => {
    clearMessages();
    const answer = await api('/users/weibo/binding', { method: 'DELETE', signedIn: true });
    if (answer.code !== 200) return signedInError(answer);
    say($('notice'), 'unbound');
    await showAccount();
  });
  $('signout').addEventListener('click', () => {
    clearMessages();
    showSignedOut('signedOut');
  });
  $('delete').addEventListener('click', () => {
    $('delete-form').hidden = false;
    $('delete-password').focus();
  });
  $('delete-cancel').addEventListener('click', () => {
    $('delete-form').reset();
    $('delete-form').hidden = true;
  });
  $('delete-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const answer = await api('/users/me', {
      method: 'DELETE',
      signedIn: true,
      body: { password: $('delete-password').value },
    });
    if (answer.code !== 200) return signedInError(answer);
    showSignedOut('deleted');
  });
  if (session.token()) showAccount();
  else showSignedOut();
}

// ---- The callback page: Weibo sends the user back here with a code. ----

function suggestedUsername(profile, uid) {
  const ascii = (profile?.screen_name ?? '').replace(/[^A-Za-z0-9_]/g, '').slice(0, 32);
  return ascii.length >= 3 ? ascii : `weibo_${uid.slice(-6)}`;
}

function chooseForm(id) {
  $('error').hidden = true;
  for (const form of ['bind-form', 'link-form']) $(form).hidden = form !== id;
  const inputs = [...$(id).querySelectorAll('input')];
  (inputs.find((input) => !input.value) ?? inputs[0]).focus();
}

async function callback() {
  const query = new URLSearchParams(location.search);
  if (query.get('error')) {
    $('working').hidden = true;
    return say($('error'), 'denied');
  }
  const answer = await api(
    `/users/weibo/users?${new URLSearchParams({ code: query.get('code') ?? '', state: query.get('state') ?? '' })}`,
  );
  $('working').hidden = true;
  if (answer.code === 200) return signedIn(answer.token, answer.return_to);
  if (answer.code !== 201) return showError(answer);

  $('bind').hidden = false;
  $('screen-name').textContent = answer.profile?.screen_name ?? `uid ${answer.uid}`;
  if (answer.profile?.avatar) {
    $('avatar').referrerPolicy = 'no-referrer';
    $('avatar').src = answer.profile.avatar;
    $('avatar').hidden = false;
  }
  $('username').value = suggestedUsername(answer.profile, answer.uid);
  // Signed in already (the "Link Weibo" button): that is the account to link, most likely.
  $('link-username').value = claimsOf(session.token() ?? '')?.username ?? '';
  $('have-account').addEventListener('click', () => chooseForm('link-form'));
  $('new-account').addEventListener('click', () => chooseForm('bind-form'));

  const submit = (form, path, extra) =>
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      $('error').hidden = true;
      const fields = Object.fromEntries(new FormData(form));
      const body = { ...fields, ...extra, bind_token: answer.bind_token };
      const bound = await api(path, { method: 'POST', body });
      if (bound.code === 200) signedIn(bound.token, answer.return_to);
      else showError(bound);
    });
  submit($('bind-form'), '/users/weibo/users', { uid: answer.uid });
  submit($('link-form'), '/users/weibo/bindings', {});
}

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANG_KEY, lang);
  translate();
});
translate();
if (document.body.dataset.page === 'callback') callback();
else home();
