// The demo front-end of weibo-auth: plain JavaScript, no build step.
const DATABASE = 'weibo-auth-demo';
const STORE = 'session';
const RECORD = 'current';
const OLD_TOKEN_KEY = 'weibo-auth-demo-token';
const LANG_KEY = 'weibo-auth-demo-lang';
const REFRESH_LOCK = 'weibo-auth-demo-refresh';

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
    health_valid: ({ until }) => `微博授权有效，至 ${date(until)}`,
    health_expired: '微博授权已过期：请重新用微博登录。',
    health_revoked: '微博授权已被撤销（例如你在微博设置里移除了本应用）：请重新用微博登录。',
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
    sessionsTitle: '你在这些设备上登录着',
    sessionTimes: ({ created, used }) => `${dateTime(created)} 登录，最近使用 ${dateTime(used)}`,
    thisDevice: '本设备',
    unknownAgent: '未知设备',
    endSession: '让它退出',
    sessionEndedThere: '那台设备已退出登录。',
    signoutEverywhere: '在所有设备上退出',
    signedOutEverywhere: '你已在所有设备上退出登录。',
    sessionEnded: '你的登录已过期，或已在别处退出，请重新登录。',
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
    health_valid: ({ until }) => `Weibo authorization valid until ${date(until)}`,
    health_expired: 'Your Weibo authorization expired: sign in with Weibo again.',
    health_revoked:
      'Your Weibo authorization was revoked (you removed this app in Weibo, say): sign in with Weibo again.',
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
    sessionsTitle: 'Where you are signed in',
    sessionTimes: ({ created, used }) =>
      `Signed in ${dateTime(created)}, last used ${dateTime(used)}`,
    thisDevice: 'this device',
    unknownAgent: 'Unknown device',
    endSession: 'Sign it out',
    sessionEndedThere: 'That device is signed out.',
    signoutEverywhere: 'Sign out everywhere',
    signedOutEverywhere: 'You signed out everywhere.',
    sessionEnded: 'Your sign-in expired or was ended elsewhere: sign in again.',
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
  10165: [
    '你的登录已过期，或已在别处退出，请重新登录。',
    'Your sign-in expired or was ended elsewhere: sign in again.',
  ],
  10500: ['服务出错了，请稍后再试。', 'Something went wrong; try again soon.'],
};
for (const [index, language] of ['zh', 'en'].entries()) {
  TEXT[language].error = ({ code, error }) =>
    ERRORS[code] ? `${ERRORS[code][index]} (${code} ${error})` : `${error} (${code})`;
}

// What keeps the user signed in (SPEC "Sessions and keys"), and where this demo keeps it:
//
// - The login token (a JWT, sent as `Authorization: Bearer`, living `expires_in` seconds, an
//   hour by default) stays in memory only, in `loginToken` below. A reload, a new tab or the
//   navigation back from callback.html starts without one and gets a fresh one from the refresh
//   token, so no copy of it lies around in storage.
// - The refresh token (opaque, good for 30 days from its last use, replaced by a new one at
//   every use) is kept in the origin's storage, so the user stays signed in across reloads,
//   tabs and browser restarts, which is the point of it. The price: any script running on
//   this origin (an XSS hole, a compromised third-party script) can read it and carry it away,
//   and with it the session, until it expires or is ended in the session list. This demo is
//   static files with no backend of its own, so a store that JavaScript can read is its only
//   option. A production front-end with its own backend would keep the refresh token in an
//   HttpOnly, Secure, SameSite cookie that no script can read, and refresh through that
//   backend. Rotation limits the damage of a theft: the thief and the user hold the same
//   chain, and whichever presents a used token second gets 10165 and ends the session for both.
// - Sign-out revokes the refresh token at the service, then forgets both tokens here.
//
// Two tabs refreshing at once would present the same refresh token twice, which the service
// takes for theft and answers by ending the session. So a refresh holds a Web Lock shared by
// every tab of this origin, and reads the stored token only once it holds it: a tab that
// waited presents the token the one before it stored, not the used one. That read must see the
// other tab's write, which is why the token is in IndexedDB and not in localStorage: it is as
// exposed to scripts and lives as long, but a transaction sees every transaction committed
// before it, whichever tab committed it, while Chromium keeps a copy of localStorage in each
// tab and brings it up to date only a moment later (the browser test caught a tab presenting
// the used token that way). Web Locks exist in every current browser, but only in secure
// contexts (https, or http on localhost); elsewhere the demo refreshes unlocked and accepts
// the risk: two tabs loading at the same instant may end the session, and the user signs in again.
let loginToken = null;

let database;

