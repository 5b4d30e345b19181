import { createApp } from '../../src/adapters/http/app.ts';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.ts';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { ServiceMetrics } from '../../src/adapters/metrics/service-metrics.ts';
import { Authenticate } from '../../src/application/authenticate.ts';
import { BindAccount } from '../../src/application/bind-account.ts';
import { CompleteWeiboLogin } from '../../src/application/complete-weibo-login.ts';
import { Credentials } from '../../src/application/credentials.ts';
import { DeleteAccount } from '../../src/application/delete-account.ts';
import { FindUsers } from '../../src/application/find-users.ts';
import { HandleWeiboDeauthorization } from '../../src/application/handle-weibo-deauthorization.ts';
import { LinkWeiboAccount } from '../../src/application/link-weibo-account.ts';
import { ListActivity } from '../../src/application/list-activity.ts';
import { ListWeiboFriends } from '../../src/application/list-weibo-friends.ts';
import { LockUser } from '../../src/application/lock-user.ts';
import type { StateStore, UnitOfWork } from '../../src/application/ports.ts';
import type { SessionRepository } from '../../src/application/session-ports.ts';
import { Sessions } from '../../src/application/sessions.ts';
import { SignInWithPassword } from '../../src/application/sign-in-with-password.ts';
import { SignInWithWeiboApp } from '../../src/application/sign-in-with-weibo-app.ts';
import { StartWeiboLogin } from '../../src/application/start-weibo-login.ts';
import { UnbindWeibo } from '../../src/application/unbind-weibo.ts';
import { WeiboAuthorizationHealth } from '../../src/application/weibo-authorization-health.ts';
import { WeiboSignIn } from '../../src/application/weibo-sign-in.ts';
import {
  auditFailures,
  FakeClock,
  FakeOAuthProvider,
  FakePasswordHasher,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from './fakes.ts';
import { InMemorySessionRepository } from './in-memory-session-repository.ts';
import { silentLogger } from './silent-logger.ts';

export interface FakeAppOptions {
  states?: StateStore;
  unitOfWork?: UnitOfWork;
  oauth?: FakeOAuthProvider;
  store?: InMemoryStore;
  sessions?: SessionRepository;
  perMinute?: number;
  trustProxy?: boolean;
  corsOrigins?: string[];
  readiness?: Parameters<typeof createApp>[0]['readiness'];
  adminApiKeys?: string[];
}

/** The app key of the fakes' Weibo app: tokens issued to it are ours. */
export const FAKE_APP_KEY = '1352222456';

/** A well-formed bind form for uid 123, whose Weibo account the fakes do not hold: answered 401. */
export const FAKE_BIND_FORM = JSON.stringify({
  bind_token: 'bind:123',
  username: 'alice',
  password: 'correct horse',
  phone: '13800138000',
  email: 'a@b.cn',
});

/** The real HTTP app over every use case, wired to in-memory fakes of the ports. */
export function appWithFakes(options: FakeAppOptions = {}) {
  const clock = new FakeClock();
  const oauth = options.oauth ?? new FakeOAuthProvider();
  const limiter = new InMemoryRateLimiter(clock);
  const states = options.states ?? new InMemoryStateStore(clock, { limiter });
  const store = options.store ?? new InMemoryStore();
  const unitOfWork = options.unitOfWork ?? store;
  const tokens = new FakeTokenIssuer();
  const passwords = new FakePasswordHasher();
  const ids = new SequentialIds();
  const users = store.userRepository;
  const weiboAccounts = store.weiboAccountRepository;
  const credentials = new Credentials(
    users,
    passwords,
    { limiter, failuresPerHour: 0 },
    auditFailures(store),
  );
  const sessionStore = options.sessions ?? new InMemorySessionRepository(store);
  const sessions = new Sessions(tokens, sessionStore, clock, ids, {
    loginTtlSeconds: 3600,
    refreshTtlSeconds: 86_400,
  });
  const signIn = new WeiboSignIn(oauth, weiboAccounts, tokens, sessions);
  const health = new WeiboAuthorizationHealth(unitOfWork, clock, ids);
  return createApp({
    logger: silentLogger,
    serviceMetrics: new ServiceMetrics({
      backlog: async () => ({ unpublished: 0, oldestAgeSeconds: 0 }),
    }),
    startLogin: new StartWeiboLogin(oauth, states, 600),
    completeLogin: new CompleteWeiboLogin(oauth, states, signIn),
    listActivity: new ListActivity(store.auditLog),
    adminApiKeys: options.adminApiKeys ?? [],
    findUsers: new FindUsers(users, weiboAccounts, sessionStore, clock),
    lockUser: new LockUser(unitOfWork, clock, ids),
    signInWithWeiboApp: new SignInWithWeiboApp(oauth, clock, signIn, [FAKE_APP_KEY]),
    handleWeiboDeauthorization: new HandleWeiboDeauthorization(
      weiboAccounts,
      oauth,
      limiter,
      health,
      [FAKE_APP_KEY],
    ),
    bindAccount: new BindAccount(
      tokens,
      passwords,
      unitOfWork,
      clock,
      ids,
      { limiter, perUidPerHour: 0 },
      sessions,
    ),
    authenticate: new Authenticate(tokens, sessionStore, clock),
    signInWithPassword: new SignInWithPassword(credentials, sessions),
    listWeiboFriends: new ListWeiboFriends(weiboAccounts, oauth, clock, health),
    linkWeiboAccount: new LinkWeiboAccount(tokens, credentials, unitOfWork, clock, ids, sessions),
    unbindWeibo: new UnbindWeibo(unitOfWork, oauth, clock, ids),
    deleteAccount: new DeleteAccount(credentials, unitOfWork, oauth, clock, ids),
    sessions,
    cookieSecure: true,
    stateTtlSeconds: 600,
    corsOrigins: options.corsOrigins ?? [],
    jwks: () => ({ keys: [] }),
    readiness: options.readiness ?? [],
    rateLimit: {
      limiter,
      perMinute: options.perMinute ?? 0,
      trustProxy: options.trustProxy ?? true,
    },
    mounts: [],
  });
}
