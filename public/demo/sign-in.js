// Signed out: the home page's sign-in (Weibo or password), and callback.html's bind form.
import { api, keepSession, signInWithWeibo } from './api.js';
import { $, clearMessages, say, showError } from './i18n.js';
import { forgetSession, setLoginToken, storedSession } from './session-store.js';

/** The signed-out view; the stored refresh token is forgotten unless `keep` (a failed refresh). */
export async function showSignedOut(notice, { keep = false } = {}) {
  if (keep) setLoginToken(null);
  else await forgetSession();
  $('signed-in').hidden = true;
  $('delete-form').reset();
  $('delete-form').hidden = true;
  $('signed-out').hidden = false;
  if (notice) say($('notice'), notice);
}

/** An error of a signed-in request; 10160 (no refresh token) or 10165 means the session is over. */
export async function signedInError(body) {
  if (body.code === 10160 || body.code === 10165) await showSignedOut();
  showError(body);
}

/** The home page's sign-in buttons; `onSignedIn` shows the account once a password signed in. */
export function signInView({ onSignedIn }) {
  $('signin').addEventListener('click', signInWithWeibo);
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
    await onSignedIn();
  });
}

// ---- The callback page: Weibo sends the user back here with a code. ----

/**
 * A sign-in on the callback page: its refresh token stored, then back to where the user was.
 * The login token dies with this page; the next one refreshes on load.
 */
async function signedIn(answer, returnTo = '/') {
  await keepSession(answer);
  location.assign(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/');
}

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

/** The callback: a bound user is signed in; an unbound one gets the bind (or link) form. */
export async function callback() {
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
