import type { Container } from 'inversify';
import { KyselyAuditLog } from '../adapters/persistence/kysely-audit-log.ts';
import { KyselyUnitOfWork } from '../adapters/persistence/kysely-unit-of-work.ts';
import { KyselyUserRepository } from '../adapters/persistence/kysely-user-repository.ts';
import { KyselyWeiboAccountRepository } from '../adapters/persistence/kysely-weibo-account-repository.ts';
import { Argon2PasswordHasher } from '../adapters/security/argon2-password-hasher.ts';
import { JoseTokenIssuer } from '../adapters/tokens/jose-token-issuer.ts';
import { AuditTrail } from '../application/audit-trail.ts';
import { Authenticate } from '../application/authenticate.ts';
import { BindAccount } from '../application/bind-account.ts';
import { CompleteWeiboLogin } from '../application/complete-weibo-login.ts';
import { Credentials } from '../application/credentials.ts';
import { DeleteAccount } from '../application/delete-account.ts';
import { FindUsers } from '../application/find-users.ts';
import { HandleWeiboDeauthorization } from '../application/handle-weibo-deauthorization.ts';
import { LinkWeiboAccount } from '../application/link-weibo-account.ts';
import { ListActivity } from '../application/list-activity.ts';
import { ListWeiboFriends } from '../application/list-weibo-friends.ts';
import { LockUser } from '../application/lock-user.ts';
import type { Clock, IdGenerator, RateLimiter, StateStore } from '../application/ports.ts';
import type { SessionRepository } from '../application/session-ports.ts';
import { Sessions } from '../application/sessions.ts';
import { SignInWithPassword } from '../application/sign-in-with-password.ts';
import { SignInWithWeiboApp } from '../application/sign-in-with-weibo-app.ts';
import { StartWeiboLogin } from '../application/start-weibo-login.ts';
import { UnbindWeibo } from '../application/unbind-weibo.ts';
import { WeiboAuthorizationHealth } from '../application/weibo-authorization-health.ts';
import type { OAuthProvider } from '../application/weibo-ports.ts';
import { WeiboSignIn } from '../application/weibo-sign-in.ts';
import type { Config } from './config.ts';
import { bindClass, bindFactory, type Token } from './typed-token.ts';

/** The ports the use cases take that are bound under tokens in `container.ts`. */
interface PortTokens {
  OAUTH_PROVIDER: Token<OAuthProvider>;
  STATE_STORE: Token<StateStore>;
  RATE_LIMITER: Token<RateLimiter>;
  SESSIONS: Token<SessionRepository>;
  CLOCK: Token<Clock>;
  IDS: Token<IdGenerator>;
}

/** Every use case, each bound under its class, built from the adapters `container.ts` binds. */
export function bindUseCases(
  container: Container,
  config: Config,
  ports: PortTokens,
  weiboClientId: string | undefined,
): void {
  const { OAUTH_PROVIDER, STATE_STORE, RATE_LIMITER, SESSIONS, CLOCK, IDS } = ports;
  const users = KyselyUserRepository;
  const weiboAccounts = KyselyWeiboAccountRepository;
  const tokens = JoseTokenIssuer;

  bindFactory(container, StartWeiboLogin, [OAUTH_PROVIDER, STATE_STORE], (oauth, states) => {
    return new StartWeiboLogin(oauth, states, config.stateTtlSeconds);
  });
  bindFactory(
    container,
    Sessions,
    [tokens, SESSIONS, CLOCK, IDS],
    (issuer, sessions, clock, ids) =>
      new Sessions(issuer, sessions, clock, ids, {
        loginTtlSeconds: config.jwt.ttlSeconds,
        refreshTtlSeconds: config.refreshTokenTtlSeconds,
      }),
  );
  bindClass(container, WeiboSignIn, [OAUTH_PROVIDER, weiboAccounts, tokens, Sessions]);
  bindClass(container, CompleteWeiboLogin, [OAUTH_PROVIDER, STATE_STORE, WeiboSignIn]);
  // Tokens the web app (WEIBO_CLIENT_ID) or a native app of ours (WEIBO_APP_KEYS) obtained.
  const appKeys = [...(weiboClientId ? [weiboClientId] : []), ...config.weiboAppKeys];
  bindFactory(
    container,
    SignInWithWeiboApp,
    [OAUTH_PROVIDER, CLOCK, WeiboSignIn],
    (oauth, clock, signIn) => new SignInWithWeiboApp(oauth, clock, signIn, appKeys),
  );
  bindClass(container, WeiboAuthorizationHealth, [KyselyUnitOfWork, CLOCK, IDS]);
  bindFactory(
    container,
    HandleWeiboDeauthorization,
    [weiboAccounts, OAUTH_PROVIDER, RATE_LIMITER, WeiboAuthorizationHealth],
    (accounts, oauth, limiter, health) =>
      new HandleWeiboDeauthorization(accounts, oauth, limiter, health, appKeys),
  );
  bindFactory(
    container,
    BindAccount,
    [tokens, Argon2PasswordHasher, KyselyUnitOfWork, CLOCK, IDS, RATE_LIMITER, Sessions],
    (issuer, passwords, unitOfWork, clock, ids, limiter, sessions) =>
      new BindAccount(
        issuer,
        passwords,
        unitOfWork,
        clock,
        ids,
        { limiter, perUidPerHour: config.bindRateLimitPerHour },
        sessions,
      ),
  );
  bindFactory(
    container,
    Credentials,
    [users, Argon2PasswordHasher, RATE_LIMITER, KyselyAuditLog, CLOCK, IDS],
    (repository, passwords, limiter, log, clock, ids) =>
      new Credentials(
        repository,
        passwords,
        { limiter, failuresPerHour: config.loginRateLimitPerHour },
        { log, trail: new AuditTrail(clock, ids) },
      ),
  );
  bindClass(container, Authenticate, [tokens, SESSIONS, CLOCK]);
  bindClass(container, ListActivity, [KyselyAuditLog]);
  bindClass(container, FindUsers, [users, weiboAccounts, SESSIONS, CLOCK]);
  bindClass(container, LockUser, [KyselyUnitOfWork, CLOCK, IDS]);
  bindClass(container, SignInWithPassword, [Credentials, Sessions]);
  bindClass(container, ListWeiboFriends, [
    weiboAccounts,
    OAUTH_PROVIDER,
    CLOCK,
    WeiboAuthorizationHealth,
  ]);
  bindClass(container, LinkWeiboAccount, [
    tokens,
    Credentials,
    KyselyUnitOfWork,
    CLOCK,
    IDS,
    Sessions,
  ]);
  bindClass(container, UnbindWeibo, [KyselyUnitOfWork, OAUTH_PROVIDER, CLOCK, IDS]);
  bindClass(container, DeleteAccount, [Credentials, KyselyUnitOfWork, OAUTH_PROVIDER, CLOCK, IDS]);
}
