import { createFakeWeibo } from '../test/support/fake-weibo.ts';

/** The sandbox Weibo on its own port for manual curl sessions: `npx tsx scripts/fake-weibo.ts`. */
const weibo = createFakeWeibo({
  clientId: process.env.WEIBO_CLIENT_ID ?? 'dev-client-id',
  clientSecret: process.env.WEIBO_CLIENT_SECRET ?? 'dev-client-secret',
  redirectUri: process.env.WEIBO_REDIRECT_URI ?? 'http://127.0.0.1:8000/callback.html',
});
const url = await weibo.start(Number(process.env.PORT ?? 9555));
console.log(`Fake Weibo listening on ${url}`);
process.once('SIGINT', () => void weibo.stop());
process.once('SIGTERM', () => void weibo.stop());
