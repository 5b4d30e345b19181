import { InvalidReturnTo } from './errors.ts';

const MAX_LENGTH = 2048;
// C0, DEL and C1 controls, and the bidi controls that make a path read other than it is.
const FORBIDDEN_CHARACTER = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/u;
// "//host" is another site; "." and ".." segments become "//host" once a front-end normalises.
const DOT_SEGMENT = /^[^?#]*\/\.{1,2}(?:[/?#]|$)/;
const PERCENT_ENCODED = /%[0-9a-f]{2}/i;

/**
 * Where to send the browser after login: a path on this site. It is checked as given and again
 * after each round of percent-decoding, since a front-end may decode it before following it.
 */
export function parseReturnTo(value: string | undefined): string {
  if (value === undefined) return '/';
  if (value.length > MAX_LENGTH) throw new InvalidReturnTo();
  let form = value;
  for (let round = 0; round < 4; round += 1) {
    if (!isSafePath(form)) throw new InvalidReturnTo();
    if (!PERCENT_ENCODED.test(form)) return value;
    form = decodeOnce(form);
  }
  throw new InvalidReturnTo();
}

function isSafePath(path: string): boolean {
  return (
    path.startsWith('/') &&
    !path.startsWith('//') &&
    !FORBIDDEN_CHARACTER.test(path) &&
    !DOT_SEGMENT.test(path)
  );
}

function decodeOnce(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new InvalidReturnTo();
  }
}
