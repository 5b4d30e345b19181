import type { AuthorizationRequest } from '../../application/weibo-ports.ts';

/** Stands for the state in a cached authorize URL: only URL-safe characters, never a state. */
const STATE_PLACEHOLDER = '__weibo_auth_state__';

/** A query value as URLSearchParams writes it; a state (base64url) is written as it is. */
function formEncode(value: string): string {
  return /^[\w.*-]*$/.test(value) ? value : new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * Weibo's authorize URLs. The URL of each combination of options is built once, with a
 * placeholder where the state goes (a few at most: 5 displays × forcelogin × language); each
 * login start then only puts its state in.
 */
export class AuthorizeUrls {
  private readonly templates = new Map<string, string>();

  constructor(
    private readonly options: {
      clientId: string;
      redirectUri: string;
      scope: string;
      authorizeUrl: string;
      mobileAuthorizeUrl: string;
    },
  ) {}

  for(request: AuthorizationRequest): string {
    const key = `${request.display}|${request.forceLogin}|${request.language}`;
    let template = this.templates.get(key);
    if (template === undefined) {
      template = this.build({ ...request, state: STATE_PLACEHOLDER });
      // Configured values that hold the placeholder themselves: no template, built each time.
      if (template.split(STATE_PLACEHOLDER).length !== 2) return this.build(request);
      this.templates.set(key, template);
    }
    return template.replace(STATE_PLACEHOLDER, formEncode(request.state));
  }

  private build(request: AuthorizationRequest): string {
    const { options } = this;
    const url = new URL(
      request.display === 'mobile' ? options.mobileAuthorizeUrl : options.authorizeUrl,
    );
    const query = url.searchParams;
    query.set('client_id', options.clientId);
    query.set('redirect_uri', options.redirectUri);
    query.set('response_type', 'code');
    query.set('state', request.state);
    if (options.scope !== '') query.set('scope', options.scope);
    if (request.display !== undefined) query.set('display', request.display);
    if (request.forceLogin) query.set('forcelogin', 'true');
    if (request.language !== undefined) query.set('language', request.language);
    return url.toString();
  }
}
