/**
 * Loading and validating figway.yaml and weights.yaml. Every problem is reported with file, line and field; nothing
 * is applied unless the whole file set is valid (the caller keeps serving the last good configuration).
 */
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { parseYamlSource, pointerToPath, fieldName, type YamlSource } from './yaml-source.js';
import { EntrypointSchema, FigwayConfigSchema, UpstreamSchema, WeightsSchema, type FigwayConfig, type RampRecord, type WeightsFile } from './schema.js';
import { parseKeyTemplate } from './key-template.js';

/** Methods a shadow may repeat against production without doubling a write. */
export const IDEMPOTENT_SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** LoadedConfig is a validated configuration with the absolute path of its weight file. */
export interface LoadedConfig {
  configPath: string;
  weightsPath: string;
  config: FigwayConfig;
}

/** LoadedWeights is a validated weight file: route name → percent on new, and the ramps' state. */
export interface LoadedWeights {
  weightsPath: string;
  weights: Map<string, number>;
  ramps: Map<string, RampRecord>;
  /** The raw text, so a writer can keep comments. */
  text: string;
  /** False when the file has no `routes:` section (empty, comment-only, or missing): never applied over a good state. */
  hasRoutes: boolean;
}

/** emptyWeights is the state of a weights file that does not exist (yet). */
export function emptyWeights(weightsPath: string): LoadedWeights {
  return { weightsPath, weights: new Map(), ramps: new Map(), text: '', hasRoutes: false };
}

async function readText(file: string): Promise<string | ConfigIssue> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    return { code: 'CONFIG_READ', file, field: '', message: (error as Error).message };
  }
}

function schemaIssues(source: YamlSource, schema: TSchema, value: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const path = pointerToPath(error.path);
    const field = fieldName(path);
    if (seen.has(field)) continue; // one message per field: the first is the most specific
    seen.add(field);
    let message = error.message;
    if (message === 'Unexpected property') message = `unknown field "${String(path[path.length - 1])}"`;
    else if (message === 'Expected union value') message = `expected one of: ${describeUnion(error.schema)}`;
    else if (message === 'Expected required property') message = `missing required field "${String(path[path.length - 1])}"`;
    const line = source.lineOf(path);
    issues.push({ code: 'CONFIG_SCHEMA', file: source.file, ...(line === undefined ? {} : { line }), field, message });
  }
  return issues;
}

function describeUnion(schema: TSchema): string {
  const variants = (schema as { anyOf?: TSchema[] }).anyOf ?? [];
  return variants.map((variant) => {
    if ('const' in variant) return JSON.stringify(variant.const);
    const keys = Object.keys((variant as { properties?: object }).properties ?? {});
    return keys.length > 0 ? `{ ${keys.join(', ')} }` : String(variant.type ?? 'value');
  }).join(' | ');
}

function issueAt(source: YamlSource, code: ConfigIssue['code'], path: (string | number)[], message: string): ConfigIssue {
  const line = source.lineOf(path);
  return { code, file: source.file, ...(line === undefined ? {} : { line }), field: fieldName(path), message };
}

