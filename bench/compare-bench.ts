/**
 * Comparison-engine throughput: how many answer pairs per second `compareResponses` classifies on one core, for
 * realistic 1 KB and 64 KB JSON bodies with one or two differences, and the same figure for `json-diff`
 * (parse + diff, same inputs) so we can decide whether that dependency earns its place. Rates are per second of
 * this process's CPU time, so they stay comparable when other work shares the machine.
 * Run: `node dist/bench/compare-bench.js [durationMs]`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { compareResponses } from '../shadow-report/compare-responses.js';
import { compareValues } from '../shadow-report/compare-values.js';
import type { CapturedResponse } from '../shadow-report/types.js';

/** CompareBenchResult holds comparisons per second (one core) for each case. */
export interface CompareBenchResult {
  /** compareResponses on 1 KB JSON bodies (decode + parse + walk + classify). */
  kb1PerSec: number;
  /** compareResponses on 64 KB JSON bodies. */
  kb64PerSec: number;
  /** compareValues alone on pre-parsed 1 KB values (the walker without JSON.parse). */
  kb1ValuesPerSec: number;
  /** json-diff (JSON.parse + diff) on the same 1 KB bodies; undefined when json-diff is not installed. */
  jsonDiffKb1PerSec?: number;
  jsonDiffKb64PerSec?: number;
  /** kb1PerSec / jsonDiffKb1PerSec. */
  ratioVsJsonDiff?: number;
  /** kb64PerSec / jsonDiffKb64PerSec. */
  ratio64VsJsonDiff?: number;
  bodyBytes: { kb1: number; kb64: number };
  findings: { kb1: number; kb64: number };
}

function item(i: number): Record<string, unknown> {
  return {
    id: `ord_${(100000 + i).toString(36)}`, sku: `SKU-${1000 + i}`, name: `Widget number ${i}`, quantity: (i % 7) + 1,
    unitPrice: Math.round((i * 37.13) % 500 * 100) / 100, currency: 'EUR', tags: ['blue', 'large'], discount: null,
    shipping: { method: 'standard', days: 3 + (i % 4), address: { city: 'Bandung', country: 'ID', zip: `40${100 + (i % 900)}` } },
  };
}

/** user1k builds a ~1 KB account document (what an auth or registration route answers). */
function user1k(): Record<string, unknown> {
  return {
    UserEmail: 'johndoe@example.com', MonthlyLimit: 100, Revoked: false, name: 'John Doe', building: 'Gedung Sate',
    calls: 42, createdAt: '2024-01-07T10:11:12Z', plan: { id: 'pro', seats: 5, features: ['rce', 'priority', 'sandbox'] },
    usage: [{ month: '2024-01', count: 91 }, { month: '2024-02', count: 77 }, { month: '2024-03', count: 12 }],
    items: [item(1), item(2), item(3)],
  };
}

function items64k(): Record<string, unknown> {
  const items: unknown[] = [];
  for (let i = 0; items.length < 2000 && JSON.stringify(items).length < 63 * 1024; i++) items.push(item(i));
  return { page: 1, total: items.length, items };
}

const response = (value: unknown): CapturedResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) });

/** cpuMicros is this process's CPU time (user + system) in µs: rates per CPU second stay meaningful on a shared machine. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function perSecond(durationMs: number, fn: () => void): number {
  // Warm up so the JIT has settled, then count calls for `durationMs` of CPU time (one core: the loop is synchronous).
  const warmUntil = cpuMicros() + Math.min(200, durationMs / 4) * 1000;
  do fn(); while (cpuMicros() < warmUntil);
  let n = 0;
  let batch = 1;
  const start = cpuMicros();
  const end = start + durationMs * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    const before = now;
    now = cpuMicros();
    // Read the clock about once a millisecond: often enough for slow cases, rarely enough not to weigh on fast ones.
    if (now - before < 1000) batch *= 2;
  }
  return Math.round((n / ((now - start) / 1e6)) * 10) / 10;
}

type JsonDiff = (a: unknown, b: unknown) => unknown;
function loadJsonDiff(): JsonDiff | undefined {
  try {
    return (createRequire(import.meta.url)('json-diff') as { diff: JsonDiff }).diff;
  } catch {
    return undefined;
  }
}

/** benchComparisons measures comparisons per second for each case, each for about `durationMs`. */
export function benchComparisons(opts: { durationMs?: number } = {}): CompareBenchResult {
  const durationMs = opts.durationMs ?? 1000;
  const l1 = user1k();
  const c1 = structuredClone(l1) as Record<string, unknown>;
  c1.MonthlyLimit = 10; // one value difference
  delete c1.building; c1.Building = 'Gedung Sate'; // one key-casing difference
  const l64 = items64k();
  const c64 = structuredClone(l64) as { items: Record<string, unknown>[] };
  (c64.items[Math.floor(c64.items.length / 3)] as Record<string, unknown>).quantity = 99;
  (c64.items[Math.floor((2 * c64.items.length) / 3)] as Record<string, unknown>).currency = 'IDR';

  const [a1, b1, a64, b64] = [response(l1), response(c1), response(l64), response(c64)];
  const f1 = compareResponses(a1, b1).findings.length;
  const f64 = compareResponses(a64, b64).findings.length;
  const result: CompareBenchResult = {
    kb1PerSec: perSecond(durationMs, () => compareResponses(a1, b1)),
    kb64PerSec: perSecond(durationMs, () => compareResponses(a64, b64)),
    kb1ValuesPerSec: perSecond(durationMs, () => compareValues(l1, c1, 'body')),
    bodyBytes: { kb1: a1.body.length, kb64: a64.body.length },
    findings: { kb1: f1, kb64: f64 },
  };
  const diff = loadJsonDiff();
  if (diff !== undefined) {
    result.jsonDiffKb1PerSec = perSecond(durationMs, () => diff(JSON.parse(a1.body.toString()), JSON.parse(b1.body.toString())));
    result.jsonDiffKb64PerSec = perSecond(Math.min(durationMs, 2000), () => diff(JSON.parse(a64.body.toString()), JSON.parse(b64.body.toString())));
    result.ratioVsJsonDiff = Math.round((result.kb1PerSec / result.jsonDiffKb1PerSec) * 10) / 10;
    result.ratio64VsJsonDiff = Math.round(result.kb64PerSec / result.jsonDiffKb64PerSec);
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationMs = Number(process.argv[2] ?? 1000);
  console.log(JSON.stringify(benchComparisons({ durationMs }), null, 2));
}
