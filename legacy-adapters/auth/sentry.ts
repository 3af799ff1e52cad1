/**
 * The tracing headers the legacy Go auth returned through Traefik (`authResponseHeaders=Sentry-Trace,Baggage`).
 * Values follow the Sentry wire format; they are random per request, so comparisons must treat them as noise.
 */
import { randomBytes } from 'node:crypto';

/** SentryHeaders are the two response headers of one sampled transaction. */
export interface SentryHeaders {
  'sentry-trace': string;
  baggage: string;
}

/** newSentryHeaders makes `<32 hex trace>-<16 hex span>-1` and the matching dynamic-sampling baggage. */
export function newSentryHeaders(environment = 'production'): SentryHeaders {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return {
    'sentry-trace': `${traceId}-${spanId}-1`,
    baggage: `sentry-trace_id=${traceId},sentry-environment=${environment},sentry-release=pesto-auth,sentry-sample_rate=1,sentry-sampled=true`,
  };
}
