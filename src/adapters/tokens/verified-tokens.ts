/**
 * Tokens already verified, by their exact text, each until its `exp`: a repeat of the same
 * token skips the signature check (the costliest part of a signed-in request). Only a token
 * that passed every check is kept; at most `capacity`, the oldest dropped first.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(private readonly capacity = 10_000) {}

  /** The value kept for `token`, unless its `exp` (seconds) is not after `nowSeconds`. */
  get(token: string, nowSeconds: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > nowSeconds) return entry.value;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, value: T, expiresAt: number): void {
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { value, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
