/** Hop-by-hop header handling (RFC 9110 §7.6.1) shared by the bench's own forwarders. */

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'host',
]);

type Headers = Record<string, string | string[] | undefined>;

/** endToEnd copies `headers` without hop-by-hop headers, those named in Connection, and Host. */
export function endToEnd(headers: Headers): Record<string, string | string[]> {
  const connection = headers.connection;
  const named = typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close'
    ? new Set(connection.toLowerCase().split(',').map((token) => token.trim()))
    : undefined;
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || HOP_BY_HOP.has(key) || named?.has(key)) continue;
    out[key] = value;
  }
  return out;
}
