/**
 * Body decoding for comparison: undo `content-encoding` (gzip, deflate, br; RFC 9110 §8.4, applied in reverse order)
 * with an output cap so a compression bomb cannot blow up memory, then read JSON or text.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { CapturedResponse, SkipReason } from './types.js';
import { headerValue } from './headers.js';

/** DecodedBody is a body after content-decoding, or why it could not be decoded. */
export type DecodedBody =
  | { ok: true; bytes: Buffer; encoding: string }
  | { ok: false; reason: SkipReason; encoding: string; detail: string };

function inflateEither(bytes: Buffer, maxOutputLength: number): Buffer {
  // Some servers send raw DEFLATE under `deflate` although RFC 9110 says zlib-wrapped; accept both.
  try { return inflateSync(bytes, { maxOutputLength }); } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return inflateRawSync(bytes, { maxOutputLength });
  }
}

/** decodeBody removes the content encodings of `res.body`, refusing output above `maxBytes`. */
export function decodeBody(res: CapturedResponse, maxBytes: number): DecodedBody {
  const encoding = (headerValue(res.headers, 'content-encoding') ?? '').toLowerCase();
  let bytes = res.body;
  if (encoding === '' || encoding === 'identity') {
    if (bytes.length > maxBytes) return { ok: false, reason: 'body-too-large', encoding, detail: `${bytes.length} bytes > ${maxBytes}` };
    return { ok: true, bytes, encoding };
  }
  const codings = encoding.split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity').reverse();
  const maxOutputLength = Math.max(1, Math.min(maxBytes + 1, 2 ** 31 - 1));
  for (const coding of codings) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') bytes = gunzipSync(bytes, { maxOutputLength });
      else if (coding === 'deflate') bytes = inflateEither(bytes, maxOutputLength);
      else if (coding === 'br') bytes = brotliDecompressSync(bytes, { maxOutputLength });
      else return { ok: false, reason: 'unsupported-encoding', encoding, detail: coding };
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return { ok: false, reason: 'body-too-large', encoding, detail: `decoded ${coding} body > ${maxBytes} bytes` };
      }
      return { ok: false, reason: 'undecodable', encoding, detail: `${coding}: ${(error as Error).message}` };
    }
  }
  if (bytes.length > maxBytes) return { ok: false, reason: 'body-too-large', encoding, detail: `${bytes.length} bytes > ${maxBytes}` };
  return { ok: true, bytes, encoding };
}

/** isJsonContentType is true for application/json and any `+json` media type. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json') || media === 'text/json';
}

/** ParsedBody is a decoded body read as JSON (`json: true`) or as text. */
export interface ParsedBody { json: boolean; value: unknown }

const JSON_START = /^[\s]*[{["\-0-9tfn]/;

/** parseBody reads JSON when the content type says so or the text parses as JSON, else returns the text. */
export function parseBody(bytes: Buffer, contentType: string | undefined): ParsedBody {
  const text = bytes.toString('utf8');
  if (isJsonContentType(contentType) || JSON_START.test(text)) {
    try { return { json: true, value: JSON.parse(text) as unknown }; } catch { /* not JSON after all: compare as text */ }
  }
  return { json: false, value: text };
}
