/**
 * A reader for the token record that behaves like Go's `json.Unmarshal` into the legacy `TokenValue` struct:
 * keys match case-insensitively, unknown keys are ignored, missing keys keep their zero value, null leaves a field
 * alone, and every failure carries Go's error text (the legacy auth puts that text into its 500 body).
 */

/** GoTokenValue mirrors the Go struct; MonthlyLimit is an int64, hence a bigint. */
export interface GoTokenValue {
  UserEmail: string;
  MonthlyLimit: bigint;
  Revoked: boolean;
}

/** GoError carries the exact error text Go would have produced (JSON or strconv). */
export class GoError extends Error {
  override readonly name = 'GoError';
}

type GoValue =
  | { kind: 'object'; entries: Array<[string, GoValue]> }
  | { kind: 'array'; items: GoValue[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Go's scanner reports the offending byte with quoteChar.
function quoteChar(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return "'\"'";
  if (byte >= 0x20 && byte < 0x7f) return `'${String.fromCharCode(byte)}'`;
  if (byte < 0x80) {
    const short: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
    return `'${short[byte] ?? `\\x${byte.toString(16).padStart(2, '0')}`}'`;
  }
  // string(byte) in Go is the rune U+00XX.
  return `'${String.fromCharCode(byte)}'`;
}

/** Parser walks the bytes like Go's scanner so syntax errors name the same byte and context. */
class GoParser {
  private pos = 0;
  constructor(private readonly bytes: Buffer) {}

  parseDocument(): GoValue {
    const value = this.parseValue();
    this.skipSpace();
    if (this.pos < this.bytes.length) this.fail('after top-level value');
    return value;
  }

  private fail(context: string): never {
    if (this.pos >= this.bytes.length) throw new GoError('unexpected end of JSON input');
    throw new GoError(`invalid character ${quoteChar(this.bytes[this.pos] ?? 0)} ${context}`);
  }

  private peek(): number | undefined {
    return this.bytes[this.pos];
  }

  private skipSpace(): void {
    for (;;) {
      const byte = this.peek();
      if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) this.pos++;
      else return;
    }
  }

  private parseValue(): GoValue {
    this.skipSpace();
    const byte = this.peek();
    if (byte === 0x7b) return this.parseObject();
    if (byte === 0x5b) return this.parseArray();
    if (byte === 0x22) return { kind: 'string', value: this.parseString() };
    if (byte === 0x2d || (byte !== undefined && byte >= 0x30 && byte <= 0x39)) return this.parseNumber();
    if (byte === 0x74) { this.literal('true'); return { kind: 'bool', value: true }; }
    if (byte === 0x66) { this.literal('false'); return { kind: 'bool', value: false }; }
    if (byte === 0x6e) { this.literal('null'); return { kind: 'null' }; }
    return this.fail('looking for beginning of value');
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.peek() !== word.charCodeAt(i)) this.fail(`in literal ${word} (expecting '${word[i]}')`);
      this.pos++;
    }
  }

  private parseObject(): GoValue {
    this.pos++;
    const entries: Array<[string, GoValue]> = [];
    this.skipSpace();
    if (this.peek() === 0x7d) { this.pos++; return { kind: 'object', entries }; }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== 0x22) this.fail('looking for beginning of object key string');
      const key = this.parseString();
      this.skipSpace();
      if (this.peek() !== 0x3a) this.fail('after object key');
      this.pos++;
      entries.push([key, this.parseValue()]);
      this.skipSpace();
      const next = this.peek();
      if (next === 0x2c) { this.pos++; continue; }
      if (next === 0x7d) { this.pos++; return { kind: 'object', entries }; }
      this.fail('after object key:value pair');
    }
  }

  private parseArray(): GoValue {
    this.pos++;
    const items: GoValue[] = [];
    this.skipSpace();
    if (this.peek() === 0x5d) { this.pos++; return { kind: 'array', items }; }
    for (;;) {
      items.push(this.parseValue());
      this.skipSpace();
      const next = this.peek();
      if (next === 0x2c) { this.pos++; continue; }
      if (next === 0x5d) { this.pos++; return { kind: 'array', items }; }
      this.fail('after array element');
    }
  }

  private parseString(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const byte = this.peek();
      if (byte === undefined) this.fail('in string literal');
      else if (byte === 0x22) { this.pos++; break; }
      else if (byte < 0x20) this.fail('in string literal');
      else if (byte === 0x5c) {
        this.pos++;
        const escape = this.peek();
        if (escape === 0x75) {
          this.pos++;
          for (let i = 0; i < 4; i++) {
            const hex = this.peek();
            if (hex === undefined || !/[0-9a-fA-F]/.test(String.fromCharCode(hex))) this.fail('in \\u hexadecimal character escape');
            this.pos++;
          }
        } else if (escape !== undefined && '"\\/bfnrt'.includes(String.fromCharCode(escape))) this.pos++;
        else this.fail('in string escape code');
      } else this.pos++;
    }
    // The literal is valid JSON now; Buffer decoding replaces invalid UTF-8 with U+FFFD as Go does.
    return JSON.parse(this.bytes.subarray(start, this.pos).toString('utf8')) as string;
  }

  private parseNumber(): GoValue {
    const start = this.pos;
    const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
    if (this.peek() === 0x2d) this.pos++;
    if (this.peek() === 0x30) this.pos++;
    else if (isDigit(this.peek())) while (isDigit(this.peek())) this.pos++;
    else this.fail('in numeric literal');
    if (this.peek() === 0x2e) {
      this.pos++;
      if (!isDigit(this.peek())) this.fail('after decimal point in numeric literal');
      while (isDigit(this.peek())) this.pos++;
    }
    if (this.peek() === 0x65 || this.peek() === 0x45) {
      this.pos++;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.pos++;
      if (!isDigit(this.peek())) this.fail('in exponent of numeric literal');
      while (isDigit(this.peek())) this.pos++;
    }
    return { kind: 'number', raw: this.bytes.subarray(start, this.pos).toString('latin1') };
  }
}

