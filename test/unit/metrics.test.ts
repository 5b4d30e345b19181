import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../../src/adapters/memory/in-memory-state-store.ts';
import { MeteredOAuthProvider } from '../../src/adapters/metrics/metered-oauth-provider.ts';
import { MeteredOutboxStore } from '../../src/adapters/metrics/metered-outbox-store.ts';
import { MeteredSessionRepository } from '../../src/adapters/metrics/metered-session-repository.ts';
import { MeteredStateStore } from '../../src/adapters/metrics/metered-state-store.ts';
import { ServiceMetrics } from '../../src/adapters/metrics/service-metrics.ts';
import { OutboxRelay } from '../../src/adapters/outbox/outbox-relay.ts';
import {
  OAuthCodeRejected,
  OAuthProviderUnavailable,
  StateStoreUnavailable,
  WeiboAuthorizationExpired,
} from '../../src/application/errors.ts';
import type { EventPublisher, OutboxStore } from '../../src/application/outbox-ports.ts';
import type { PendingLogin } from '../../src/application/ports.ts';
import { Sessions } from '../../src/application/sessions.ts';
import type { OAuthProvider } from '../../src/application/weibo-ports.ts';
import { RefreshTokenReused, SessionExpired } from '../../src/domain/errors.ts';
import type { WeiboFriendsPage, WeiboGrant } from '../../src/domain/weibo-account.ts';
import { aUserProfile } from '../support/builders.ts';
import {
  FakeClock,
  FakeOAuthProvider,
  FakeTokenIssuer,
  InMemoryStore,
  SequentialIds,
} from '../support/fakes.ts';
import { InMemoryOutboxStore } from '../support/in-memory-outbox-store.ts';
import { InMemorySessionRepository } from '../support/in-memory-session-repository.ts';
import { silentLogger } from '../support/silent-logger.ts';

const GRANT: WeiboGrant = { uid: '1404376560', accessToken: 'token', expiresAt: null };
const PENDING: PendingLogin = { returnTo: '/', browserBindingHash: 'hash' };

/** A sample line of the exposition: `name{labels} value`, label values without commas. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;

/** The value of the sample with exactly these labels, or undefined when it is not exposed. */
async function sample(metrics: ServiceMetrics, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of (await metrics.text()).body.split('\n')) {
    const [, sampleName, labelText, value] = SAMPLE.exec(line) ?? [];
    const have = labelText ? labelText.split(',') : [];
    const same = have.length === wanted.length && wanted.every((label) => have.includes(label));
    if (sampleName === name && same) return Number(value);
  }
  return undefined;
}

let clock: FakeClock;
let outbox: InMemoryOutboxStore;
let metrics: ServiceMetrics;

beforeEach(() => {
  clock = new FakeClock();
  outbox = new InMemoryOutboxStore(clock);
  metrics = new ServiceMetrics(outbox);
});

function addEvent(id: string): void {
  outbox.add({ id, type: 'UserBoundToWeibo', envelope: { id } });
}

