/**
 * The contract between the mirror (which samples requests and runs shadows) and a side-effect checker (the Redis
 * comparison): what is prepared before the primary is forwarded, what happens around the shadow request, and what
 * comes back. Every failure is a drop reason (a string) the mirror counts, never an exception.
 */
import type { ExchangeContext, ExchangeObserver } from '../gateway.js';
import type { CompiledRoute } from '../runtime.js';
import type { CapturedResponse, Finding, RedisSample, Side } from '../../shadow-report/types.js';

/** SideEffectRequest is the mirrored request as key templates over it need it. */
export interface SideEffectRequest {
  method: string;
  path: string;
  body: Buffer;
}

/** RedisSampleEntry is one key as each side's store held it after the request (shown beside the answers). */
export type RedisSampleEntry = RedisSample;

/** SideEffectOutcome is what a side-effect comparison found (legacy-vs-new) and the values it read. */
export interface SideEffectOutcome {
  findings: Finding[];
  values: RedisSampleEntry[];
}

/** SideEffectAnswers are the two answers compared: in dual mode both shadows, otherwise the primary and the shadow. */
export type SideEffectAnswers = Record<Side, CapturedResponse>;

/** DropReason is the bounded label value a dropped comparison is counted under. */
export type DropReason = string;

/** SideEffectPreparation is what a checker made ready for one sampled request before its primary was forwarded. */
export interface SideEffectPreparation {
  /** Shadow-store resources the comparison holds exclusively in the shadow lane (`<store>\u0000<key>`). */
  resources: readonly string[];
  /** Bytes it holds while waiting (key snapshots). */
  bytes: number;
  /** beforeShadow runs right before the shadow request(s): seeds shadow stores, opens write capture. */
  beforeShadow(primary: { side: Side; response: CapturedResponse }, request: SideEffectRequest): Promise<true | DropReason>;
  /** compare runs after the answers are in; a reason means the whole comparison must be dropped. */
  compare(answers: SideEffectAnswers, request: SideEffectRequest): Promise<SideEffectOutcome | DropReason>;
  /** release is called exactly once at the end, whatever happened (clears shadow stores, frees what it took). */
  release(): Promise<void>;
}

/** SideEffectChecker prepares mirrored requests' stores and checks live (unmirrored) writes. */
export interface SideEffectChecker {
  /** applies tells whether a route's mirrored requests need preparing (isolated or dual mirroring with declared keys). */
  applies(route: CompiledRoute): boolean;
  /** readsBody tells whether the route's keys are named by the request body (read it before forwarding). */
  readsBody(route: CompiledRoute): boolean;
  /** prepare is awaited before the primary is forwarded; it bounds its own time. */
  prepare(context: ExchangeContext, body: Buffer | undefined): Promise<SideEffectPreparation | DropReason>;
  /** observeLive lets Mode 2 look at unmirrored exchanges (and isolated routes announce their writes). */
  observeLive?(context: ExchangeContext): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined>;
  close(): Promise<void>;
}
