import type { Dispatcher } from 'undici';
import type { CapturedResponse } from '../../shadow-report/types.js';
import type { UpstreamTarget } from '../runtime.js';

/** ShadowResult is the shadow's captured answer, or why there is none. */
export type ShadowResult = { response: CapturedResponse; durationSeconds: number } | { error: string; durationSeconds: number };

/** ShadowRequest is what is sent to the shadow side. */
export interface ShadowRequest {
  target: UpstreamTarget;
  method: string;
  path: string;
  headers: string[];
  body: Buffer;
  timeoutMs: number;
  maxBodyBytes: number;
}

function headersOf(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const existing = out[name];
    out[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** capturedHeaders converts undici raw headers to the lower-case map the comparison engine reads. */
export const capturedHeaders = headersOf;

/** joinChunks is Buffer.concat without the copy of a body that came in one chunk (most small answers). */
export function joinChunks(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * sendShadow dispatches one shadow request and captures its answer up to maxBodyBytes. It never follows redirects,
 * never throws, and gives up after timeoutMs in total (a trickling shadow cannot hold a slot longer).
 */
export function sendShadow(request: ShadowRequest): Promise<ShadowResult> {
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  return new Promise((resolve) => {
    let settled = false;
    let abort: ((reason?: Error) => void) | undefined;
    let status = 0;
    let headers: Record<string, string | string[]> = {};
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    const settle = (result: ShadowResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      abort?.(Object.assign(new Error('shadow timeout'), { code: 'FIGWAY_SHADOW_TIMEOUT' }));
      settle({ error: 'timeout', durationSeconds: elapsed() });
    }, request.timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) { abort = abortFn; },
      onHeaders(statusCode, rawHeaders) {
        status = statusCode;
        headers = headersOf(rawHeaders as unknown as Buffer[]);
        return true;
      },
      onData(chunk) {
        if (truncated) return true;
        bytes += chunk.length;
        if (bytes > request.maxBodyBytes) {
          truncated = true;
          chunks.push(chunk.subarray(0, chunk.length - (bytes - request.maxBodyBytes)));
          // Enough to know it is too large to compare: stop reading and free the slot.
          settle({ response: { status, headers, body: joinChunks(chunks), truncated: true }, durationSeconds: elapsed() });
          abort?.();
          return false;
        }
        // Kept, not copied: undici hands out views of the socket's read buffers, which Node never reuses.
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        settle({ response: { status, headers, body: joinChunks(chunks) }, durationSeconds: elapsed() });
      },
      onError(error: Error & { code?: string }) {
        settle({ error: error.code ?? error.message, durationSeconds: elapsed() });
      },
    };
    try {
      request.target.pool.dispatch({
        method: request.method as Dispatcher.HttpMethod,
        path: request.target.basePath + request.path,
        headers: request.headers,
        body: request.body.length === 0 && (request.method === 'GET' || request.method === 'HEAD') ? null : request.body,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      }, handler);
    } catch (error) {
      settle({ error: (error as Error).message, durationSeconds: elapsed() });
    }
  });
}