describe('ServiceMetrics', () => {
  it('exposes the default process and Node metrics', async () => {
    const { body } = await metrics.text();
    expect(body).toMatch(/^process_cpu_user_seconds_total \S+$/m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \S+$/m);
  });

  it('writes an exposition that parses as Prometheus text', async () => {
    metrics.observeHttpRequest({ method: 'GET', route: '/users/:id', status: 200 }, 0.02);
    metrics.observeWeiboCall('oauth2/access_token', 'ok', 0.3);
    const { contentType, body } = await metrics.text();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const label = String.raw`[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*"`;
    // prom-client writes NaN as `Nan`; Prometheus reads float values ignoring case.
    const value = '(?:-?[0-9.]+(?:e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)';
    const line = new RegExp(String.raw`^[a-zA-Z_:][\w:]*(?:\{${label}(?:,${label})*\})? ${value}$`);
    const lines = body.split('\n').filter((text) => text !== '');
    const comments = lines.filter((text) => text.startsWith('#'));
    expect(lines.length - comments.length).toBeGreaterThan(20);
    expect(lines.filter((text) => !text.startsWith('#') && !line.test(text))).toEqual([]);
    expect(comments.filter((text) => !/^# (HELP|TYPE) [a-zA-Z_:][\w:]* \S/.test(text))).toEqual([]);
    expect(body).toContain('# TYPE weibo_auth_http_request_duration_seconds histogram');
    expect(body).toContain('# TYPE weibo_auth_outbox_backlog gauge');
  });

  it('keeps the metrics of each instance apart', async () => {
    const other = new ServiceMetrics(new InMemoryOutboxStore());
    metrics.countStateIssued();
    expect(await sample(metrics, 'weibo_auth_state_nonces_issued_total')).toBe(1);
    expect(await sample(other, 'weibo_auth_state_nonces_issued_total')).toBe(0);
  });

  it('reads the outbox backlog and the age of its oldest event at scrape time', async () => {
    expect(await sample(metrics, 'weibo_auth_outbox_backlog')).toBe(0);
    expect(await sample(metrics, 'weibo_auth_outbox_oldest_age_seconds')).toBe(0);
    addEvent('a');
    clock.advance(30);
    addEvent('b');
    clock.advance(15);
    expect(await sample(metrics, 'weibo_auth_outbox_backlog')).toBe(2);
    expect(await sample(metrics, 'weibo_auth_outbox_oldest_age_seconds')).toBe(45);
  });

  it('reads the backlog once for both gauges of a scrape', async () => {
    let reads = 0;
    const counted = new ServiceMetrics({
      backlog: async () => {
        reads += 1;
        return { unpublished: 1, oldestAgeSeconds: 2 };
      },
    });
    await counted.text();
    expect(reads).toBe(1);
  });

  it('keeps the last backlog values when reading the backlog fails or hangs', async () => {
    let read: () => Promise<{ unpublished: number; oldestAgeSeconds: number }> = async () => ({
      unpublished: 3,
      oldestAgeSeconds: 60,
    });
    const flaky = new ServiceMetrics({ backlog: () => read() }, 50);
    expect(await sample(flaky, 'weibo_auth_outbox_backlog')).toBe(3);
    read = () => Promise.reject(new Error('database down'));
    expect(await sample(flaky, 'weibo_auth_outbox_backlog')).toBe(3);
    read = () => new Promise(() => {});
    expect(await sample(flaky, 'weibo_auth_outbox_oldest_age_seconds')).toBe(60);
  });
});

describe('MeteredOutboxStore', () => {
  let down: boolean;
  let relay: OutboxRelay;

  beforeEach(() => {
    down = true;
    const broker: EventPublisher = {
      publish: async () => {
        if (down) throw new Error('Redis is down');
      },
      close: async () => {},
    };
    const options = { batchSize: 10, pollIntervalMs: 60_000, retryMaxMs: 1_000 };
    relay = new OutboxRelay(new MeteredOutboxStore(outbox, metrics), broker, silentLogger, {
      ...options,
      retryBaseMs: 100,
      publishTimeoutMs: 1_000,
    });
  });

  it('shows the backlog rising while the broker is down and falling to 0 once it is back', async () => {
    addEvent('a');
    addEvent('b');
    await relay.relayBatch();
    expect(await sample(metrics, 'weibo_auth_outbox_events_failed_total')).toBe(2);
    addEvent('c');
    clock.advance(10);
    expect(await sample(metrics, 'weibo_auth_outbox_backlog')).toBe(3);
    expect(await sample(metrics, 'weibo_auth_outbox_oldest_age_seconds')).toBe(10);

    down = false;
    await relay.relayBatch();
    expect(await sample(metrics, 'weibo_auth_outbox_events_published_total')).toBe(3);
    expect(await sample(metrics, 'weibo_auth_outbox_events_failed_total')).toBe(2);
    expect(await sample(metrics, 'weibo_auth_outbox_backlog')).toBe(0);
    expect(await sample(metrics, 'weibo_auth_outbox_oldest_age_seconds')).toBe(0);
  });

  it('counts nothing when the store does not commit the outcome', async () => {
    const failing: OutboxStore = {
      claim: async (_, work) => {
        await work([{ id: 'a', type: 'T', envelope: {}, attempts: 0 }]);
        throw new Error('connection lost before the commit');
      },
      backlog: () => outbox.backlog(),
    };
    const store = new MeteredOutboxStore(failing, metrics);
    const outcome = { published: ['a'], failed: [] };
    await expect(store.claim(10, async () => outcome)).rejects.toThrow('connection lost');
    expect(await sample(metrics, 'weibo_auth_outbox_events_published_total')).toBe(0);
  });
});

describe('MeteredOAuthProvider', () => {
  let weibo: FakeOAuthProvider;
  let provider: MeteredOAuthProvider;
  const calls = (endpoint: string, outcome: string) =>
    sample(metrics, 'weibo_auth_weibo_calls_total', { endpoint, outcome, error_code: '' });

  beforeEach(() => {
    weibo = new FakeOAuthProvider();
    weibo.grants.set('code', GRANT);
    provider = new MeteredOAuthProvider(weibo, metrics);
  });

  it('counts and times a code exchange Weibo accepts as ok', async () => {
    expect(await provider.exchangeCode('code')).toEqual(GRANT);
    expect(await calls('oauth2/access_token', 'ok')).toBe(1);
    const duration = 'weibo_auth_weibo_call_duration_seconds_count';
    const labels = { endpoint: 'oauth2/access_token', outcome: 'ok' };
    expect(await sample(metrics, duration, labels)).toBe(1);
  });

  it.each([
    ['refused', new OAuthCodeRejected('Weibo refused the authorization code')],
    ['unavailable', new OAuthProviderUnavailable('Weibo is unreachable')],
    ['error', new TypeError('a bug')],
  ])('counts a code exchange as %s and rethrows its error unchanged', async (outcome, error) => {
    weibo.failure = error;
    await expect(provider.exchangeCode('code')).rejects.toBe(error);
    expect(await calls('oauth2/access_token', outcome)).toBe(1);
    expect(await calls('oauth2/access_token', 'ok')).toBeUndefined();
  });

  it('counts a profile as ok, and a profile Weibo did not give as unavailable', async () => {
    expect(await provider.fetchProfile(GRANT)).toEqual(weibo.profile);
    weibo.profile = null;
    expect(await provider.fetchProfile(GRANT)).toBeNull();
    expect(await calls('2/users/show.json', 'ok')).toBe(1);
    expect(await calls('2/users/show.json', 'unavailable')).toBe(1);
  });

  it('does not count building the authorization URL as a call', async () => {
    const url = provider.authorizationUrl({ state: 's', forceLogin: false });
    expect(url).toBe(weibo.authorizationUrl({ state: 's', forceLogin: false }));
    expect((await metrics.text()).body).not.toMatch(/^weibo_auth_weibo_calls_total\{/m);
  });
});

describe('MeteredOAuthProvider for friends and revocations', () => {
  const PAGE: WeiboFriendsPage = { users: [], nextCursor: 0, previousCursor: 0, totalNumber: 0 };
  let friends: () => Promise<WeiboFriendsPage>;
  let revoked: () => Promise<boolean>;
  let received: unknown[];
  let provider: MeteredOAuthProvider;
  const calls = (endpoint: string, outcome: string) =>
    sample(metrics, 'weibo_auth_weibo_calls_total', { endpoint, outcome, error_code: '' });

  beforeEach(() => {
    friends = async () => PAGE;
    revoked = async () => true;
    received = [];
    const weibo: OAuthProvider = {
      authorizationUrl: () => 'https://weibo.example/oauth2/authorize',
      exchangeCode: async () => GRANT,
      fetchProfile: async () => null,
      fetchFriends: (grant, page) => {
        received.push(grant, page);
        return friends();
      },
      tokenInfo: async () => ({ uid: GRANT.uid, appKey: 'app', expiresIn: 60 }),
      revokeToken: (accessToken) => {
        received.push(accessToken);
        return revoked();
      },
    };
    provider = new MeteredOAuthProvider(weibo, metrics);
  });

  it('counts and times a page of friends as ok, passing the grant and page on', async () => {
    const grant = { uid: GRANT.uid, accessToken: GRANT.accessToken };
    expect(await provider.fetchFriends(grant, { cursor: 5, count: 3 })).toBe(PAGE);
    expect(received).toEqual([grant, { cursor: 5, count: 3 }]);
    expect(await calls('2/friendships/friends.json', 'ok')).toBe(1);
    const duration = 'weibo_auth_weibo_call_duration_seconds_count';
    const labels = { endpoint: '2/friendships/friends.json', outcome: 'ok' };
    expect(await sample(metrics, duration, labels)).toBe(1);
  });

  it.each([
    [
      'refused',
      new WeiboAuthorizationExpired('Weibo refused the access token: error 21327', 'expired'),
    ],
    ['unavailable', new OAuthProviderUnavailable('Weibo is unreachable')],
    ['error', new TypeError('a bug')],
  ])('counts a page of friends as %s and rethrows its error unchanged', async (outcome, error) => {
    friends = () => Promise.reject(error);
    await expect(provider.fetchFriends(GRANT, { cursor: 0, count: 5 })).rejects.toBe(error);
    expect(await calls('2/friendships/friends.json', outcome)).toBe(1);
    expect(await calls('2/friendships/friends.json', 'ok')).toBeUndefined();
  });

  it('counts a revocation Weibo confirmed as ok, and one it did not as unavailable', async () => {
    expect(await provider.revokeToken('token')).toBe(true);
    revoked = async () => false;
    expect(await provider.revokeToken('token')).toBe(false);
    expect(received).toEqual(['token', 'token']);
    expect(await calls('oauth2/revokeoauth2', 'ok')).toBe(1);
    expect(await calls('oauth2/revokeoauth2', 'unavailable')).toBe(1);
  });
});

describe('MeteredStateStore', () => {
  let states: MeteredStateStore;

  beforeEach(() => {
    states = new MeteredStateStore(new InMemoryStateStore(clock), metrics);
  });

  it('counts a state nonce as issued once it is saved', async () => {
    await states.save('state', PENDING, 60);
    expect(await sample(metrics, 'weibo_auth_state_nonces_issued_total')).toBe(1);
    expect(await states.consume('state')).toEqual(PENDING);
  });

  it('counts no state nonce issued when the store cannot save it', async () => {
    const down = new MeteredStateStore(
      {
        save: () => Promise.reject(new StateStoreUnavailable('Redis is down')),
        consume: async () => null,
      },
      metrics,
    );
    await expect(down.save('state', PENDING, 60)).rejects.toThrow(StateStoreUnavailable);
    expect(await sample(metrics, 'weibo_auth_state_nonces_issued_total')).toBe(0);
  });

  it('leaves refusals to the HTTP edge, so an unknown state is not counted twice', async () => {
    expect(await states.consume('unknown')).toBeNull();
    expect(await sample(metrics, 'weibo_auth_state_nonces_refused_total')).toBe(0);
  });
});

describe('MeteredSessionRepository', () => {
  const alice = aUserProfile({ id: 'user-1', username: 'alice' });
  const bob = aUserProfile({ id: 'user-2', username: 'bob' });
  let store: InMemoryStore;
  let sessions: Sessions;
  const counted = (event: string) => sample(metrics, 'weibo_auth_sessions_total', { event });

  beforeEach(async () => {
    store = new InMemoryStore();
    await store.userRepository.add(alice);
    await store.userRepository.add(bob);
    const repository = new MeteredSessionRepository(new InMemorySessionRepository(store), metrics);
    sessions = new Sessions(new FakeTokenIssuer(), repository, clock, new SequentialIds(), {
      loginTtlSeconds: 3600,
      refreshTtlSeconds: 86_400,
    });
  });

  it('counts nothing for a session started', async () => {
    await sessions.start(alice, {}, 'password');
    expect((await metrics.text()).body).not.toMatch(/^weibo_auth_sessions_total\{/m);
  });

  it('counts each refresh token rotated as refreshed', async () => {
    const started = await sessions.start(alice, {}, 'password');
    const refreshed = await sessions.refresh(started.refreshToken);
    await sessions.refresh(refreshed.refreshToken);
    expect(await counted('refreshed')).toBe(2);
  });

  it('counts a used refresh token coming back as reused, not as refreshed', async () => {
    const started = await sessions.start(alice, {}, 'password');
    await sessions.refresh(started.refreshToken);
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(RefreshTokenReused);
    expect(await counted('reused')).toBe(1);
    expect(await counted('refreshed')).toBe(1);
  });

  it('counts nothing for an unknown or expired refresh token', async () => {
    const started = await sessions.start(alice, {}, 'password');
    await expect(sessions.refresh('A'.repeat(43))).rejects.toThrow(SessionExpired);
    clock.advance(86_400);
    await expect(sessions.refresh(started.refreshToken)).rejects.toThrow(SessionExpired);
    expect((await metrics.text()).body).not.toMatch(/^weibo_auth_sessions_total\{/m);
  });

  it('counts a sign-out with a refresh token as revoked', async () => {
    const started = await sessions.start(alice, {}, 'password');
    await sessions.revoke(started.refreshToken);
    expect(await counted('revoked')).toBe(1);
  });

  it('counts a session its user ended as revoked', async () => {
    await sessions.start(alice, {}, 'password');
    await sessions.start(alice, {}, 'password');
    const [ending] = await sessions.list(alice.id);
    await expect(sessions.end(alice.id, ending?.id ?? '')).resolves.toBe(true);
    expect(await counted('revoked')).toBe(1);
  });

  it('counts nothing for a session the user could not end', async () => {
    await sessions.start(bob, {}, 'password');
    const [bobs] = await sessions.list(bob.id);
    await expect(sessions.end(alice.id, bobs?.id ?? '')).resolves.toBe(false);
    await expect(sessions.end(alice.id, 'no-such-session')).resolves.toBe(false);
    expect(await counted('revoked')).toBeUndefined();
  });

  it('counts each session a sign-out everywhere ended as revoked', async () => {
    await sessions.start(alice, {}, 'password');
    await sessions.start(alice, {}, 'password');
    const ended = await sessions.start(alice, {}, 'password');
    await sessions.start(bob, {}, 'password');
    await sessions.revoke(ended.refreshToken);
    await expect(sessions.endAll(alice.id)).resolves.toBe(2);
    expect(await counted('revoked')).toBe(3);
  });

  it('counts nothing for a sign-out everywhere that ended no session', async () => {
    await expect(sessions.endAll(alice.id)).resolves.toBe(0);
    expect(await counted('revoked')).toBeUndefined();
  });
});
