// Requests to the API, signed in with the login token, refreshed with the refresh token.
import { showError } from './i18n.js';
import { asStored, loginToken, setLoginToken, stored, storedSession } from './session-store.js';

const REFRESH_LOCK = 'weibo-auth-demo-refresh';

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
export async function api(path, { method = 'GET', body, signedIn = false } = {}) {
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

/** Runs `task` holding the lock all tabs take to refresh (see the comment in session-store.js). */
function withRefreshLock(task) {
  return navigator.locks ? navigator.locks.request(REFRESH_LOCK, task) : task();
}

let refreshing = null;

/**
 * A new login token (kept in memory) and a new refresh token (stored) for the stored refresh
 * token; resolves the service's answer. 10165 (expired, revoked, ended elsewhere) forgets it.
 * Calls of one page share one refresh; tabs take turns (withRefreshLock).
 */
export function refreshSession() {
  refreshing ??= withRefreshLock(async () => {
    const presented = (await storedSession())?.refresh_token;
    if (!presented) {
      setLoginToken(null);
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
      setLoginToken(answer.token);
    } else if (answer.code === 10165) {
      await stored((found) => (unchanged(found) ? null : undefined));
      setLoginToken(null);
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
export async function keepSession(answer) {
  const replaced = (await stored(() => asStored(answer)))?.refresh_token;
  setLoginToken(answer.token);
  if (replaced && replaced !== answer.refresh_token) await revokeRefreshToken(replaced);
}

/** Ends the session of a refresh token at the service; answers 200 even for an unknown one. */
export function revokeRefreshToken(refreshToken) {
  return request('/tokens/revoke', { method: 'POST', body: { refresh_token: refreshToken } });
}

/** Off to Weibo's authorization page, which sends the user back to callback.html. */
export async function signInWithWeibo() {
  const answer = await api('/users/weibo/authorization?return_to=/');
  if (answer.code === 200) location.assign(answer.oauth_url);
  else showError(answer);
}
