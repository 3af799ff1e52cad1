import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dotnetJsonSerialize, dotnetJsonString } from './dotnet-json.js';

describe('dotnetJsonSerialize', () => {
  it('writes a token record with PascalCase names and escapes + as \\u002B', () => {
    assert.equal(
      dotnetJsonSerialize({ UserEmail: 'a+b@x.com', MonthlyLimit: 100, Revoked: false }),
      '{"UserEmail":"a\\u002Bb@x.com","MonthlyLimit":100,"Revoked":false}',
    );
  });
  it('escapes HTML-sensitive ASCII, the double quote and non-ASCII with upper-case hex', () => {
    assert.equal(dotnetJsonString('é<>&\'"`'), '"\\u00E9\\u003C\\u003E\\u0026\\u0027\\u0022\\u0060"');
  });
  it('escapes characters outside the BMP one surrogate at a time', () => {
    assert.equal(dotnetJsonString('👋'), '"\\uD83D\\uDC4B"');
  });
  it('keeps the short escapes for backslash and common controls and \\uXXXX for the others', () => {
    assert.equal(dotnetJsonString('a\\b\n\t\r\u0001\u007f'), '"a\\\\b\\n\\t\\r\\u0001\\u007F"');
  });
  it('writes waiting-list items whose strings equal the input once parsed', () => {
    const user = { name: 'Zoë <admin>', email: 'o\'neil+1@x.com', building: null, calls: 5 };
    const written = dotnetJsonSerialize(user);
    assert.equal(written, '{"name":"Zo\\u00EB \\u003Cadmin\\u003E","email":"o\\u0027neil\\u002B1@x.com","building":null,"calls":5}');
    assert.deepEqual(JSON.parse(written), user);
  });
  it('serializes arrays and nested objects compactly', () => {
    assert.equal(dotnetJsonSerialize([{ a: [1, true] }, 'x']), '[{"a":[1,true]},"x"]');
  });
});
