import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_ERRORS, CONFIG_ERROR_CODES, PROXY_ERRORS, errorBody } from './errors.js';
import { DIFF_ERRORS } from '../shadow-report/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('docs/errors.md lists exactly the codes the code defines, with the same statuses', async () => {
  const doc = await readFile(join(root, 'docs', 'errors.md'), 'utf8');
  const documented = new Map<string, string>();
  for (const match of doc.matchAll(/^\| ((?:PROXY|ADMIN|CONFIG|DIFF)_[A-Z0-9_]+) \| ([^|]+)\|/gm)) documented.set(match[1]!, match[2]!.trim());
  const defined = new Map<string, string>();
  for (const [code, spec] of Object.entries({ ...PROXY_ERRORS, ...ADMIN_ERRORS, ...DIFF_ERRORS })) defined.set(code, String(spec.status));
  for (const code of Object.keys(CONFIG_ERROR_CODES)) defined.set(code, '');
  assert.deepEqual([...documented.keys()].sort(), [...defined.keys()].sort());
  for (const [code, status] of defined) if (status !== '') assert.equal(documented.get(code), status, code);
});

test('error bodies carry the code and request id and nothing about upstreams', () => {
  assert.deepEqual(JSON.parse(errorBody('PROXY_UPSTREAM_TIMEOUT', 'rid')), {
    error: { code: 'PROXY_UPSTREAM_TIMEOUT', message: 'The upstream did not answer in time.', requestId: 'rid' },
  });
});
