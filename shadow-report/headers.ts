/** headerValue reads a header case-insensitively and joins repeated values with `, ` (RFC 9110 §5.3), trimmed. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  let raw = headers[lower];
  if (raw === undefined) {
    for (const key in headers) {
      if (key.toLowerCase() === lower) { raw = headers[key]; break; }
    }
  }
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return raw.trim();
  if (!Array.isArray(raw)) return String(raw).trim();
  return raw.map((v) => String(v).trim()).join(', ');
}
