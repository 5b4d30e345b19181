// The demo front-end of weibo-auth: plain JavaScript, no build step.
const API = '/v1/users/weibo';
const TOKEN_KEY = 'weibo-auth-demo-token';

const TEXT = {
  zh: {
    demo: '演示',
    welcome: '欢迎',
    intro: '用微博账号登录这个演示站点。',
    signin: '用微博登录',
    hello: '你好',
    claims: '你的登录令牌 (JWT) 里写着：',
    signout: '退出登录',
    working: '正在完成微博登录…',
    bindTitle: '完善你的账号',
    bindIntro: '这个微博账号还没有绑定本站账号。创建一个，下次用微博即可直接登录。',
    username: '用户名 (3-32 位字母、数字或下划线)',
    password: '密码 (至少 8 位)',
    phone: '手机号',
    email: '邮箱',
    create: '创建并绑定',
    home: '返回首页',
    switchTo: 'English',
    denied: '你取消了微博授权。',
  },
  en: {
    demo: 'demo',
    welcome: 'Welcome',
    intro: 'Sign in to this demo site with your Weibo account.',
    signin: 'Sign in with Weibo',
    hello: 'Hello',
    claims: 'Your login token (JWT) says:',
    signout: 'Sign out',
    working: 'Finishing the Weibo sign-in…',
    bindTitle: 'Complete your account',
    bindIntro:
      'This Weibo account has no account here yet. Create one; next time Weibo signs you straight in.',
    username: 'Username (3-32 letters, digits or _)',
    password: 'Password (8 characters or more)',
    phone: 'Phone',
    email: 'Email',
    create: 'Create and bind',
    home: 'Back to the home page',
    switchTo: '中文',
    denied: 'You cancelled the Weibo authorization.',
  },
};

const ERRORS = {
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
};

let lang =
  localStorage.getItem('weibo-auth-demo-lang') ||
  (navigator.language.startsWith('zh') ? 'zh' : 'en');
const $ = (id) => document.getElementById(id);

function translate() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const element of document.querySelectorAll('[data-i18n]')) {
    element.textContent = TEXT[lang][element.dataset.i18n];
  }
  $('lang').textContent = TEXT[lang].switchTo;
}

function showError(body) {
  const known = ERRORS[body?.code];
  $('error').textContent = known
    ? known[lang === 'zh' ? 0 : 1]
    : `${body?.error ?? 'Error'} (${body?.code ?? '?'})`;
  $('error').hidden = false;
}

async function api(path, options = {}) {
  const response = await fetch(`${API}${path}`, { credentials: 'same-origin', ...options });
  return response.json().catch(() => ({ code: response.status, error: response.statusText }));
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

function signedIn(token, returnTo = '/') {
  localStorage.setItem(TOKEN_KEY, token);
  location.assign(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/');
}

function home() {
  const token = localStorage.getItem(TOKEN_KEY);
  const claims = token && claimsOf(token);
  $('signed-in').hidden = !claims;
  $('signed-out').hidden = Boolean(claims);
  if (claims) {
    $('whoami').textContent = claims.username;
    $('claims').textContent = JSON.stringify(claims, null, 2);
  }
  $('signin').addEventListener('click', async () => {
    const answer = await api('/authorization?return_to=/');
    if (answer.code === 200) location.assign(answer.oauth_url);
    else showError(answer);
  });
  $('signout').addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    home();
  });
}

function suggestedUsername(profile, uid) {
  const ascii = (profile?.screen_name ?? '').replace(/[^A-Za-z0-9_]/g, '').slice(0, 32);
  return ascii.length >= 3 ? ascii : `weibo_${uid.slice(-6)}`;
}

async function callback() {
  const query = new URLSearchParams(location.search);
  if (query.get('error')) {
    $('working').hidden = true;
    $('error').textContent = TEXT[lang].denied;
    $('error').hidden = false;
    return;
  }
  const answer = await api(
    `/users?${new URLSearchParams({ code: query.get('code') ?? '', state: query.get('state') ?? '' })}`,
  );
  $('working').hidden = true;
  if (answer.code === 200) return signedIn(answer.token, answer.return_to);
  if (answer.code !== 201) return showError(answer);

  const form = $('bind-form');
  form.hidden = false;
  $('screen-name').textContent = answer.profile?.screen_name ?? `uid ${answer.uid}`;
  if (answer.profile?.avatar) {
    $('avatar').src = answer.profile.avatar;
    $('avatar').hidden = false;
  }
  $('username').value = suggestedUsername(answer.profile, answer.uid);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    $('error').hidden = true;
    const fields = Object.fromEntries(new FormData(form));
    const bound = await api('/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...fields, uid: answer.uid, bind_token: answer.bind_token }),
    });
    if (bound.code === 200) signedIn(bound.token, answer.return_to);
    else showError(bound);
  });
}

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('weibo-auth-demo-lang', lang);
  translate();
});
translate();
if (document.body.dataset.page === 'callback') callback();
else home();
