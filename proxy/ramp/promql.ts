/**
 * PromQL gates: one instant query per gate and evaluation against the configured Prometheus. A query that returns
 * nothing, several series, or fails holds the gate (never passes, never fails it) — the "no values found" of a quiet
 * service is a reason to wait, not to roll back.
 */
import type { PrometheusConfig, PromqlGateConfig } from '../config/schema.js';
import type { PromqlValue } from './gates.js';

/** queryPromql evaluates one gate's query for `route`. */
export async function queryPromql(prometheus: PrometheusConfig, gate: PromqlGateConfig, route: string, env: NodeJS.ProcessEnv = process.env): Promise<PromqlValue> {
  const query = gate.query.replaceAll('$route', route);
  const url = new URL('api/v1/query', prometheus.url.endsWith('/') ? prometheus.url : `${prometheus.url}/`);
  url.searchParams.set('query', query);
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = prometheus.tokenEnv === undefined ? undefined : env[prometheus.tokenEnv];
  if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
  try {
    const { request } = await import('undici');
    const response = await request(url, { headers, headersTimeout: prometheus.timeoutMs, bodyTimeout: prometheus.timeoutMs });
    const body = await response.body.json() as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    if (response.statusCode !== 200 || body.status !== 'success') return { name: gate.name, value: null, error: body.error ?? `HTTP ${response.statusCode}` };
    const result = body.data?.result;
    if (body.data?.resultType === 'scalar' && Array.isArray(result)) return number(gate.name, result[1]);
    if (body.data?.resultType === 'vector' && Array.isArray(result)) {
      if (result.length === 0) return { name: gate.name, value: null, error: 'no values found' };
      if (result.length > 1) return { name: gate.name, value: null, error: `${result.length} series returned; aggregate them to one` };
      return number(gate.name, (result[0] as { value?: unknown[] }).value?.[1]);
    }
    return { name: gate.name, value: null, error: `unsupported result type ${String(body.data?.resultType)}` };
  } catch (error) {
    return { name: gate.name, value: null, error: (error as Error).message };
  }
}

function number(name: string, raw: unknown): PromqlValue {
  const value = Number(raw);
  return Number.isFinite(value) ? { name, value } : { name, value: null, error: `not a number: ${String(raw)}` };
}
