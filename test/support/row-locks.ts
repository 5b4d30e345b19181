/**
 * Row locks as `SELECT … FOR UPDATE` takes them: one holder per key at a time, the others
 * waiting in line until the holder's transaction ends. A transaction may take its own again.
 */
export class RowLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Locks for one transaction; `releaseAll` when it ends, committed or not. */
  forTransaction() {
    const held = new Map<string, () => void>();
    return {
      lock: async (key: string): Promise<void> => {
        if (held.has(key)) return;
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release = () => {};
        const mine = new Promise<void>((resolve) => {
          release = resolve;
        });
        const tail = previous.then(() => mine);
        this.tails.set(key, tail);
        held.set(key, () => {
          release();
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        await previous;
      },
      releaseAll: () => {
        for (const release of held.values()) release();
        held.clear();
      },
    };
  }
}