const FIELD_TYPES = { UserEmail: 'string', MonthlyLimit: 'int64', Revoked: 'bool' } as const;
type FieldName = keyof typeof FIELD_TYPES;
const FIELD_NAMES = Object.keys(FIELD_TYPES) as FieldName[];

function kindWord(value: GoValue): string {
  return value.kind === 'bool' ? 'bool' : value.kind;
}

// Go prefers an exact key match, then a case-insensitive one (encoding/json foldName).
function fieldFor(key: string): FieldName | undefined {
  return FIELD_NAMES.find((name) => name === key) ?? FIELD_NAMES.find((name) => name.toLowerCase() === key.toLowerCase());
}

/**
 * readGoTokenValue decodes a token record as the legacy Go auth did, throwing GoError with Go's text.
 * Like Go, a type mismatch does not stop decoding: the first one is reported after the whole object is read.
 */
export function readGoTokenValue(raw: Buffer | string): GoTokenValue {
  const document = new GoParser(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8')).parseDocument();
  const result: GoTokenValue = { UserEmail: '', MonthlyLimit: 0n, Revoked: false };
  if (document.kind === 'null') return result;
  if (document.kind !== 'object') {
    throw new GoError(`json: cannot unmarshal ${kindWord(document)} into Go value of type main.TokenValue`);
  }
  let firstError: GoError | undefined;
  const typeError = (value: GoValue | string, field: FieldName) => {
    const what = typeof value === 'string' ? value : kindWord(value);
    firstError ??= new GoError(`json: cannot unmarshal ${what} into Go struct field TokenValue.${field} of type ${FIELD_TYPES[field]}`);
  };
  for (const [key, value] of document.entries) {
    const field = fieldFor(key);
    if (field === undefined || value.kind === 'null') continue;
    if (field === 'UserEmail') {
      if (value.kind === 'string') result.UserEmail = value.value;
      else typeError(value, field);
    } else if (field === 'Revoked') {
      if (value.kind === 'bool') result.Revoked = value.value;
      else typeError(value, field);
    } else if (value.kind === 'number') {
      const parsed = /^-?\d+$/.test(value.raw) ? BigInt(value.raw) : undefined;
      if (parsed === undefined || parsed < INT64_MIN || parsed > INT64_MAX) typeError(`number ${value.raw}`, field);
      else result.MonthlyLimit = parsed;
    } else typeError(value, field);
  }
  if (firstError !== undefined) throw firstError;
  return result;
}

/** parseGoInt64 imitates go-redis `Int64()` (strconv.ParseInt base 10) on a counter value. */
export function parseGoInt64(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new GoError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) throw new GoError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  return value;
}