/** parseTrustedProxies builds a BlockList of trusted proxy addresses, or throws with the bad entry. */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address!, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has a bad prefix length`);
      list.addSubnet(address!, bits, type);
    }
  }
  return list;
}

function semanticIssues(source: YamlSource, config: FigwayConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = new Map<string, number>();
  config.routes.forEach((route, index) => {
    const earlier = names.get(route.name);
    if (earlier !== undefined) {
      issues.push(issueAt(source, 'CONFIG_DUPLICATE_ROUTE', ['routes', index, 'name'], `route "${route.name}" is already defined at routes[${earlier}]`));
    }
    names.set(route.name, index);
    for (const side of ['legacy', 'new'] as const) {
      if (config.upstreams[route[side]] === undefined) {
        issues.push(issueAt(source, 'CONFIG_UNKNOWN_UPSTREAM', ['routes', index, side], `upstream "${route[side]}" is not declared under upstreams (declared: ${Object.keys(config.upstreams).join(', ') || 'none'})`));
      }
    }
    const mirror = route.mirror;
    if (mirror !== undefined) {
      const unsafe = mirror.methods.filter((method) => !IDEMPOTENT_SAFE_METHODS.has(method));
      if (unsafe.length > 0 && mirror.sideEffects === 'unsafe') {
        issues.push(issueAt(source, 'CONFIG_UNSAFE_MIRROR', ['routes', index, 'mirror', 'methods'],
          `mirroring ${unsafe.join(', ')} would repeat writes against production; set mirror.sideEffects to "isolated" (shadow deployments with their own store) or "none" (the shadow side has no side effects), or mirror only GET/HEAD/OPTIONS`));
      }
      if (mirror.sideEffects === 'isolated' || mirror.sideEffects === 'dual') {
        for (const side of ['legacy', 'new'] as const) {
          const upstream = config.upstreams[route[side]];
          if (upstream !== undefined && upstream.shadow === undefined) {
            issues.push(issueAt(source, 'CONFIG_SHADOW_DEPLOYMENT_MISSING', ['upstreams', route[side]],
              `route "${route.name}" isolates shadow writes, so upstream "${route[side]}" needs a shadow deployment (shadow.url and shadow.redis)`));
          }
        }
      }
      if (mirror.sideEffects === 'dual' && route.redis !== undefined) issues.push(...dualStoreIssues(source, config, route));
    }
    if (route.ramp !== undefined) issues.push(...rampIssues(source, config, index));
    route.redis?.keys.forEach((key, keyIndex) => {
      try {
        const template = parseKeyTemplate(key.key);
        const earlierKeys = route.redis!.keys.slice(0, keyIndex).map((k) => k.name);
        for (const dependency of template.dependsOn) {
          if (!earlierKeys.includes(dependency)) throw new Error(`{keys.${dependency}…} must name a key declared before this one`);
        }
      } catch (error) {
        issues.push(issueAt(source, 'CONFIG_BAD_TEMPLATE', ['routes', index, 'redis', 'keys', keyIndex, 'key'], (error as Error).message));
      }
    });
  });
  const listeners = new Set([...(config.listeners.gateway.enabled ? ['gateway'] : []), ...Object.keys(config.listeners.entrypoints)]);
  if ('gateway' in config.listeners.entrypoints) {
    issues.push(issueAt(source, 'CONFIG_UNKNOWN_ENTRYPOINT', ['listeners', 'entrypoints', 'gateway'], 'the name "gateway" belongs to listeners.gateway; give this entrypoint another name'));
  }
  if (listeners.size === 0) {
    issues.push(issueAt(source, 'CONFIG_NO_LISTENER', ['listeners', 'gateway', 'enabled'], 'no data-plane listener: enable listeners.gateway or declare listeners.entrypoints'));
  }
  config.routes.forEach((route, index) => {
    route.match.entrypoints?.forEach((name, at) => {
      if (!listeners.has(name)) {
        issues.push(issueAt(source, 'CONFIG_UNKNOWN_ENTRYPOINT', ['routes', index, 'match', 'entrypoints', at], `entrypoint "${name}" is not a listener (listeners: ${[...listeners].join(', ') || 'none'})`));
      }
    });
  });
  config.trustedProxies.forEach((entry, index) => {
    try {
      parseTrustedProxies([entry]);
    } catch (error) {
      issues.push(issueAt(source, 'CONFIG_BAD_CIDR', ['trustedProxies', index], (error as Error).message));
    }
  });
  if (config.diffStore.kind === 'redis' && config.diffStore.redis === undefined) {
    issues.push(issueAt(source, 'CONFIG_DIFF_STORE_REDIS_MISSING', ['diffStore'], 'diffStore.kind is redis: set diffStore.redis.url'));
  }
  return issues;
}

const offStep = (percent: number): boolean => Math.abs(Math.round(percent * 100) - percent * 100) > 1e-6;

function rampIssues(source: YamlSource, config: FigwayConfig, index: number): ConfigIssue[] {
  const ramp = config.routes[index]!.ramp!;
  const at = (...path: (string | number)[]): (string | number)[] => ['routes', index, 'ramp', ...path];
  const issues: ConfigIssue[] = [];
  ramp.steps.forEach((step, stepIndex) => {
    if (offStep(step)) issues.push(issueAt(source, 'CONFIG_BAD_RAMP', at('steps', stepIndex), `step ${step} is not in steps of 0.01`));
    else if (stepIndex > 0 && step <= ramp.steps[stepIndex - 1]!) {
      issues.push(issueAt(source, 'CONFIG_BAD_RAMP', at('steps', stepIndex), `steps must rise: ${step} follows ${ramp.steps[stepIndex - 1]}`));
    }
  });
  ramp.approvalBefore.forEach((step, approvalIndex) => {
    if (!ramp.steps.includes(step)) issues.push(issueAt(source, 'CONFIG_BAD_RAMP', at('approvalBefore', approvalIndex), `${step} is not one of the steps (${ramp.steps.join(', ')})`));
  });
  ramp.gates.promql.forEach((gate, gateIndex) => {
    if (gate.max === undefined && gate.min === undefined) issues.push(issueAt(source, 'CONFIG_BAD_RAMP', at('gates', 'promql', gateIndex), `gate "${gate.name}" needs max or min`));
    if (config.prometheus === undefined) issues.push(issueAt(source, 'CONFIG_PROMETHEUS_MISSING', at('gates', 'promql', gateIndex), `gate "${gate.name}" queries Prometheus: set prometheus.url`));
  });
  return issues;
}

/** parseConfigText validates figway.yaml text; `configPath` locates messages and the weight file. */
export function parseConfigText(configPath: string, text: string): LoadedConfig {
  const source = parseYamlSource(configPath, text);
  if (Array.isArray(source)) throw new ConfigError(source);
  const value = Value.Default(FigwayConfigSchema, structuredClone(source.value ?? {})) as { upstreams?: unknown };
  // TypeBox does not descend into Record values when filling defaults: upstreams and entrypoints are records with defaults.
  if (value.upstreams !== null && typeof value.upstreams === 'object') {
    for (const upstream of Object.values(value.upstreams as Record<string, unknown>)) {
      if (upstream !== null && typeof upstream === 'object') Value.Default(UpstreamSchema, upstream);
    }
  }
  const entrypoints = (value as { listeners?: { entrypoints?: unknown } }).listeners?.entrypoints;
  if (entrypoints !== null && typeof entrypoints === 'object') {
    for (const entrypoint of Object.values(entrypoints as Record<string, unknown>)) {
      if (entrypoint !== null && typeof entrypoint === 'object') Value.Default(EntrypointSchema, entrypoint);
    }
  }
  const issues = schemaIssues(source, FigwayConfigSchema, value);
  if (issues.length > 0) throw new ConfigError(issues);
  const config = value as FigwayConfig;
  const semantic = semanticIssues(source, config);
  if (semantic.length > 0) throw new ConfigError(semantic);
  return { configPath, weightsPath: resolve(dirname(configPath), config.weightsFile), config };
}

/** parseWeightsText validates weights.yaml against the route names of `config`. */
export function parseWeightsText(weightsPath: string, text: string, routeNames: ReadonlySet<string>): LoadedWeights {
  const source = parseYamlSource(weightsPath, text);
  if (Array.isArray(source)) throw new ConfigError(source);
  const value = Value.Default(WeightsSchema, structuredClone(source.value ?? {}));
  const issues = schemaIssues(source, WeightsSchema, value);
  if (issues.length > 0) throw new ConfigError(issues);
  const weightsFile = value as WeightsFile;
  const weights = new Map<string, number>();
  const unknown = (section: string, route: string): ConfigIssue => issueAt(source, 'CONFIG_UNKNOWN_ROUTE', [section, route],
    `route "${route}" does not exist in the configuration (routes: ${[...routeNames].join(', ')})`);
  for (const [route, weight] of Object.entries(weightsFile.routes)) {
    if (!routeNames.has(route)) {
      issues.push(unknown('routes', route));
      continue;
    }
    if (offStep(weight)) {
      issues.push(issueAt(source, 'CONFIG_SCHEMA', ['routes', route], `weight ${weight} is not in steps of 0.01`));
      continue;
    }
    weights.set(route, Math.round(weight * 100) / 100);
  }
  const ramps = new Map<string, RampRecord>();
  for (const [route, ramp] of Object.entries(weightsFile.ramps ?? {})) {
    if (!routeNames.has(route)) issues.push(unknown('ramps', route));
    else ramps.set(route, ramp);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const raw = source.value;
  const hasRoutes = raw !== null && typeof raw === 'object' && Object.prototype.hasOwnProperty.call(raw, 'routes');
  return { weightsPath, weights, ramps, text, hasRoutes };
}

/** loadConfigFiles reads and validates figway.yaml and the weight file it names. A missing weight file means all weights 0. */
export async function loadConfigFiles(configPath: string): Promise<{ loaded: LoadedConfig; weights: LoadedWeights }> {
  const absolute = resolve(configPath);
  const text = await readText(absolute);
  if (typeof text !== 'string') throw new ConfigError([text]);
  const loaded = parseConfigText(absolute, text);
  const weights = await loadWeightsFile(loaded);
  return { loaded, weights };
}

/**
 * loadWeightsFile reads the weight file of `loaded`; a file that does not exist gives the empty state (hasRoutes
 * false), which the ConfigManager applies only when there is no last good state to keep (see weights-guard.ts).
 */
export async function loadWeightsFile(loaded: LoadedConfig): Promise<LoadedWeights> {
  const routeNames = new Set(loaded.config.routes.map((route) => route.name));
  let text: string;
  try {
    text = await readFile(loaded.weightsPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyWeights(loaded.weightsPath);
    throw new ConfigError([{ code: 'CONFIG_READ', file: loaded.weightsPath, field: '', message: (error as Error).message }]);
  }
  return parseWeightsText(loaded.weightsPath, text, routeNames);
}

/** adminTokenFrom reads the admin token from the configured environment variable, or reports why it cannot. */
export function adminTokenFrom(config: FigwayConfig, env: NodeJS.ProcessEnv): string | ConfigIssue {
  const token = env[config.listeners.admin.tokenEnv];
  if (token === undefined || token.length < 16) {
    return {
      code: 'CONFIG_ADMIN_TOKEN_MISSING', file: 'environment', field: config.listeners.admin.tokenEnv,
      message: `set ${config.listeners.admin.tokenEnv} to a token of at least 16 characters, or disable the admin listener (listeners.admin.enabled: false)`,
    };
  }
  return token;
}

/** AdminToken is one named admin token; the name is who acted in the audit log. */
export interface AdminToken {
  name: string;
  token: string;
}

/**
 * adminTokensFrom reads every admin token: `tokenEnv` as the token named `admin` (when set, or when no other token is
 * named) and each `tokens` entry. Returns the issues when a named variable is unset or short, or two tokens share a name.
 */
export function adminTokensFrom(config: FigwayConfig, env: NodeJS.ProcessEnv): AdminToken[] | ConfigIssue[] {
  const admin = config.listeners.admin;
  const tokens: AdminToken[] = [];
  const issues: ConfigIssue[] = [];
  const primary = env[admin.tokenEnv];
  if (primary !== undefined && primary !== '' || admin.tokens.length === 0) {
    const token = adminTokenFrom(config, env);
    if (typeof token === 'string') tokens.push({ name: 'admin', token });
    else issues.push(token);
  }
  admin.tokens.forEach((entry, index) => {
    const value = env[entry.env];
    const field = `listeners.admin.tokens[${index}]`;
    if (value === undefined || value.length < 16) {
      issues.push({ code: 'CONFIG_ADMIN_TOKEN_MISSING', file: 'environment', field: `${field}.env`, message: `set ${entry.env} to a token of at least 16 characters (admin token "${entry.name}")` });
    } else if (tokens.some((other) => other.name === entry.name)) {
      issues.push({ code: 'CONFIG_SCHEMA', file: 'configuration', field: `${field}.name`, message: `admin token name "${entry.name}" is used twice ("admin" is the name of tokenEnv's token)` });
    } else {
      tokens.push({ name: entry.name, token: value });
    }
  });
  return issues.length > 0 ? issues : tokens;
}

