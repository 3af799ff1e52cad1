/**
 * readBodyAhead reads a request body before it is forwarded, up to a limit. It never consumes more than it returns:
 * past the limit it pauses the stream, and the gateway forwards the chunks read so far followed by the rest.
 */
import type { IncomingMessage } from 'node:http';
import type { PrefetchedBody } from '../gateway.js';

/** readBodyAhead resolves with the chunks read (complete when the body ended), or undefined when the client went away. */
export function readBodyAhead(req: IncomingMessage, limit: number): Promise<PrefetchedBody | undefined> {
  if (req.readableEnded) return Promise.resolve({ chunks: [], complete: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = (result: PrefetchedBody | undefined): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > limit) {
        req.pause();
        finish({ chunks, complete: false });
      }
    };
    const onEnd = (): void => finish({ chunks, complete: true });
    const onGone = (): void => finish(undefined);
    const onClose = (): void => { if (!req.readableEnded) finish(undefined); };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onClose);
  });
}
