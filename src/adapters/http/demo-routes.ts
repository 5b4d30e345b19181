import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';

const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/callback.html': ['callback.html', 'text/html; charset=utf-8'],
  '/demo.js': ['demo.js', 'text/javascript; charset=utf-8'],
  '/demo.css': ['demo.css', 'text/css; charset=utf-8'],
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
