// The signed-in user's Weibo friends who use this site, a page at a time.
import { api } from './api.js';
import { $, clearMessages, say } from './i18n.js';
import { signedInError } from './sign-in.js';

/** Which friends page is shown: the cursors that led to it, the current one last. */
const pager = { cursors: [0], next: 0 };

export async function showFriends(cursors) {
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

/** The pager's buttons and page size. */
export function friendsView() {
  const turnPage = (cursors) => {
    clearMessages();
    showFriends(cursors);
  };
  $('prev').addEventListener('click', () => turnPage(pager.cursors.slice(0, -1)));
  $('next').addEventListener('click', () => turnPage([...pager.cursors, pager.next]));
  $('page-size').addEventListener('change', () => turnPage([0]));
}
