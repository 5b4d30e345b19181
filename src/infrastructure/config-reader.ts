/** Typed reads of environment variables that collect problems instead of stopping at the first. */
export function environmentReader(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const raw = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const problem = <T>(line: string, fallback: T): T => {
    problems.push(line);
    return fallback;
  };
  return {
    problems,
    /** Whether the variable holds anything but blanks (an empty value counts as unset). */
    isSet: (name: string) => raw(name) !== undefined,
    text: (name: string, fallback: string) => raw(name) ?? fallback,
    required: (name: string) => raw(name) ?? problem(`${name} is required`, ''),
    integer(name: string, fallback: number, min: number, max: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const parsed = Number(value);
      return Number.isInteger(parsed) && parsed >= min && parsed <= max
        ? parsed
        : problem(`${name} must be a whole number from ${min} to ${max}`, fallback);
    },
    boolean(name: string, fallback: boolean): boolean {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return problem(`${name} must be true or false`, fallback);
    },
    url(name: string, fallback: string | undefined): string {
      const value = raw(name) ?? fallback;
      if (value === undefined) return problem(`${name} is required`, '');
      return isHttpUrl(value) ? value : problem(`${name} must be an http(s) URL`, '');
    },
    requiredUrl(name: string): string {
      const value = raw(name);
      if (value === undefined) return problem(`${name} is required`, '');
      return URL.canParse(value) ? value : problem(`${name} must be a URL`, '');
    },
    optionalUrl(name: string): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      return URL.canParse(value) ? value : problem(`${name} must be a URL`, undefined);
    },
    /** An http(s) URL other paths are appended to: no query or fragment, no trailing slash. */
    baseUrl(name: string): string | undefined {
      const value = raw(name);
      if (value === undefined) return undefined;
      const url = isHttpUrl(value) ? new URL(value) : undefined;
      if (!url || url.search || url.hash || url.username || url.password) {
        const line = `${name} must be an http(s) URL without query, fragment or credentials`;
        return problem(line, undefined);
      }
      return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    },
    list(name: string, fallback: string[] = []): string[] {
      const value = raw(name);
      if (value === undefined) return fallback;
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    },
    oneOf(name: string, fallback: string, allowed: string[]): string {
      const value = raw(name) ?? fallback;
      return allowed.includes(value)
        ? value
        : problem(`${name} must be one of ${allowed.join(', ')}`, fallback);
    },
  };
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}