/**
 * dualStoreIssues: dual mirroring compares two shadow stores that figway seeds, watches and clears, so each side needs
 * its own shadow store, distinct from the other side's and from every production store, and a production store to
 * seed from.
 */
function dualStoreIssues(source: YamlSource, config: FigwayConfig, route: FigwayConfig['routes'][number]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const production = new Set(Object.values(config.upstreams).flatMap((upstream) => (upstream.redis === undefined ? [] : [upstream.redis.url])));
  const shadowStores: string[] = [];
  for (const side of ['legacy', 'new'] as const) {
    const upstream = config.upstreams[route[side]];
    if (upstream?.shadow === undefined) continue;
    const shadowStore = upstream.shadow.redis?.url;
    if (upstream.redis === undefined || shadowStore === undefined) {
      issues.push(issueAt(source, 'CONFIG_SHADOW_DEPLOYMENT_MISSING', ['upstreams', route[side]],
        `route "${route.name}" compares Redis writes of dual shadows, so upstream "${route[side]}" needs redis.url (seeded from) and shadow.redis.url (its shadow's own store)`));
      continue;
    }
    if (production.has(shadowStore)) {
      issues.push(issueAt(source, 'CONFIG_SHADOW_STORE_SHARED', ['upstreams', route[side], 'shadow', 'redis', 'url'],
        `the shadow store of upstream "${route[side]}" is also a production store: figway writes and clears shadow stores, never production`));
    }
    shadowStores.push(shadowStore);
  }
  if (shadowStores.length === 2 && shadowStores[0] === shadowStores[1]) {
    issues.push(issueAt(source, 'CONFIG_SHADOW_STORE_SHARED', ['upstreams', route.new, 'shadow', 'redis', 'url'],
      `route "${route.name}" mirrors to both sides' shadows, so they need two different shadow stores (a logical database each is enough)`));
  }
  return issues;
}
