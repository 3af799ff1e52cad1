/**
 * The slice of autocannon's programmatic API the bench uses (autocannon ships no types and
 * no @types/autocannon is installed). See https://github.com/mcollina/autocannon#api.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** One request template; autocannon cycles through them on every connection. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  /** Options of one load run. */
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: AutocannonRequest[];
    workers?: number;
    /** Sampling interval in ms (default 1000); a run only ends on a sample tick. */
    sampleInt?: number;
  }

  /** Percentile summary as autocannon reports it. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p99: number;
    sent?: number;
  }

  /** Aggregated result of one run. */
  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    mismatches: number;
    '2xx': number;
    latency: Histogram;
    requests: Histogram;
    throughput: Histogram;
  }

  /** A running load generator: a promise of the result and an emitter of per-response events. */
  export interface Instance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
  }

  /** Starts a load run. */
  function autocannon(options: AutocannonOptions): Instance;
  export default autocannon;
}
