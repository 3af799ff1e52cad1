import type { BlockList } from 'node:net';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus Proxy-*; removed in both directions before figway adds its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** Request headers figway rebuilds itself or must not forward (Node already answered Expect: 100-continue). */
const REBUILT = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);

function connectionTokens(rawHeaders: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      tokens ??= new Set();
      for (const token of rawHeaders[i + 1]!.split(',')) {
        const trimmed = token.trim().toLowerCase();
        if (trimmed !== '') tokens.add(trimmed);
      }
    }
  }
  return tokens;
}

/** isHopByHop tells whether a lower-case header name is hop-by-hop (listed, Proxy-*, or named in Connection). */
export function isHopByHop(lowerName: string, named: Set<string> | undefined): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-') || (named !== undefined && named.has(lowerName));
}

/** ForwardingFacts are what figway adds to a forwarded request. */
export interface ForwardingFacts {
  remoteAddress: string;
  trusted: boolean;
  host: string | undefined;
  requestId: string;
  /** Lower-case name of the override header, always stripped. */
  overrideHeader: string;
  /** Extra headers to add (e.g. the shadow marker), flat [name, value, ...]. */
  extra?: readonly string[];
}

/**
 * upstreamRequestHeaders builds the flat header list sent upstream: hop-by-hop headers (including those named in
 * Connection) and the override header are dropped first, then X-Forwarded-* and X-Request-Id are set, so a client
 * cannot use Connection to strip what figway adds. Client X-Forwarded-* values are kept only from trusted proxies.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], facts: ForwardingFacts): string[] {
  const named = connectionTokens(rawHeaders);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let hasRequestId = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower, named) || lower === facts.overrideHeader) continue;
    if (REBUILT.has(lower)) {
      if (facts.trusted) {
        if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        else if (lower === 'x-forwarded-proto') forwardedProto ??= value;
        else if (lower === 'x-forwarded-host') forwardedHost ??= value;
      }
      continue;
    }
    if (lower === 'x-request-id') {
      if (hasRequestId) continue;
      hasRequestId = true;
    }
    out.push(name, value);
  }
  out.push('x-forwarded-for', forwardedFor === undefined ? facts.remoteAddress : `${forwardedFor}, ${facts.remoteAddress}`);
  out.push('x-forwarded-proto', forwardedProto ?? 'http');
  if (forwardedHost !== undefined || facts.host !== undefined) out.push('x-forwarded-host', forwardedHost ?? facts.host!);
  if (!hasRequestId) out.push('x-request-id', facts.requestId);
  if (facts.extra !== undefined) out.push(...facts.extra);
  return out;
}

/**
 * clientResponseHeaders filters an upstream's raw response headers (Buffers from undici) for the client. Each name is
 * decoded once; headers named in Connection (rare) are removed in a second pass over the result.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      for (const token of raw[i + 1]!.toString('latin1').split(',')) {
        const trimmed = token.trim().toLowerCase();
        if (trimmed !== 'close' && trimmed !== 'keep-alive' && trimmed !== '') (named ??= new Set()).add(trimmed);
      }
      continue;
    }
    if (isHopByHop(lower, undefined)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (named === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
  }
  return kept;
}

/**
 * clientAddressOf is the address a request comes from: the socket peer, or — when the peer is a trusted proxy — the
 * right-most untrusted address of X-Forwarded-For.
 */
export function clientAddressOf(remoteAddress: string, forwardedFor: string | undefined, trusted: BlockList | undefined): string {
  if (trusted === undefined || forwardedFor === undefined || !isTrusted(trusted, remoteAddress)) return remoteAddress;
  const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(trusted, hops[i]!)) return hops[i]!;
  }
  return hops[0] ?? remoteAddress;
}

/** isTrusted checks an address (IPv4-mapped IPv6 unwrapped) against the trusted proxy list. */
export function isTrusted(list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  try {
    return list.check(plain, plain.includes(':') ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}
