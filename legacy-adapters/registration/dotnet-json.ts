/**
 * dotnetJsonSerialize writes JSON byte-for-byte like .NET's `JsonSerializer.Serialize` with default options
 * (JavaScriptEncoder.Default): only printable ASCII outside `"&'+<>\`` is written raw; everything else becomes
 * `\uXXXX` with upper-case hex, surrogate pairs escaped one half at a time. The legacy registration wrote every
 * Redis value this way, so state comparisons see these exact bytes.
 */

/** DotnetJsonValue is what the serializer accepts: plain JSON data, with properties in declaration order. */
export type DotnetJsonValue = string | number | boolean | null | DotnetJsonValue[] | { [key: string]: DotnetJsonValue };

const SHORT: Record<string, string> = { '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };
// JavaScriptEncoder.Default blocks these even inside Basic Latin (HTML-sensitive characters).
const BLOCKED_ASCII = new Set(['"', '&', "'", '+', '<', '>', '`']);

/** dotnetJsonString encodes one string the way System.Text.Json's default encoder does. */
export function dotnetJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    const code = text.charCodeAt(i);
    const short = SHORT[char];
    if (short !== undefined) out += short;
    else if (code >= 0x20 && code < 0x7f && !BLOCKED_ASCII.has(char)) out += char;
    else out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** dotnetJsonSerialize serializes `value` compactly with .NET's default escaping. */
export function dotnetJsonSerialize(value: DotnetJsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return dotnetJsonString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('.NET refuses to serialize NaN or Infinity by default');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(dotnetJsonSerialize).join(',')}]`;
  return `{${Object.entries(value).map(([key, item]) => `${dotnetJsonString(key)}:${dotnetJsonSerialize(item)}`).join(',')}}`;
}
