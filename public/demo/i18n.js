// The page's language: the words of strings.js, dates in the language shown, and messages.
import { TEXT } from './strings.js';

const LANG_KEY = 'weibo-auth-demo-lang';

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

let lang = localStorage.getItem(LANG_KEY) || (navigator.language.startsWith('zh') ? 'zh' : 'en');
export const $ = (id) => document.getElementById(id);
const locale = () => (lang === 'zh' ? 'zh-CN' : 'en');
const date = (iso) => new Date(iso).toLocaleDateString(locale());
const dateTime = (iso) =>
  new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
const FORMATS = { date, dateTime };

export function t(key, vars) {
  const entry = TEXT[lang][key];
  return typeof entry === 'function' ? entry(vars ?? {}, FORMATS) : entry;
}

/** Whether there are words for `key` (an action the API added after this page, say). */
export const hasText = (key) => key in TEXT[lang];

/** Every element with `data-i18n` (and its `data-vars`) is written in the current language. */
export function translate() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const element of document.querySelectorAll('[data-i18n]')) {
    const vars = element.dataset.vars && JSON.parse(element.dataset.vars);
    element.textContent = t(element.dataset.i18n, vars);
  }
  $('lang').textContent = TEXT[lang].switchTo;
}

/** The other language, kept for the next visit. */
export function switchLanguage() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANG_KEY, lang);
  translate();
}

/** Shows `element` saying `key`, kept translated when the language changes. */
export function say(element, key, vars) {
  element.dataset.i18n = key;
  if (vars) element.dataset.vars = JSON.stringify(vars);
  else delete element.dataset.vars;
  element.textContent = t(key, vars);
  element.hidden = false;
}

export function showError(body) {
  say($('error'), 'error', { code: body?.code ?? 0, error: body?.error ?? 'Error' });
  if ($('weibo-again')) $('weibo-again').hidden = body?.code !== 10161;
}

export function clearMessages() {
  for (const id of ['error', 'notice', 'weibo-again']) if ($(id)) $(id).hidden = true;
}
