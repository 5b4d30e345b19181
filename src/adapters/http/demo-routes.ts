import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';

const SCRIPT = 'text/javascript; charset=utf-8';

/** The files served, by route; the scripts are the modules `public/demo/main.js` imports. */
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/callback.html': ['callback.html', 'text/html; charset=utf-8'],
  '/demo.css': ['demo.css', 'text/css; charset=utf-8'],
  '/demo/main.js': ['demo/main.js', SCRIPT],
  '/demo/i18n.js': ['demo/i18n.js', SCRIPT],
  '/demo/strings.js': ['demo/strings.js', SCRIPT],
  '/demo/session-store.js': ['demo/session-store.js', SCRIPT],
  '/demo/api.js': ['demo/api.js', SCRIPT],
  '/demo/sign-in.js': ['demo/sign-in.js', SCRIPT],
  '/demo/account.js': ['demo/account.js', SCRIPT],
  '/demo/sessions.js': ['demo/sessions.js', SCRIPT],
  '/demo/friends.js': ['demo/friends.js', SCRIPT],
  '/demo/activity.js': ['demo/activity.js', SCRIPT],
};

/** The demo front-end in `public/`, read once; found from here in `src/` and in `dist/src/`. */
export function demoRoutes(): Hono {
  const folder = publicFolder(import.meta.dirname);
  const app = new Hono();
  for (const [route, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(path.join(folder, file));
    app.get(route, (c) => c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' }));
  }
  return app;
}

function publicFolder(from: string): string {
  for (let folder = from; folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'public', 'index.html'))) return path.join(folder, 'public');
  }
  throw new Error(`no public/ folder with the demo above ${from}`);
}
