import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatConfigIssue } from '../errors.js';
import { parseConfigText, parseWeightsText } from './load.js';

const BASE = `listeners:
  gateway: { port: 8080 }
upstreams:
  auth-legacy: { url: "http://127.0.0.1:3001" }
  auth-new: { url: "http://127.0.0.1:3002" }
routes:
  - name: auth
    match: { pathPrefix: / }
    legacy: auth-legacy
    new: auth-new
    sticky: { header: X-Pesto-Token }
`;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map(formatConfigIssue);
  }
  assert.fail('expected a ConfigError');
}

test('a valid configuration loads with defaults filled in', () => {
  const { config, weightsPath } = parseConfigText('/etc/figway/figway.yaml', BASE);
  assert.equal(config.routes[0]!.maxBodyBytes, 10 * 1024 * 1024);
  assert.equal(config.upstreams['auth-legacy']!.connections, 128);
  assert.equal(config.listeners.admin.host, '127.0.0.1');
  assert.equal(weightsPath, '/etc/figway/weights.yaml');
});

test('bad YAML is rejected with its line', () => {
  const [issue] = issuesOf(() => parseConfigText('f.yaml', 'routes:\n  - name: [unclosed\n'));
  assert.match(issue!, /^f\.yaml:\d+: .*\[CONFIG_YAML\]$/);
});

test('an unknown field is rejected naming the file, the line and the field', () => {
  const text = BASE.replace('    sticky: { header: X-Pesto-Token }', '    sticky: { header: X-Pesto-Token }\n    stickyness: 3');
  assert.deepEqual(issuesOf(() => parseConfigText('f.yaml', text)), ['f.yaml:12: routes[0].stickyness: unknown field "stickyness" [CONFIG_SCHEMA]']);
});

test('a route naming an undeclared upstream is rejected at its line', () => {
  const issues = issuesOf(() => parseConfigText('f.yaml', BASE.replace('new: auth-new', 'new: auth-rust')));
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /^f\.yaml:10: routes\[0\]\.new: upstream "auth-rust" is not declared/);
});

test('mirroring a non-idempotent method without isolated writes is refused at load', () => {
  const text = `${BASE}    mirror: { methods: [GET, POST] }\n`;
  const issues = issuesOf(() => parseConfigText('f.yaml', text));
  assert.match(issues[0]!, /routes\[0\]\.mirror\.methods: mirroring POST would repeat writes against production.*\[CONFIG_UNSAFE_MIRROR\]/);
  // Isolation needs shadow deployments on both sides.
  const isolated = issuesOf(() => parseConfigText('f.yaml', `${BASE}    mirror: { methods: [GET, POST], sideEffects: isolated }\n`));
  assert.equal(isolated.length, 2);
  assert.match(isolated[0]!, /CONFIG_SHADOW_DEPLOYMENT_MISSING/);
  // Declaring "none" is an explicit statement and is accepted.
  parseConfigText('f.yaml', `${BASE}    mirror: { methods: [GET, POST], sideEffects: none }\n`);
});

test('duplicate routes, bad key templates and bad CIDRs are rejected', () => {
  const duplicate = BASE + BASE.split('routes:\n')[1]!;
  assert.match(issuesOf(() => parseConfigText('f.yaml', duplicate))[0]!, /routes\[1\]\.name: route "auth" is already defined.*CONFIG_DUPLICATE_ROUTE/);
  const template = `${BASE}    redis:\n      keys:\n        - { name: counter, key: "counter/{month}/{keys.token.UserEmail}" }\n`;
  assert.match(issuesOf(() => parseConfigText('f.yaml', template))[0]!, /keys\[0\]\.key: .*declared before.*CONFIG_BAD_TEMPLATE/);
  const unknownPlaceholder = `${BASE}    redis:\n      keys:\n        - { name: t, key: "{cookie.x}" }\n`;
  assert.match(issuesOf(() => parseConfigText('f.yaml', unknownPlaceholder))[0]!, /unknown placeholder/);
  const cidr = `trustedProxies: [10.0.0.0/33]\n${BASE}`;
  assert.match(issuesOf(() => parseConfigText('f.yaml', cidr))[0]!, /^f\.yaml:1: trustedProxies\[0\].*CONFIG_BAD_CIDR/);
});

test('weights: out of range, off-step, non-numeric and unknown routes are rejected with lines', () => {
  const routes = new Set(['auth', 'registration']);
  assert.deepEqual(issuesOf(() => parseWeightsText('w.yaml', 'routes:\n  auth: 140\n', routes)), ['w.yaml:2: routes.auth: Expected number to be less or equal to 100 [CONFIG_SCHEMA]']);
  assert.match(issuesOf(() => parseWeightsText('w.yaml', 'routes:\n  auth: 1.005\n', routes))[0]!, /not in steps of 0\.01/);
  assert.match(issuesOf(() => parseWeightsText('w.yaml', 'routes:\n  auth: lots\n', routes))[0]!, /w\.yaml:2: routes\.auth: Expected number/);
  assert.deepEqual(issuesOf(() => parseWeightsText('w.yaml', '# c\nroutes:\n  auth: 5\n  billing: 5\n', routes)), [
    'w.yaml:4: routes.billing: route "billing" does not exist in the configuration (routes: auth, registration) [CONFIG_UNKNOWN_ROUTE]',
  ]);
  const ok = parseWeightsText('w.yaml', 'routes:\n  auth: 0.07\n  registration: 100\n', routes);
  assert.deepEqual([...ok.weights], [['auth', 0.07], ['registration', 100]]);
});
