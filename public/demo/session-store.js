// The login token in memory and the refresh token in IndexedDB: where this demo keeps a sign-in.
const DATABASE = 'weibo-auth-demo';
const STORE = 'session';
const RECORD = 'current';
const OLD_TOKEN_KEY = 'weibo-auth-demo-token';

// What keeps the user signed in (SPEC "Sessions and keys"), and where this demo keeps it:
//
// - The login token (a JWT, sent as `Authorization: Bearer`, living `expires_in` seconds, an
//   hour by default) stays in memory only, in `loginToken` below. A reload, a new tab or the
//   navigation back from callback.html starts without one and gets a fresh one from the refresh
//   token, so no copy of it lies around in storage.
// - The refresh token (opaque, good for 30 days from its last use, replaced by a new one at
//   every use) is kept in the origin's storage, so the user stays signed in across reloads,
//   tabs and browser restarts, which is the point of it. The price: any script running on
//   this origin (an XSS hole, a compromised third-party script) can read it and carry it away,
//   and with it the session, until it expires or is ended in the session list. This demo is
//   static files with no backend of its own, so a store that JavaScript can read is its only
//   option. A production front-end with its own backend would keep the refresh token in an
//   HttpOnly, Secure, SameSite cookie that no script can read, and refresh through that
//   backend. Rotation limits the damage of a theft: the thief and the user hold the same
//   chain, and whichever presents a used token second gets 10165 and ends the session for both.
// - Sign-out revokes the refresh token at the service, then forgets both tokens here.
//
// Two tabs refreshing at once would present the same refresh token twice, which the service
// takes for theft and answers by ending the session. So a refresh holds a Web Lock shared by
// every tab of this origin, and reads the stored token only once it holds it: a tab that
// waited presents the token the one before it stored, not the used one. That read must see the
// other tab's write, which is why the token is in IndexedDB and not in localStorage: it is as
// exposed to scripts and lives as long, but a transaction sees every transaction committed
// before it, whichever tab committed it, while Chromium keeps a copy of localStorage in each
// tab and brings it up to date only a moment later (the browser test caught a tab presenting
// the used token that way). Web Locks exist in every current browser, but only in secure
// contexts (https, or http on localhost); elsewhere the demo refreshes unlocked and accepts
// the risk: two tabs loading at the same instant may end the session, and the user signs in again.
// (The refresh itself, with its lock, is api.js's refreshSession.)
export let loginToken = null;

export function setLoginToken(token) {
  loginToken = token;
}

let database;

function openDatabase() {
  database ??= new Promise((resolve, reject) => {
    const opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  return database;
}

/**
 * One transaction on the stored sign-in, `{refresh_token, username}` (the username prefills
 * forms): resolves the record found (or null). With `change`, it is replaced in the same
 * transaction by what `change(found)` gives: a record, null for none, undefined to leave it.
 */
export async function stored(change) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, change ? 'readwrite' : 'readonly');
    const store = transaction.objectStore(STORE);
    const reading = store.get(RECORD);
    reading.onsuccess = () => {
      const next = change?.(reading.result ?? null);
      if (next === null) store.delete(RECORD);
      else if (next !== undefined) store.put(next, RECORD);
    };
    transaction.oncomplete = () => resolve(reading.result ?? null);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const storedSession = () => stored();
export const asStored = ({ refresh_token, username }) => ({ refresh_token, username });

export function forgetSession() {
  loginToken = null;
  return stored(() => null);
}

// Where earlier versions of the demo kept the login token.
localStorage.removeItem(OLD_TOKEN_KEY);
sessionStorage.removeItem(OLD_TOKEN_KEY);
