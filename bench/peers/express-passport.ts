/**
 * The usual peer: Express 5, passport-oauth2 set up like Weibo's authorize URL, and
 * express-session in Redis (connect-redis on node-redis, as its README sets it up).
 * `GET /authorize` redirects to Weibo (302) with a fresh state kept in a new session, which
 * express-session writes to Redis with `SET … EX` before answering. Keys start with
 * BENCH_KEY_PREFIX (the harness deletes them after). Prints `listening <url>`.
 */
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import { createClient } from 'redis';

const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
await redis.connect();

passport.use(
  new OAuth2Strategy(
    {
      authorizationURL: 'https://api.weibo.com/oauth2/authorize',
      tokenURL: 'https://api.weibo.com/oauth2/access_token',
      clientID: 'bench-client',
      clientSecret: 'bench-secret',
      callbackURL: 'http://127.0.0.1/callback.html',
      state: true,
    },
    (
      _accessToken: string,
      _refreshToken: string,
      profile: object,
      done: (e: null, u: object) => void,
    ) => done(null, profile),
  ),
);

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: process.env.BENCH_KEY_PREFIX ?? 'bench:sess:' }),
    secret: 'bench-session-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 600_000 },
  }),
);
app.use(passport.initialize());
app.get('/authorize', passport.authenticate('oauth2', { session: false }));

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://127.0.0.1:${port}`);
});
