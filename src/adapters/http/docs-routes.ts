import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';

/** A file of the docs page: its body, read once, and the headers it is served with. */
type DocsFile = [body: Uint8Array<ArrayBuffer>, headers: Record<string, string>];

const PAGE_CACHE = 'no-cache';
// The page names the files with the package's version: a day's cache never mixes versions.
const ASSET_CACHE = 'public, max-age=86400';
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// Our own script, not inline, so that the page's CSP allows no inline script.
const START = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

// Swagger UI styles its elements through the DOM, which style-src 'self' allows.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

let files: Map<string, DocsFile> | undefined;

/** Every file of `/docs` by its path: Swagger UI from the installed swagger-ui-dist, no CDN. */
function docsFiles(): Map<string, DocsFile> {
  if (files) return files;
  const manifest = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json');
  const folder = path.dirname(manifest);
  const version = `?v=${JSON.parse(readFileSync(manifest, 'utf8')).version}`;
  files = new Map<string, DocsFile>([
    [
      '/docs',
      [
        utf8(page(version)),
        { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP },
      ],
    ],
    ['/docs/start.js', [utf8(START), { 'Content-Type': 'text/javascript; charset=utf-8' }]],
  ]);
  for (const [file, type] of Object.entries(ASSETS)) {
    const body = readFileSync(path.join(folder, file));
    files.set(`/docs/${file}`, [body, { 'Content-Type': type, 'Cache-Control': ASSET_CACHE }]);
  }
  return files;
}

/** `GET /docs`: an interactive reference of `GET /openapi.json` (Swagger UI), offline. */
export function docsRoutes(): Hono {
  const app = new Hono();
  for (const [route, [body, headers]] of docsFiles()) {
    app.get(route, (c) => c.body(body, 200, { 'Cache-Control': PAGE_CACHE, ...headers }));
  }
  app.get('/docs/', (c) => c.redirect('/docs', 301));
  return app;
}

function page(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>weibo-auth API</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png${version}">
  <link rel="stylesheet" href="/docs/swagger-ui.css${version}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js${version}"></script>
  <script src="/docs/start.js"></script>
</body>
</html>
`;
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}
