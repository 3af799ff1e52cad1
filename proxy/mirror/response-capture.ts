import type { CapturedResponse, Side } from '../../shadow-report/types.js';
import { capturedHeaders, joinChunks } from './shadow-request.js';

/**
 * ResponseCapture copies a primary answer as it streams to the client, up to `limit` body bytes (beyond that the
 * answer is marked truncated and not copied further), for the observers that compare it after the fact.
 */
export class ResponseCapture {
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private truncated = false;
  /** side is who answered (it differs from the selection after a failover). */
  side: Side;

  constructor(private readonly limit: number, side: Side) {
    this.side = side;
  }

  start(status: number, rawHeaders: Buffer[], side: Side): void {
    this.status = status;
    this.headers = capturedHeaders(rawHeaders);
    this.side = side;
  }

  data(chunk: Buffer): void {
    if (this.truncated) return;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) { this.truncated = true; return; }
    // Kept, not copied: undici hands out views of the socket's read buffers, which Node never reuses.
    this.chunks.push(chunk);
  }

  response(): CapturedResponse {
    return { status: this.status, headers: this.headers, body: joinChunks(this.chunks), ...(this.truncated ? { truncated: true } : {}) };
  }
}
