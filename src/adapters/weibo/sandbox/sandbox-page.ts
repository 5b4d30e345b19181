import { html } from 'hono/html';
import type { SandboxUser } from './sandbox-users.ts';

/** The page where a developer plays the Weibo user: pick or type one, then approve or deny. */
export function authorizePage(action: string, users: SandboxUser[]) {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Weibo sandbox · 微博沙箱授权</title>
<link rel="icon" href="data:,">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; background: #f2f2f5; margin: 0; }
  main { max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px; padding: 24px;
    box-shadow: 0 2px 12px rgb(0 0 0 / 8%); }
  h1 { font-size: 20px; margin: 0 0 4px; color: #e6162d; }
  .note { color: #666; font-size: 14px; margin: 0 0 16px; }
  label { display: flex; gap: 8px; align-items: center; padding: 8px; border-radius: 8px; cursor: pointer; }
  label:hover { background: #fff4f4; }
  input[type=text] { width: 100%; box-sizing: border-box; padding: 8px; margin-top: 4px; font: inherit; }
  .actions { display: flex; gap: 12px; margin-top: 16px; }
  button { flex: 1; padding: 10px; border-radius: 8px; font: inherit; cursor: pointer; border: 1px solid #ccc; background: #fff; }
  button[value=approve] { background: #e6162d; border-color: #e6162d; color: #fff; }
</style>
</head>
<body>
<main>
  <h1>微博 Weibo · Sandbox</h1>
  <p class="note">这是开发用的沙箱，不是真正的微博。This is a development sandbox, not the real Weibo:
    choose who you are and approve.</p>
  <form method="post" action="${action}">
    ${users.map(
      (
        user,
        index,
      ) => html`<label><input type="radio" name="uid" value="${user.uid}" ${index === 0 ? 'checked' : ''}
        data-name="${user.screenName}"> ${user.screenName} <small>(uid ${user.uid})</small></label>`,
    )}
    <label><input type="radio" name="uid" value="" id="other"> 其他用户 Another user</label>
    <div id="custom" hidden>
      <input type="text" id="custom-uid" placeholder="uid, e.g. 1234567890" inputmode="numeric">
      <input type="text" id="custom-name" placeholder="昵称 Screen name">
    </div>
    <input type="hidden" name="screen_name" id="screen-name" value="${users[0]?.screenName ?? ''}">
    <div class="actions">
      <button type="submit" name="decision" value="deny">取消 Deny</button>
      <button type="submit" name="decision" value="approve">授权 Approve</button>
    </div>
  </form>
</main>
<script>
  const form = document.querySelector('form');
  const custom = document.getElementById('custom');
  form.addEventListener('change', () => {
    const chosen = form.querySelector('input[name=uid]:checked');
    custom.hidden = chosen.id !== 'other';
    document.getElementById('screen-name').value = chosen.dataset.name || '';
  });
  form.addEventListener('submit', () => {
    const other = document.getElementById('other');
    if (other.checked) {
      other.value = document.getElementById('custom-uid').value.trim();
      document.getElementById('screen-name').value = document.getElementById('custom-name').value;
    }
  });
</script>
</body>
</html>`;
}

const COLOURS = ['#e6162d', '#ff8200', '#1da1f2', '#17bf63', '#794bc4'];

/** A plain round avatar with the uid's last digits, so the demo shows something. */
export function avatarSvg(uid: string): string {
  const colour = COLOURS[Number(uid.slice(-1)) % COLOURS.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">
<circle cx="48" cy="48" r="48" fill="${colour}"/>
<text x="48" y="58" font-family="sans-serif" font-size="28" fill="#fff" text-anchor="middle">${uid.slice(-3)}</text>
</svg>`;
}
