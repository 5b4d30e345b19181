import { FetchError, ofetch } from 'ofetch';
import type { Logger } from 'pino';
import { OAuthProviderUnavailable, WeiboRateLimited } from '../../application/errors.ts';
import type { WeiboCaller, WeiboPause } from '../../application/weibo-ports.ts';
import { BodyTooLarge, MAX_WEIBO_BODY_BYTES, readBoundedText } from './bounded-body.ts';
import { undiciFetch } from './undici-fetch.ts';
import { errorCodeOf, isOperatorError, isRateLimit, PAUSING_RATE_LIMIT } from './weibo-errors.ts';
import { isJsonObject } from './weibo-users.ts';

export interface WeiboTransportOptions {
  apiBaseUrl: string;
  timeoutMs: number;
  /** The pause after a 10022, and the `Retry-After` of every rate-limit answer. */
  backoffSeconds: number;
  /** Send the end user's IP as `API-RemoteIP`, so Weibo counts its per-IP limits per user. */
  forwardClientIp: boolean;
}

export interface WeiboRequest {
  form?: URLSearchParams;
  query?: URLSearchParams;
  caller?: WeiboCaller;
}

/**
 * One call to Weibo's API: a whole answer of at most 1 MiB in time, its JSON read whatever the
 * content type. Weibo's rate limits become WeiboRateLimited, the app-wide one (10022) pausing
 * every call for a while; errors only the operator can fix are logged.
 */
export class WeiboTransport {
  private readonly apiBaseUrl: string;
  private readonly client = ofetch.create({}, { fetch: undiciFetch() });

  constructor(
    private readonly options: WeiboTransportOptions,
    private readonly pause: WeiboPause,
    private readonly logger: Logger,
  ) {
    this.apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, '');
  }

  /** Resolves any HTTP status with the body parsed as JSON (undefined when it is not JSON). */
  async send(path: string, request: WeiboRequest): Promise<{ status: number; json: unknown }> {
    const left = await this.pause.secondsLeft();
    if (left > 0) throw new WeiboRateLimited(left);
    const answer = await this.fetch(path, request);
    const code = isJsonObject(answer.json) ? errorCodeOf(answer.json) : Number.NaN;
    if (isRateLimit(code)) {
      const seconds = this.options.backoffSeconds;
      if (code === PAUSING_RATE_LIMIT) {
        await this.pause.start(seconds);
        this.logger.warn(
          { error_code: code, path, pause_seconds: seconds },
          `Weibo: this app's IP is over its rate limit; no call to Weibo for ${seconds} s`,
        );
      }
      throw new WeiboRateLimited(seconds, { weiboErrorCode: code });
    }
    if (isOperatorError(code)) {
      this.logger.error(
        { error_code: code, path },
        `Weibo refused this app (error_code ${code}): check its key, secret, redirect URI and audit status on open.weibo.com`,
      );
    }
    return answer;
  }

  /** Throws OAuthProviderUnavailable when no whole answer arrives in time. */
  private async fetch(path: string, request: WeiboRequest) {
    const url = new URL(`${this.apiBaseUrl}${path}`);
    if (request.query) url.search = request.query.toString();
    const clientIp = this.options.forwardClientIp ? request.caller?.clientIp : undefined;
    try {
      const response = await this.client.raw(url.toString(), {
        method: request.form ? 'POST' : 'GET',
        body: request.form,
        headers: { accept: 'application/json', ...(clientIp && { 'API-RemoteIP': clientIp }) },
        // Read by hand below, so that a huge answer is cut off instead of buffered.
        responseType: 'stream',
        ignoreResponseError: true,
        retry: 0,
        // A redirect would re-send the client secret to wherever Weibo points.
        redirect: 'error',
        // A signal rather than ofetch's `timeout`, which stops counting once headers arrive:
        // aborting it also fails the body read.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await readBoundedText(response, MAX_WEIBO_BODY_BYTES);
      return { status: response.status, json: parseJson(text) };
    } catch (error) {
      // ofetch's own error holds the request, its URL (access token) and options (client secret)
      // included: only its cause is kept.
      const cause = error instanceof FetchError ? error.cause : error;
      const reason =
        cause instanceof BodyTooLarge
          ? `answered ${cause.message}`
          : cause instanceof Error && cause.name === 'TimeoutError'
            ? `did not answer within ${this.options.timeoutMs} ms`
            : 'is unreachable';
      throw new OAuthProviderUnavailable(`Weibo ${reason} (${path})`, { cause });
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
