// Signed in: the user's account, Weibo binding, login token, and what they can do with them.
import { showActivity } from './activity.js';
import { api, revokeRefreshToken, signInWithWeibo } from './api.js';
import { showFriends } from './friends.js';
import { $, clearMessages, say, showError } from './i18n.js';
import { loginToken, storedSession } from './session-store.js';
import { showSessions } from './sessions.js';
import { showSignedOut, signedInError } from './sign-in.js';

/** Claims that are instants, in seconds since 1970: shown as dates too. */
const TIMES = new Set(['iat', 'exp', 'nbf']);

/**
 * The claims of a JWT, decoded for display only: the service checks the token, not this page.
 * (It once returned null for a token past its `exp` by this browser's clock, from when the
 * claims decided whether the page was signed in; the account view now shows whatever the token
 * the service just accepted says, even when the two clocks disagree.)
 */
function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))),
    );
  } catch {
    return null;
  }
}

/** Every claim of the login token, a row each: its name, its value, instants also as dates. */
function showClaims(claims) {
  const rows = Object.entries(claims ?? {}).map(([name, value]) => {
    const row = document.createElement('div');
    row.dataset.claim = name;
    const term = document.createElement('dt');
    term.textContent = name;
    const detail = document.createElement('dd');
    const code = document.createElement('code');
    code.textContent = typeof value === 'string' ? value : JSON.stringify(value);
    detail.append(code);
    if (TIMES.has(name) && Number.isFinite(value)) {
      const when = document.createElement('small');
      say(when, 'claimTime', { at: new Date(value * 1000).toISOString() });
      detail.append(' ', when);
    }
    row.append(term, detail);
    return row;
  });
  $('claims').replaceChildren(...rows);
}

export async function showAccount() {
  const me = await api('/users/me', { signedIn: true });
  if (me.code !== 200) return signedInError(me);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('whoami').textContent = me.user.username;
  showClaims(claimsOf(loginToken));
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
  await Promise.all([showSessions(), showActivity(), health === 'valid' && showFriends([0])]);
}

/** The account view's buttons: Weibo, sign-outs, deleting the account. */
export function accountView() {
  $('link-weibo').addEventListener('click', signInWithWeibo);
  $('weibo-again').addEventListener('click', signInWithWeibo);
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
}