function openDatabase() {
  database ??= new Promise((resolve, reject) => {
    const opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  return database;
}

/**
 * One transaction on the stored sign-in, `{refresh_token, username}` (the username prefills
 * forms): resolves the record found (or null). With `change`, it is replaced in the same
 * transaction by what `change(found)` gives: a record, null for none, undefined to leave it.
 */
async function stored(change) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, change ? 'readwrite' : 'readonly');
    const store = transaction.objectStore(STORE);
    const reading = store.get(RECORD);
    reading.onsuccess = () => {
      const next = change?.(reading.result ?? null);
      if (next === null) store.delete(RECORD);
      else if (next !== undefined) store.put(next, RECORD);
    };
    transaction.oncomplete = () => resolve(reading.result ?? null);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const storedSession = () => stored();
const asStored = ({ refresh_token, username }) => ({ refresh_token, username });

function forgetSession() {
  loginToken = null;
  return stored(() => null);
}

// Where earlier versions of the demo kept the login token.
localStorage.removeItem(OLD_TOKEN_KEY);
sessionStorage.removeItem(OLD_TOKEN_KEY);

let lang = localStorage.getItem(LANG_KEY) || (navigator.language.startsWith('zh') ? 'zh' : 'en');
const $ = (id) => document.getElementById(id);
const locale = () => (lang === 'zh' ? 'zh-CN' : 'en');
const date = (iso) => new Date(iso).toLocaleDateString(locale());
const dateTime = (iso) =>
  new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });

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

