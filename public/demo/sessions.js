// The signed-in user's sessions: this device's, the others' with a button to end each.
import { showActivity } from './activity.js';
import { api } from './api.js';
import { $, clearMessages, say, showError } from './i18n.js';
import { signedInError } from './sign-in.js';

export async function showSessions() {
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
  await Promise.all([showSessions(), showActivity()]);
}
