/**
 * Redaction at capture: secrets become keyed-hash placeholders (HMAC-SHA256) before anything is queued, stored or
 * shown. A placeholder is always a string that names the original JSON type (`«redacted:number:3f2a19c0»`), so a
 * masked number never reads as real data; equal secrets get equal placeholders, so comparisons and counters still
 * work on redacted data.
 *
 * Besides secret-named headers and fields, a session remembers every secret VALUE it has seen (the X-Pesto-Token
 * header, a `token` body field…) and scrubs that exact value wherever it shows up later in the same sample: text
 * bodies, Redis key names inside finding paths, object keys, finding values, the Redis keys and values of a sample.
 * In Pesto the Redis key IS the token: a key (or a `:`/`/`-separated part of it) that looks like a random token is
 * itself remembered as a secret.
 */
import { createHmac } from 'node:crypto';
import type { CapturedRequest, CapturedResponse, Finding, RedisSample } from './types.js';
import { casingKey } from './casing.js';
import { decodeBody, isJsonContentType } from './body-decode.js';
import { headerValue } from './headers.js';
import { splitPath } from './paths.js';
import { looksRandomToken } from './generated.js';
import { DiffError } from './errors.js';
import { formatPlaceholder, isPlaceholder, type PlaceholderType } from './placeholder.js';

export { isPlaceholder, type PlaceholderType } from './placeholder.js';

/** DEFAULT_SECRET_FIELDS are always masked (matched case- and style-insensitively, also as a name suffix: `access_token`). */
export const DEFAULT_SECRET_FIELDS: readonly string[] = ['password', 'secret', 'token', 'apikey', 'api_key', 'authorization'];

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const X_TOKEN = /^x-(.+-)?token$/i;
/** Shorter values are masked where they stand but not scrubbed elsewhere (too many false hits). */
const MIN_SCRUB_LENGTH = 4;
/** Bodies above this are not parsed for redaction; they are replaced by a note. */
const MAX_REDACT_BODY_BYTES = 1024 * 1024;

/** RedactorOptions: the HMAC key (keep it out of config files) and extra secret field names. */
export interface RedactorOptions {
  key: Buffer;
  fields?: readonly string[];
}

/** RedactionSession redacts the parts of one sample and remembers the secret values seen so far. */
export interface RedactionSession {
  /** remember adds a secret value to scrub everywhere in this sample. */
  remember(secret: string, type?: PlaceholderType): void;
  /**
   * scanRequest/scanResponse only collect secret values (call them on every part before redacting any); a part is
   * scanned once per session. `decoded` is the response body as the comparison already parsed it (JSON object or
   * array), so it is not decoded and parsed again.
   */
  scanRequest(req: CapturedRequest): void;
  scanResponse(res: CapturedResponse, decoded?: unknown): void;
  /** scanRedis collects secrets from a sample's Redis keys (token-like keys) and values (secret-named fields). */
  scanRedis(entries: readonly RedisSample[]): void;
  request(req: CapturedRequest): CapturedRequest;
  /** path redacts a request path (secret query parameters, remembered secrets) without the rest of the request. */
  path(path: string): string;
  /** response returns a redacted copy with the body decoded (content-encoding removed); `decoded` as for scanResponse. */
  response(res: CapturedResponse, decoded?: unknown): CapturedResponse;
  findings(findings: readonly Finding[]): Finding[];
  value(value: unknown): unknown;
  /** redis returns redacted copies of a sample's Redis entries: keys scrubbed, values redacted like finding values. */
  redis(entries: readonly RedisSample[]): RedisSample[];
  text(text: string): string;
}

/** Redactor masks secrets with keyed-hash placeholders. */
export interface Redactor {
  /** placeholder masks one value of the given JSON type (default string). */
  placeholder(secret: string, type?: PlaceholderType): string;
  isSecretField(name: string): boolean;
  isSecretHeader(name: string): boolean;
  /** begin opens a session for one sample (request, both answers, findings). */
  begin(): RedactionSession;
}

