/**
 * The shadow lane: where sampled requests wait for their shadow exchange and comparison, off the client's path.
 *
 * A job names the resources it needs exclusively (a shadow store's keys: two comparisons must never interleave their
 * writes in a store figway owns). The lane runs up to `maxActive` jobs at once, each only when none of its resources
 * is held; others wait in arrival order, bounded by count, bytes and waiting time. An earlier waiting job reserves
 * its resources, so a stream of later jobs on the same key cannot starve it. Every submitted job ends exactly once:
 * it runs, or it is dropped with a reason (the caller counts it) — nothing is lost silently, nothing runs twice.
 */

/** LaneJob is one unit of shadow work. */
export interface LaneJob {
  /** Resources held exclusively while the job runs (e.g. `<store url>\u0000<key>`). */
  resources: readonly string[];
  /** Memory the job holds while it waits (bodies, snapshots), for the byte bound. */
  bytes: number;
  /**
   * run does the work; it must not throw. It may call `releaseResources` once it no longer needs them (the rest of
   * its work — judging, recording — goes on while the next job on the same keys starts); they are released at the
   * end otherwise.
   */
  run(releaseResources: () => void): Promise<void>;
  /** drop is called instead of run, once, with the reason the job could not run. */
  drop(reason: LaneDropReason): void;
}

/** LaneDropReason says why a job never ran. */
export type LaneDropReason = 'in-flight-cap' | 'queue-full' | 'queue-timeout' | 'shutdown';

/** LaneOptions bound the lane. */
export interface LaneOptions {
  /** Jobs running at once. */
  maxActive: number;
  /** Jobs waiting at once; a job beyond it is dropped as `queue-full`. */
  maxQueued: number;
  /** Bytes held by waiting jobs; beyond it a job is dropped as `queue-full`. */
  maxQueuedBytes: number;
  /** A job waiting longer is dropped as `queue-timeout`. */
  maxWaitMs: number;
  /** Shared resource table, when several lanes may touch the same resources (routes sharing a shadow store). */
  resources?: ResourceTable;
  /** Clock (performance.now-like ms), injectable for tests. */
  now?: () => number;
}

/** LaneStats is what the lane holds now. */
export interface LaneStats {
  active: number;
  queued: number;
  queuedBytes: number;
}

/** Lane accepts jobs. */
export interface Lane {
  submit(job: LaneJob): void;
  stats(): LaneStats;
  /** resize changes the bounds (a configuration reload) without touching running or waiting jobs. */
  resize(options: Pick<LaneOptions, 'maxActive' | 'maxQueued' | 'maxQueuedBytes' | 'maxWaitMs'>): void;
  /** expire drops the waiting jobs past maxWaitMs now (the lane also does it by itself about once a second). */
  expire(): void;
  /** idle resolves when nothing runs or waits. */
  idle(): Promise<void>;
  /** close drops every waiting job (`shutdown`) and waits for running ones. */
  close(): Promise<void>;
}

/** ResourceTable records which resources running jobs hold; lanes sharing one wake each other on release. */
export interface ResourceTable {
  held(resource: string): boolean;
  take(resources: readonly string[]): void;
  give(resources: readonly string[]): void;
  onRelease(listener: () => void): () => void;
}

/** createResourceTable builds an empty table. */
export function createResourceTable(): ResourceTable {
  const holders = new Set<string>();
  const listeners = new Set<() => void>();
  return {
    held: (resource) => holders.has(resource),
    take(resources) { for (const resource of resources) holders.add(resource); },
    give(resources) {
      for (const resource of resources) holders.delete(resource);
      for (const listener of [...listeners]) listener();
    },
    onRelease(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

interface Waiting {
  job: LaneJob;
  since: number;
  resources: string[];
}

/** createLane builds a lane; waiting jobs past maxWaitMs are swept once a second (the timer does not keep the process up). */
export function createLane(options: LaneOptions): Lane {
  let bounds = { maxActive: options.maxActive, maxQueued: options.maxQueued, maxQueuedBytes: options.maxQueuedBytes, maxWaitMs: options.maxWaitMs };
  const now = options.now ?? (() => performance.now());
  const table = options.resources ?? createResourceTable();
  const queue: Waiting[] = [];
  let queuedBytes = 0;
  let active = 0;
  let closed = false;
  const running = new Set<Promise<void>>();
  let idleWaiters: Array<() => void> = [];
  let sweeper: NodeJS.Timeout | undefined;

  const unsubscribe = table.onRelease(() => pump());

  function wakeIdle(): void {
    if (active === 0 && queue.length === 0) for (const wake of idleWaiters.splice(0)) wake();
  }

  function start(entry: Waiting): void {
    active++;
    table.take(entry.resources);
    let held = true;
    const releaseResources = (): void => {
      if (!held) return;
      held = false;
      table.give(entry.resources);
      pump();
    };
    const work = (async () => {
      try {
        await entry.job.run(releaseResources);
      } catch {
        // run() must not throw; a bug there must still free the lane.
      } finally {
        active--;
        releaseResources();
        pump();
        wakeIdle();
      }
    })();
    running.add(work);
    void work.finally(() => running.delete(work));
  }

  /** pump starts every waiting job that may run now, oldest first; a waiting job reserves its resources for itself. */
  function pump(): void {
    if (queue.length === 0 || active >= bounds.maxActive) return;
    const reserved = new Set<string>();
    for (let i = 0; i < queue.length && active < bounds.maxActive; i++) {
      const entry = queue[i]!;
      const blocked = entry.resources.some((resource) => table.held(resource) || reserved.has(resource));
      if (blocked) {
        for (const resource of entry.resources) reserved.add(resource);
        continue;
      }
      queue.splice(i, 1);
      i--;
      queuedBytes -= entry.job.bytes;
      start(entry);
    }
  }

  function sweep(): void {
    const limit = now() - bounds.maxWaitMs;
    for (let i = 0; i < queue.length; i++) {
      const entry = queue[i]!;
      if (entry.since > limit) continue;
      queue.splice(i, 1);
      i--;
      queuedBytes -= entry.job.bytes;
      entry.job.drop('queue-timeout');
    }
    if (queue.length === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
    pump();
    wakeIdle();
  }

  return {
    submit(job) {
      if (closed) { job.drop('shutdown'); return; }
      const resources = [...new Set(job.resources)];
      const free = active < bounds.maxActive && queue.length === 0 && !resources.some((resource) => table.held(resource));
      if (free) {
        start({ job, since: now(), resources });
        return;
      }
      if (queue.length >= bounds.maxQueued || queuedBytes + job.bytes > bounds.maxQueuedBytes) {
        // No waiting allowed at all means the only bound is the number running: say so.
        job.drop(bounds.maxQueued === 0 ? 'in-flight-cap' : 'queue-full');
        return;
      }
      queue.push({ job, since: now(), resources });
      queuedBytes += job.bytes;
      sweeper ??= setInterval(sweep, Math.min(1_000, Math.max(10, bounds.maxWaitMs / 4)));
      sweeper.unref();
      pump();
    },
    stats: () => ({ active, queued: queue.length, queuedBytes }),
    expire: sweep,
    resize(next) {
      bounds = { ...next };
      pump();
    },
    idle() {
      if (active === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      if (sweeper !== undefined) clearInterval(sweeper);
      sweeper = undefined;
      for (const entry of queue.splice(0)) entry.job.drop('shutdown');
      queuedBytes = 0;
      await Promise.allSettled([...running]);
      unsubscribe();
      wakeIdle();
      idleWaiters = [];
    },
  };
}
