/**
 * Go's text conventions the legacy auth leaks into its answers: `strconv.Quote` for error messages and
 * `encoding/json`'s string encoding (HTML-safe by default) for the JSON body around them.
 */

const SHORT_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
// unicode.IsPrint is false for controls, format characters, separators other than ASCII space, surrogates, private use.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\p{Zs}]/u;

/** goQuote imitates Go's `strconv.Quote`: a double-quoted literal with Go escapes for non-printable runes. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (SHORT_ESCAPES[code] !== undefined) out += SHORT_ESCAPES[code];
    else if (char === ' ' || !NOT_PRINTABLE.test(char)) out += char;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** goJsonString imitates `encoding/json` string encoding: `<`, `>`, `&`, U+2028 and U+2029 become `\u00XX`. */
export function goJsonString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

/** goMessageBody is the legacy auth's JSON error body `{"message":...}` as Go's encoder writes it. */
export function goMessageBody(message: string): string {
  return `{"message":${goJsonString(message)}}`;
}
