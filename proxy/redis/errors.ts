/** Errors of the Redis side-effect comparison, with stable codes (they become skip reasons and log fields). */

/** REDIS_ERRORS maps each code to what it means. */
export const REDIS_ERRORS = {
  REDIS_UNAVAILABLE: 'a comparison store is not connected or a command failed; the Redis comparison was skipped',
  REDIS_SNAPSHOT_TIMEOUT: 'copying the primary store\'s keys into the shadow store took longer than the snapshot budget',
  REDIS_NOT_CONFIGURED: 'the route declares keys but a side has no store (upstream.redis / upstream.shadow.redis)',
} as const;

/** RedisErrorCode is one stable code. */
export type RedisErrorCode = keyof typeof REDIS_ERRORS;

/** RedisCompareError carries a stable code; its message never contains key names (they can be tokens). */
export class RedisCompareError extends Error {
  override readonly name = 'RedisCompareError';
  constructor(readonly code: RedisErrorCode, message: string = REDIS_ERRORS[code], options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** skipReasonOf turns any failure into the bounded `reason` label value counted in figway_shadow_dropped_total. */
export function skipReasonOf(error: unknown): string {
  if (error instanceof RedisCompareError) {
    if (error.code === 'REDIS_SNAPSHOT_TIMEOUT') return 'redis-snapshot-timeout';
    if (error.code === 'REDIS_NOT_CONFIGURED') return 'redis-not-configured';
  }
  // ioredis rejects a command that outlived commandTimeout with this message: slow, not down.
  if (error instanceof Error && /timed out/i.test(error.message)) return 'redis-timeout';
  return 'redis-unavailable';
}