/** createRedactor builds a redactor keyed by `key` (HMAC-SHA256); throws DIFF_BAD_OPTIONS on an empty key. */
export function createRedactor(opts: RedactorOptions): Redactor {
  if (!Buffer.isBuffer(opts.key) || opts.key.length === 0) throw new DiffError('DIFF_BAD_OPTIONS', 'redactor key must be a non-empty Buffer');
  const key = Buffer.from(opts.key);
  const suffixes = [...new Set([...DEFAULT_SECRET_FIELDS, ...(opts.fields ?? [])].map(casingKey).filter((s) => s !== ''))];
  const fieldCache = new Map<string, boolean>();

  const digest = (secret: string): string => createHmac('sha256', key).update(secret).digest('hex');
  const placeholder = (secret: string, type: PlaceholderType = 'string'): string =>
    (isPlaceholder(secret) ? secret : formatPlaceholder(type, digest(secret).slice(0, 8)));

  function isSecretField(name: string): boolean {
    let hit = fieldCache.get(name);
    if (hit === undefined) {
      const folded = casingKey(name);
      hit = folded !== '' && suffixes.some((s) => folded.endsWith(s));
      if (fieldCache.size < 10_000) fieldCache.set(name, hit);
    }
    return hit;
  }
  function isSecretHeader(name: string): boolean {
    const lower = name.toLowerCase();
    return SECRET_HEADERS.has(lower) || X_TOKEN.test(lower) || isSecretField(lower);
  }

  return { placeholder, isSecretField, isSecretHeader, begin: () => openSession(placeholder, isSecretField, isSecretHeader) };
}

/** A bare random-looking token of 16+ characters, also behind a short word prefix (`TRIAL-…`, `sk_live_…`). */
function looksLikeToken(s: string): boolean {
  return /^[^\s]{16,}$/.test(s) && (looksRandomToken(s) || looksRandomToken(s.replace(/^(?:[A-Za-z]{1,12}[-_:])+/, '')));
}

