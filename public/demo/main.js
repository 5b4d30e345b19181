// The demo front-end of weibo-auth: plain JavaScript modules, no build step.
// index.html shows the signed-out or the signed-in view; callback.html completes a Weibo sign-in.
import { accountView, showAccount } from './account.js';
import { refreshSession } from './api.js';
import { friendsView } from './friends.js';
import { $, showError, switchLanguage, translate } from './i18n.js';
import { storedSession } from './session-store.js';
import { callback, showSignedOut, signInView } from './sign-in.js';

/** On load: signed in again with the stored refresh token, if there is one that still works. */
async function start() {
  if (!(await storedSession())) return showSignedOut();
  const refreshed = await refreshSession();
  if (refreshed.code === 200) return showAccount();
  if (refreshed.code === 10165) return showSignedOut('sessionEnded');
  await showSignedOut(undefined, { keep: true }); // the service could not answer: a reload tries again
  showError(refreshed);
}

function home() {
  signInView({ onSignedIn: showAccount });
  accountView();
  friendsView();
  start();
}

$('lang').addEventListener('click', switchLanguage);
translate();
if (document.body.dataset.page === 'callback') callback();
else home();
