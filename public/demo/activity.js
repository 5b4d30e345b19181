// The signed-in user's recent security activity (endpoint 14), newest first.
import { api } from './api.js';
import { $, hasText, say } from './i18n.js';
import { signedInError } from './sign-in.js';

/** How many entries the account view lists: the newest ones, no paging. */
const SHOWN = 10;

export async function showActivity() {
  const answer = await api(`/users/me/activity?limit=${SHOWN}`, { signedIn: true });
  if (answer.code !== 200) return signedInError(answer);
  $('activity').replaceChildren(...answer.events.map(activityItem));
}

/** An entry: what happened (and how, for a sign-in), this session's badge, when and from where. */
function activityItem(event) {
  const item = document.createElement('li');
  item.dataset.action = event.action;
  if (event.user_agent) item.title = event.user_agent;
  const title = document.createElement('div');
  const action = document.createElement('strong');
  // An action newer than this page is shown by its name.
  if (hasText(`action_${event.action}`)) say(action, `action_${event.action}`);
  else action.textContent = event.action;
  title.append(action);
  if (event.method) {
    const method = document.createElement('span');
    method.className = 'method';
    if (hasText(`method_${event.method}`)) say(method, `method_${event.method}`);
    else method.textContent = event.method;
    title.append(' · ', method);
  }
  if (event.current_session) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    say(badge, 'thisSession');
    title.append(' ', badge);
  }
  const when = document.createElement('small');
  say(when, 'activityWhen', { at: event.at, ip: event.ip });
  item.append(title, when);
  return item;
}