function openSession(
  placeholder: (s: string, type?: PlaceholderType) => string,
  isSecretField: (name: string) => boolean,
  isSecretHeader: (name: string) => boolean,
): RedactionSession {
  // Secret → placeholder, scrubbed longest first so a secret containing another is replaced whole.
  const secrets = new Map<string, string>();
  let ordered: [string, string][] | undefined;

  function remember(secret: string, type: PlaceholderType = 'string'): void {
    const s = secret.trim();
    if (s.length < MIN_SCRUB_LENGTH || isPlaceholder(s) || secrets.has(s)) return;
    const p = placeholder(s, type);
    secrets.set(s, p);
    const encoded = encodeURIComponent(s);
    if (encoded !== s) secrets.set(encoded, p);
    ordered = undefined;
  }

  function text(input: string): string {
    if (secrets.size === 0) return input;
    ordered ??= [...secrets].sort((a, b) => b[0].length - a[0].length);
    let out = input;
    for (const [secret, p] of ordered) if (out.includes(secret)) out = out.split(secret).join(p);
    return out;
  }

  // ---- JSON -------------------------------------------------------------------------------------------------
  function scanJson(value: unknown, secret: boolean): void {
    if (typeof value === 'string') { if (secret) remember(value); return; }
    if (typeof value === 'number') { if (secret) remember(String(value), 'number'); return; }
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) { for (const v of value) scanJson(v, secret); return; }
    for (const [k, v] of Object.entries(value)) scanJson(v, secret || isSecretField(k));
  }

  function redactJson(value: unknown, secret: boolean): unknown {
    if (typeof value === 'string') {
      if (secret) { remember(value); return placeholder(value); }
      return text(value);
    }
    if (typeof value === 'number') {
      if (!secret) return value;
      remember(String(value), 'number');
      return placeholder(String(value), 'number');
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => redactJson(v, secret));
    if (Buffer.isBuffer(value)) return text(value.toString('utf8'));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[text(k)] = redactJson(v, secret || isSecretField(k));
    return out;
  }

  // ---- headers ----------------------------------------------------------------------------------------------
  function headerSecrets(name: string, value: string): string[] {
    const lower = name.toLowerCase();
    if (lower === 'cookie') return value.split(';').map((c) => c.slice(c.indexOf('=') + 1).trim());
    if (lower === 'set-cookie') {
      const first = value.split(';', 1)[0] ?? '';
      return [first.slice(first.indexOf('=') + 1).trim()];
    }
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const space = value.indexOf(' ');
      return space === -1 ? [value] : [value, value.slice(space + 1).trim()];
    }
    return [value];
  }

  function redactHeaderValue(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (!isSecretHeader(lower)) return text(value);
    if (lower === 'cookie') {
      return value.split(';').map((c) => {
        const eq = c.indexOf('=');
        return eq === -1 ? placeholder(c.trim()) : `${c.slice(0, eq).trim()}=${placeholder(c.slice(eq + 1).trim())}`;
      }).join('; ');
    }
    if (lower === 'set-cookie') {
      const parts = value.split(';');
      const first = parts[0] ?? '';
      const eq = first.indexOf('=');
      parts[0] = eq === -1 ? placeholder(first.trim()) : `${first.slice(0, eq).trim()}=${placeholder(first.slice(eq + 1).trim())}`;
      return parts.join(';');
    }
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const space = value.indexOf(' ');
      return space === -1 ? placeholder(value) : `${value.slice(0, space)} ${placeholder(value.slice(space + 1).trim())}`;
    }
    return placeholder(value);
  }

  function scanHeaders(headers: Record<string, string | string[] | undefined>): void {
    for (const [name, raw] of Object.entries(headers)) {
      if (raw === undefined || !isSecretHeader(name)) continue;
      for (const v of Array.isArray(raw) ? raw : [raw]) for (const s of headerSecrets(name, String(v))) remember(s);
    }
  }

  function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
    const out: Record<string, string | string[] | undefined> = {};
    for (const [name, raw] of Object.entries(headers)) {
      if (raw === undefined) continue;
      out[name] = Array.isArray(raw) ? raw.map((v) => redactHeaderValue(name, String(v))) : redactHeaderValue(name, String(raw));
    }
    return out;
  }

  // ---- paths and bodies -------------------------------------------------------------------------------------
  function scanQuery(path: string): void {
    const q = path.indexOf('?');
    if (q === -1) return;
    for (const [k, v] of new URLSearchParams(path.slice(q + 1))) if (isSecretField(k)) remember(v);
  }

  function redactRequestPath(path: string): string {
    const q = path.indexOf('?');
    if (q === -1) return text(path);
    const parts = path.slice(q + 1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return text(pair);
      let name = pair.slice(0, eq);
      try { name = decodeURIComponent(name.replace(/\+/g, ' ')); } catch { /* keep raw */ }
      return isSecretField(name) ? `${pair.slice(0, eq)}=${placeholder(pair.slice(eq + 1))}` : text(pair);
    });
    return `${text(path.slice(0, q))}?${parts.join('&')}`;
  }

  type BodyKind = { kind: 'json'; value: unknown } | { kind: 'form'; value: URLSearchParams } | { kind: 'text'; value: string };

  function readBody(bytes: Buffer, contentType: string | undefined): BodyKind {
    const str = bytes.toString('utf8');
    const media = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (media === 'application/x-www-form-urlencoded') return { kind: 'form', value: new URLSearchParams(str) };
    if (isJsonContentType(contentType) || /^\s*[{[]/.test(str)) {
      try { return { kind: 'json', value: JSON.parse(str) as unknown }; } catch { /* text */ }
    }
    return { kind: 'text', value: str };
  }

  function scanBody(bytes: Buffer, contentType: string | undefined): void {
    if (bytes.length === 0 || bytes.length > MAX_REDACT_BODY_BYTES) return;
    const body = readBody(bytes, contentType);
    if (body.kind === 'json') scanJson(body.value, false);
    else if (body.kind === 'form') { for (const [k, v] of body.value) if (isSecretField(k)) remember(v); }
  }

  function redactBody(bytes: Buffer, contentType: string | undefined): Buffer {
    if (bytes.length === 0) return bytes;
    if (bytes.length > MAX_REDACT_BODY_BYTES) return Buffer.from(`«body of ${bytes.length} bytes not kept»`);
    const body = readBody(bytes, contentType);
    if (body.kind === 'json') return Buffer.from(JSON.stringify(redactJson(body.value, false)));
    if (body.kind === 'form') {
      const out = new URLSearchParams();
      for (const [k, v] of body.value) out.append(text(k), isSecretField(k) ? placeholder(v) : text(v));
      return Buffer.from(out.toString());
    }
    // A text body that is one random-looking token (e.g. a bare `TRIAL-…` token) is itself a secret.
    const trimmed = body.value.trim();
    if (looksLikeToken(trimmed)) remember(trimmed);
    return Buffer.from(text(body.value));
  }

  function decodedResponseBody(res: CapturedResponse): Buffer {
    const decoded = decodeBody(res, MAX_REDACT_BODY_BYTES);
    if (decoded.ok) return decoded.bytes;
    return decoded.reason === 'body-too-large' ? Buffer.alloc(MAX_REDACT_BODY_BYTES + 1) : Buffer.from(`«${decoded.reason} body: ${decoded.encoding}»`);
  }

  // ---- findings ---------------------------------------------------------------------------------------------
  function lastKey(path: string): string | undefined {
    const tokens = splitPath(path);
    for (let i = tokens.length - 1; i >= 0; i--) {
      const t = tokens[i] as string;
      if (!(t.startsWith('[') && t.endsWith(']'))) return t;
    }
    return undefined;
  }

  function redactFinding(f: Finding): Finding {
    const tokens = splitPath(f.path);
    const isHeader = tokens[0] === 'header' && tokens.length === 2;
    const key = lastKey(f.path);
    const secret = key !== undefined && (isHeader ? isSecretHeader(key) : isSecretField(key)) && f.class !== 'key-casing';
    const out: Finding = { ...f, path: text(f.path) };
    for (const side of ['legacy', 'candidate'] as const) {
      if (!(side in f)) continue;
      const v = f[side];
      out[side] = isHeader && secret && typeof v === 'string' ? redactHeaderValue(key, v) : redactJson(v, secret);
    }
    return out;
  }

  // ---- Redis keys and values -------------------------------------------------------------------------------
  /** A key that is a token (`TRIAL-…`), and the token parts of `session:<token>`, `counter/2024-05/<token>`. */
  function scanKey(key: string): void {
    for (const part of key.split(/[:/|]/)) if (looksLikeToken(part)) remember(part);
  }

  /** Redis finding paths name keys (discovered writes: key patterns) and renames carry key patterns as values. */
  function scanRedisFinding(f: Finding): void {
    const tokens = splitPath(f.path);
    if (tokens[0] !== 'redis') return;
    for (const token of tokens.slice(1)) scanKey(token);
    if (f.class !== 'redis-key-renamed') return;
    for (const v of [f.legacy, f.candidate]) if (typeof v === 'string') scanKey(v);
  }

  function scanRedis(entries: readonly RedisSample[]): void {
    for (const entry of entries) {
      for (const key of [entry.legacyKey, entry.newKey]) if (key !== undefined) scanKey(key);
      if ('legacy' in entry) scanJson(entry.legacy, false);
      if ('new' in entry) scanJson(entry.new, false);
    }
  }

  function redactRedis(entry: RedisSample): RedisSample {
    const out: RedisSample = { name: text(entry.name) };
    if (entry.legacyKey !== undefined) out.legacyKey = text(entry.legacyKey);
    if (entry.newKey !== undefined) out.newKey = text(entry.newKey);
    if ('legacy' in entry) out.legacy = redactJson(entry.legacy, false);
    if ('new' in entry) out.new = redactJson(entry.new, false);
    return out;
  }

  // Parts already scanned in this session: a sample's parts are scanned before redaction and need no second pass.
  const scanned = new WeakSet<object>();
  /** parsedJson: a body the comparison parsed as a JSON object or array, which redaction would parse the same way (not a form). */
  const parsedJson = (decoded: unknown, res: CapturedResponse): decoded is object => typeof decoded === 'object' && decoded !== null
    && !Buffer.isBuffer(decoded) && !(headerValue(res.headers, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

  function scanRequest(req: CapturedRequest): void {
    if (scanned.has(req)) return;
    scanned.add(req);
    scanHeaders(req.headers);
    scanQuery(req.path);
    scanBody(req.body, headerValue(req.headers, 'content-type'));
  }
  function scanResponse(res: CapturedResponse, decoded?: unknown): void {
    if (scanned.has(res)) return;
    scanned.add(res);
    scanHeaders(res.headers);
    if (parsedJson(decoded, res)) scanJson(decoded, false);
    else scanBody(decodedResponseBody(res), headerValue(res.headers, 'content-type'));
  }

  return {
    remember,
    text,
    scanRequest,
    scanResponse,
    scanRedis,
    path: redactRequestPath,
    request(req) {
      scanRequest(req);
      return {
        method: req.method,
        path: redactRequestPath(req.path),
        headers: redactHeaders(req.headers),
        body: redactBody(req.body, headerValue(req.headers, 'content-type')),
      };
    },
    response(res, decoded) {
      scanResponse(res, decoded);
      const headers = redactHeaders(res.headers);
      delete headers['content-encoding'];
      delete headers['content-length'];
      const body = parsedJson(decoded, res) && res.body.length <= MAX_REDACT_BODY_BYTES
        ? Buffer.from(JSON.stringify(redactJson(decoded, false)))
        : redactBody(decodedResponseBody(res), headerValue(res.headers, 'content-type'));
      const out: CapturedResponse = { status: res.status, headers, body };
      if (res.truncated === true) out.truncated = true;
      return out;
    },
    findings(findings) {
      for (const f of findings) scanRedisFinding(f);
      return findings.map(redactFinding);
    },
    value(value) {
      return redactJson(value, false);
    },
    redis(entries) {
      scanRedis(entries);
      return entries.map(redactRedis);
    },
  };
}
