import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIFF_ERRORS, DiffError, type DiffErrorCode } from './errors.js';

describe('DIFF error codes', () => {
  it('all start with DIFF_ and carry a status and a message', () => {
    for (const [code, def] of Object.entries(DIFF_ERRORS)) {
      assert.match(code, /^DIFF_[A-Z_]+$/);
      assert.ok(def.status >= 400 && def.status < 600);
      assert.ok(def.message.length > 0);
    }
  });
  it('are all listed in the table at the top of errors.ts', () => {
    const source = readFileSync(fileURLToPath(new URL('../../shadow-report/errors.ts', import.meta.url)), 'utf8');
    for (const code of Object.keys(DIFF_ERRORS)) assert.ok(source.includes(`| ${code} |`), `${code} not documented`);
  });
  it('keep the code, status and cause on the error', () => {
    const cause = new Error('boom');
    const e = new DiffError('DIFF_STORE_UNAVAILABLE' satisfies DiffErrorCode, 'redis down', { cause });
    assert.deepEqual([e.code, e.status, e.cause], ['DIFF_STORE_UNAVAILABLE', 503, cause]);
    assert.match(e.message, /redis down/);
  });
});