/** One request to the API: its JSON answer, or `{code, error}` made up when there is none. */
async function request(path, { method = 'GET', body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
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

/**
 * A call to the API, `signedIn` with the login token. One the service refuses (10160: past its
 * hour, or this page has none yet) is refreshed once with the refresh token and the call sent
 * again; the service refused the first before doing anything, so even a DELETE may be repeated.
 */
async function api(path, { method = 'GET', body, signedIn = false } = {}) {
  if (signedIn && !loginToken && (await storedSession())) {
    const refreshed = await refreshSession();
    if (refreshed.code !== 200) return refreshed;
  }
  const sent = signedIn ? loginToken : null;
  const answer = await request(path, { method, body, token: sent });
  if (!signedIn || answer.code !== 10160 || !(await storedSession())) return answer;
  if (loginToken === sent) {
    const refreshed = await refreshSession();
    if (refreshed.code !== 200) return refreshed;
  } // else another call of this page has refreshed meanwhile
  return request(path, { method, body, token: loginToken });
}

/** Runs `task` holding the lock all tabs take to refresh (see the comment on storage above). */
function withRefreshLock(task) {
  return navigator.locks ? navigator.locks.request(REFRESH_LOCK, task) : task();
}

let refreshing = null;

/**
 * A new login token (kept in memory) and a new refresh token (stored) for the stored refresh
 * token; resolves the service's answer. 10165 (expired, revoked, ended elsewhere) forgets it.
 * Calls of one page share one refresh; tabs take turns (withRefreshLock).
 */
function refreshSession() {
  refreshing ??= withRefreshLock(async () => {
    const presented = (await storedSession())?.refresh_token;
    if (!presented) {
      loginToken = null;
      return { code: 10165, error: 'Session expired' };
    }
    const answer = await request('/tokens/refresh', {
      method: 'POST',
      body: { refresh_token: presented },
    });
    // Stored in place of the presented token, unless a sign-in or a sign-out (which take no
    // lock) has replaced that meanwhile: theirs is newer than this answer.
    const unchanged = (found) => found?.refresh_token === presented;
    if (answer.code === 200) {
      await stored((found) => (unchanged(found) ? asStored(answer) : undefined));
      loginToken = answer.token;
    } else if (answer.code === 10165) {
      await stored((found) => (unchanged(found) ? null : undefined));
      loginToken = null;
    } // else (service unreachable, 5xx, 429): the stored token is kept for the next try
    return answer;
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * Keeps the tokens of a sign-in. A sign-in while signed in (linking Weibo, signing in with
 * Weibo again) starts a new session: the one it replaces is ended, not left behind.
 */
async function keepSession(answer) {
  const replaced = (await stored(() => asStored(answer)))?.refresh_token;
  loginToken = answer.token;
  if (replaced && replaced !== answer.refresh_token) await revokeRefreshToken(replaced);
}

/** Ends the session of a refresh token at the service; answers 200 even for an unknown one. */
function revokeRefreshToken(refreshToken) {
  return request('/tokens/revoke', { method: 'POST', body: { refresh_token: refreshToken } });
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

/**
 * A sign-in on the callback page: its refresh token stored, then back to where the user was.
 * The login token dies with this page; the next one refreshes on load.
 */
async function signedIn(answer, returnTo = '/') {
  await keepSession(answer);
  location.assign(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/');
}

// ---- The home page: signed out, or the signed-in user's account. ----

/** Which friends page is shown: the cursors that led to it, the current one last. */
const pager = { cursors: [0], next: 0 };

/** The signed-out view; the stored refresh token is forgotten unless `keep` (a failed refresh). */
async function showSignedOut(notice, { keep = false } = {}) {
  if (keep) loginToken = null;
  else await forgetSession();
  $('signed-in').hidden = true;
  $('delete-form').reset();
  $('delete-form').hidden = true;
  $('signed-out').hidden = false;
  if (notice) say($('notice'), notice);
}

/** An error of a signed-in request; 10160 (no refresh token) or 10165 means the session is over. */
async function signedInError(body) {
  if (body.code === 10160 || body.code === 10165) await showSignedOut();
  showError(body);
}

async function showAccount() {
  const me = await api('/users/me', { signedIn: true });
  if (me.code !== 200) return signedInError(me);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('whoami').textContent = me.user.username;
  $('claims').textContent = JSON.stringify(claimsOf(loginToken), null, 2);
  const bound = me.weibo !== null;
  if (bound) say($('weibo-status'), 'weiboBound', { uid: me.weibo.uid, since: me.weibo.bound_at });
  else say($('weibo-status'), 'weiboUnbound');
  // The authorization's health: a lost one asks for a new Weibo sign-in instead of friends.
  const health = bound ? me.weibo.authorization : null;
  if (health) say($('weibo-health'), `health_${health}`, { until: me.weibo.token_expires_at });
  else $('weibo-health').hidden = true;
  $('weibo-health').dataset.health = health ?? '';
  $('weibo-again').hidden = health === null || health === 'valid';
  $('unbind').hidden = !bound;
  $('link-weibo').hidden = bound;
  $('friends-box').hidden = health !== 'valid';
  await Promise.all([showSessions(), health === 'valid' && showFriends([0])]);
}

/** The user's sessions: this device's, the others' with a button to end each. */
async function showSessions() {
  const answer = await api('/users/me/sessions', { signedIn: true });
  if (answer.code !== 200) return signedInError(answer);
  $('sessions').replaceChildren(...answer.sessions.map(sessionItem));
}

function sessionItem(session) {
  const item = document.createElement('li');
  item.dataset.id = session.id;
  item.classList.toggle('current', session.current);
  const title = document.createElement('div');
  const agent = document.createElement('strong');
  const described = describeAgent(session.user_agent);
  if (described) agent.textContent = described;
  else say(agent, 'unknownAgent');
  if (session.user_agent) agent.title = session.user_agent;
  title.append(agent);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    say(badge, 'thisDevice');
    title.append(' ', badge);
  }
  const times = document.createElement('small');
  say(times, 'sessionTimes', { created: session.created_at, used: session.last_used_at });
  item.append(title, times);
  if (!session.current) {
    const end = document.createElement('button');
    end.type = 'button';
    end.className = 'end';
    say(end, 'endSession');
    end.addEventListener('click', () => endSession(session.id, end));
    item.append(end);
  }
  return item;
}

/** "Chrome · Windows" for a browser's User-Agent; any other is shown as it is, cut short. */
function describeAgent(agent) {
  if (!agent) return null;
  const browsers = [
    [/Edg\//, 'Edge'],
    [/OPR\//, 'Opera'],
    [/Firefox\/|FxiOS\//, 'Firefox'],
    [/Chrome\/|CriOS\//, 'Chrome'],
    [/Version\/[\d.]+.*Safari\//, 'Safari'],
  ];
  const systems = [
    [/Android/, 'Android'],
    [/iPhone|iPad|iPod/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Macintosh|Mac OS X/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([pattern]) => pattern.test(agent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(agent))?.[1];
  if (browser && system) return `${browser} · ${system}`;
  return agent.length > 80 ? `${agent.slice(0, 79)}…` : agent;
}

async function endSession(id, button) {
  clearMessages();
  button.disabled = true;
  const answer = await api(`/users/me/sessions/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    signedIn: true,
  });
  // 404: it ended meanwhile, and the list shows it gone.
  if (answer.code === 200) say($('notice'), 'sessionEndedThere');
  else if (answer.code === 404) showError(answer);
  else return signedInError(answer);
  await showSessions();
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
    await keepSession(answer);
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
  $('signout').addEventListener('click', async () => {
    clearMessages();
    const session = await storedSession();
    // Forgotten here whatever the service answers: the user asked to be signed out.
    const answer = session ? await revokeRefreshToken(session.refresh_token) : { code: 200 };
    await showSignedOut('signedOut');
    if (answer.code !== 200) showError(answer);
  });
  $('signout-everywhere').addEventListener('click', async () => {
    clearMessages();
    const answer = await api('/users/me/sessions', { method: 'DELETE', signedIn: true });
    if (answer.code !== 200) return signedInError(answer);
    await showSignedOut('signedOutEverywhere');
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
    await showSignedOut('deleted');
  });
  start();
}

/** On load: signed in again with the stored refresh token, if there is one that still works. */
async function start() {
  if (!(await storedSession())) return showSignedOut();
  const refreshed = await refreshSession();
  if (refreshed.code === 200) return showAccount();
  if (refreshed.code === 10165) return showSignedOut('sessionEnded');
  await showSignedOut(undefined, { keep: true }); // the service could not answer: a reload tries again
  showError(refreshed);
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
  if (answer.code === 200) return signedIn(answer, answer.return_to);
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
  $('link-username').value = (await storedSession())?.username ?? '';
  $('have-account').addEventListener('click', () => chooseForm('link-form'));
  $('new-account').addEventListener('click', () => chooseForm('bind-form'));

  const submit = (form, path, extra) =>
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      $('error').hidden = true;
      const fields = Object.fromEntries(new FormData(form));
      const body = { ...fields, ...extra, bind_token: answer.bind_token };
      const bound = await api(path, { method: 'POST', body });
      if (bound.code === 200) signedIn(bound, answer.return_to);
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
