/**
 * Per-key ordering of mirrored requests on one shadow store. Seeding request B's keys would overwrite what the
 * shadow deployment wrote for an earlier request A before A's comparison has read it; so a request holds its keys
 * from seeding until its comparison is done, and a later request touching one of them waits (in the background:
 * never on the client's path). Requests queue in arrival order, so there is no deadlock.
 */

/** KeyLease is a held set of keys; release is idempotent. */
export interface KeyLease {
  /** acquired is true when every earlier holder released in time (false: the wait timed out). */
  acquired: boolean;
  release(): void;
}

/** KeyLocks queues holders per key. */
export interface KeyLocks {
  /** acquire queues for `keys` and waits up to `waitMs` for the earlier holders; a lease is also auto-released after `holdMs`. */
  acquire(keys: readonly string[], waitMs: number, holdMs: number): Promise<KeyLease>;
  /** size is the number of keys with a holder or a queue (for tests). */
  readonly size: number;
}

/** createKeyLocks builds an empty lock table. */
export function createKeyLocks(): KeyLocks {
  const tails = new Map<string, Promise<void>>();
  return {
    get size() { return tails.size; },
    async acquire(keys, waitMs, holdMs) {
      let unlock!: () => void;
      const mine = new Promise<void>((resolve) => { unlock = resolve; });
      const earlier: Promise<void>[] = [];
      const chained = new Map<string, Promise<void>>();
      for (const key of new Set(keys)) {
        const previous = tails.get(key);
        if (previous !== undefined) earlier.push(previous);
        const tail = (previous ?? Promise.resolve()).then(() => mine);
        tails.set(key, tail);
        chained.set(key, tail);
      }
      let released = false;
      const holdTimer = setTimeout(() => lease.release(), holdMs);
      holdTimer.unref();
      const lease: KeyLease = {
        acquired: true,
        release() {
          if (released) return;
          released = true;
          clearTimeout(holdTimer);
          unlock();
          for (const [key, tail] of chained) if (tails.get(key) === tail) tails.delete(key);
        },
      };
      if (earlier.length === 0) return lease;
      let waitTimer: NodeJS.Timeout | undefined;
      lease.acquired = await Promise.race([
        Promise.all(earlier).then(() => true),
        new Promise<boolean>((resolve) => { waitTimer = setTimeout(() => resolve(false), waitMs); }),
      ]);
      clearTimeout(waitTimer);
      return lease;
    },
  };
}
