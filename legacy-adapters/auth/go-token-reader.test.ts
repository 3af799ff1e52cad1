import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goMessageBody, goQuote } from './go-text.js';
import { parseGoInt64, readGoTokenValue } from './go-token-reader.js';

describe('readGoTokenValue (Go encoding/json into TokenValue)', () => {
  it('matches keys case-insensitively and ignores unknown keys', () => {
    assert.deepEqual(readGoTokenValue('{"useremail":"a@b.c","MONTHLYLIMIT":5,"revoked":true,"Token":"x"}'), { UserEmail: 'a@b.c', MonthlyLimit: 5n, Revoked: true });
  });
  it('zero-fills a missing MonthlyLimit like the Go test seed', () => {
    assert.deepEqual(readGoTokenValue('{"UserEmail":"foo@example.com","Revoked":false}'), { UserEmail: 'foo@example.com', MonthlyLimit: 0n, Revoked: false });
  });
  it('lets the last of two differently cased keys win', () => {
    assert.equal(readGoTokenValue('{"UserEmail":"first","useremail":"second"}').UserEmail, 'second');
  });
  it('treats null as leaving the field alone', () => {
    assert.deepEqual(readGoTokenValue('null'), { UserEmail: '', MonthlyLimit: 0n, Revoked: false });
    assert.equal(readGoTokenValue('{"MonthlyLimit":null}').MonthlyLimit, 0n);
  });
  it('reports syntax errors with Go scanner text', () => {
    const cases: Array<[string, string]> = [
      ['baz', "invalid character 'b' looking for beginning of value"],
      ['', 'unexpected end of JSON input'],
      ['{"UserEmail":"a",}', "invalid character '}' looking for beginning of object key string"],
      ['{"UserEmail" "a"}', "invalid character '\"' after object key"],
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ['{} x', "invalid character 'x' after top-level value"],
      ['{"Revoked":tru}', "invalid character '}' in literal true (expecting 'e')"],
      ['{"MonthlyLimit":1.}', "invalid character '}' after decimal point in numeric literal"],
      ['{"UserEmail":"a', 'unexpected end of JSON input'],
    ];
    for (const [input, message] of cases) assert.throws(() => readGoTokenValue(input), { name: 'GoError', message }, input);
  });
  it('reports type mismatches with Go unmarshal text', () => {
    assert.throws(() => readGoTokenValue('{"MonthlyLimit":"5"}'), { message: 'json: cannot unmarshal string into Go struct field TokenValue.MonthlyLimit of type int64' });
    assert.throws(() => readGoTokenValue('{"MonthlyLimit":1.5}'), { message: 'json: cannot unmarshal number 1.5 into Go struct field TokenValue.MonthlyLimit of type int64' });
    assert.throws(() => readGoTokenValue('{"Revoked":1}'), { message: 'json: cannot unmarshal number into Go struct field TokenValue.Revoked of type bool' });
    assert.throws(() => readGoTokenValue('[]'), { message: 'json: cannot unmarshal array into Go value of type main.TokenValue' });
  });
  it('keeps int64 precision beyond 2^53', () => {
    assert.equal(readGoTokenValue('{"MonthlyLimit":9223372036854775807}').MonthlyLimit, 9223372036854775807n);
  });
});

describe('Go text helpers', () => {
  it('goQuote escapes quotes, backslashes and controls like strconv.Quote', () => {
    assert.equal(goQuote('a"b\\c\n\u0001é'), '"a\\"b\\\\c\\n\\x01é"');
  });
  it('goMessageBody escapes HTML characters like encoding/json', () => {
    assert.equal(goMessageBody('<a&b>'), '{"message":"\\u003ca\\u0026b\\u003e"}');
  });
  it('goMessageBody of a quoted error nests the quotes', () => {
    assert.equal(goMessageBody(goQuote("invalid character 'b'")), '{"message":"\\"invalid character \'b\'\\""}');
  });
  it('parseGoInt64 answers strconv errors', () => {
    assert.equal(parseGoInt64('+41'), 41n);
    assert.throws(() => parseGoInt64('abc'), { message: 'strconv.ParseInt: parsing "abc": invalid syntax' });
    assert.throws(() => parseGoInt64('99999999999999999999'), { message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range' });
  });
});
