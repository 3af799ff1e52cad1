/**
 * The figway configuration schema: the single source of truth. It validates `figway.yaml` and `weights.yaml`,
 * gives the TypeScript types (Static<>), and generates `schema/figway.schema.json` and `schema/weights.schema.json`
 * (scripts/generate-schema.ts) that editors can point at. Every field documents its default, unit and interplay.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Defaults, named so code and docs refer to the same numbers. */
export const DEFAULTS = {
  gatewayPort: 8080,
  gatewayHost: '0.0.0.0',
  adminPort: 9090,
  adminHost: '127.0.0.1',
  adminTokenEnv: 'FIGWAY_ADMIN_TOKEN',
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  shutdownGraceMs: 10_000,
  workers: 1,
  overrideHeader: 'x-figway-side',
  connectionsPerUpstream: 128,
  mirrorMaxBodyBytes: 256 * 1024,
  mirrorMaxInFlight: 64,
  mirrorTimeoutMs: 2_000,
  compareMaxBodyBytes: 1024 * 1024,
  shadowHeader: 'x-figway-shadow',
  noiseMinSamples: 20,
  noiseMinDifferRatio: 0.9,
  redisSettleMs: 0,
  redisTtlToleranceSeconds: 5,
  redisCommandTimeoutMs: 200,
  redisSnapshotTimeoutMs: 50,
  diffStoreMemorySamples: 50,
  diffStoreStreamMaxLen: 10_000,
} as const;

const strict = { additionalProperties: false } as const;

const port = (defaultPort: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description: `${description} 0 picks a free port.` });
const httpUrl = (description = 'Base URL, http:// or https://, optionally with a path prefix that is prepended to forwarded paths.') =>
  Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', description });
const HttpUrl = httpUrl();
const RedisUrl = Type.String({
  pattern: '^rediss?://',
  description: 'ioredis URL, e.g. redis://127.0.0.1:6379/0 (the path selects the logical database).',
});
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'Lower-case identifier.' });

export const ListenersSchema = Type.Object({
  gateway: Type.Object({
    host: Type.String({ default: DEFAULTS.gatewayHost, description: `Address the data plane binds. Default ${DEFAULTS.gatewayHost}.` }),
    port: port(DEFAULTS.gatewayPort, `Data-plane port. Default ${DEFAULTS.gatewayPort}.`),
  }, { ...strict, default: {}, description: 'The data plane (client traffic).' }),
  admin: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Serve the admin API, /metrics, /healthz and /readyz.' }),
    host: Type.String({ default: DEFAULTS.adminHost, description: `Admin bind address. Default ${DEFAULTS.adminHost} (loopback only).` }),
    port: port(DEFAULTS.adminPort, `Admin port. Default ${DEFAULTS.adminPort}.`),
    tokenEnv: Type.String({
      default: DEFAULTS.adminTokenEnv,
      description: `Environment variable holding the admin bearer token (never put the token in this file). Default ${DEFAULTS.adminTokenEnv}. The admin listener refuses to start without it.`,
    }),
  }, { ...strict, default: {}, description: 'The admin listener: probes, metrics, route and diff API.' }),
}, { ...strict, default: {}, description: 'Where figway listens.' });

export const RedisStoreSchema = Type.Object({
  url: RedisUrl,
}, { ...strict, description: 'A Redis store a side reads and writes.' });

export const UpstreamSchema = Type.Object({
  url: HttpUrl,
  connections: Type.Integer({ minimum: 1, maximum: 4096, default: DEFAULTS.connectionsPerUpstream, description: `Keep-alive connections in the pool. Default ${DEFAULTS.connectionsPerUpstream}.` }),
  redis: Type.Optional(RedisStoreSchema),
  shadow: Type.Optional(Type.Object({
    url: HttpUrl,
    redis: Type.Optional(RedisStoreSchema),
  }, { ...strict, description: 'A separate deployment of the same code that receives mirrored requests instead of this one, against its own store.' })),
}, { ...strict, description: 'One deployment of one side of a service.' });

export const StickySchema = Type.Union([
  Type.Object({ header: Type.String({ minLength: 1, description: 'Request header whose value is the sticky key, e.g. X-Pesto-Token.' }) }, strict),
  Type.Object({ cookie: Type.String({ minLength: 1, description: 'Cookie name whose value is the sticky key.' }) }, strict),
  Type.Object({ query: Type.String({ minLength: 1, description: 'Query parameter whose value is the sticky key.' }) }, strict),
  Type.Object({ clientAddress: Type.Literal(true, { description: 'The client address (after trusted X-Forwarded-For) is the sticky key.' }) }, strict),
], { description: 'What keeps a client on one side. Requests without the key fall back to a weighted random draw.' });

export const MatchSchema = Type.Object({
  methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { minItems: 1, description: 'HTTP methods (upper case). Absent: any method.' })),
  pathPrefix: Type.String({ pattern: '^/', default: '/', description: 'Matches this path and everything below it (segment-aware: /api matches /api and /api/x, not /apix). Default /.' }),
  host: Type.Optional(Type.String({ minLength: 1, description: 'Host header without port, case-insensitive. Absent: any host.' })),
}, { ...strict, default: {}, description: 'Which requests the route takes. Routes are tried in order; the first match wins.' });

export const MirrorSchema = Type.Object({
  sampleRate: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Share of eligible requests mirrored, counter-based (0.1 = exactly every 10th). Default 1.' }),
  methods: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { default: ['GET', 'HEAD'], description: 'Methods mirrored. Non-idempotent methods need sideEffects: isolated or none.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: DEFAULTS.mirrorMaxBodyBytes, description: `Requests with a larger body are served but not mirrored. Default ${DEFAULTS.mirrorMaxBodyBytes} bytes.` }),
  maxInFlight: Type.Integer({ minimum: 1, default: DEFAULTS.mirrorMaxInFlight, description: `Shadows in flight per route; beyond it a shadow is dropped and counted. Default ${DEFAULTS.mirrorMaxInFlight}.` }),
  timeoutMs: Type.Integer({ minimum: 1, default: DEFAULTS.mirrorTimeoutMs, description: `Whole-shadow deadline in ms. Default ${DEFAULTS.mirrorTimeoutMs}.` }),
  sideEffects: Type.Union([Type.Literal('unsafe'), Type.Literal('isolated'), Type.Literal('none')], {
    default: 'unsafe',
    description: 'unsafe: the shadow may write to production, so only GET/HEAD/OPTIONS may be mirrored. isolated: every shadow goes to a shadow deployment with its own store (upstream.shadow). none: the team states the shadow side has no side effects.',
  }),
}, { ...strict, description: 'Send a copy of sampled requests to the side that did not serve the client and compare the answers.' });

export const AcceptedDifferenceSchema = Type.Object({
  path: Type.String({ minLength: 1, description: 'Finding path, e.g. body, body.token, header.content-type, status, redis.token.UserEmail. * matches one segment, ** any.' }),
  class: Type.Optional(Type.String({ description: 'Only findings of this class. Absent: any class.' })),
  methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { minItems: 1, description: 'Only for requests with one of these methods. Absent: any method.' })),
  pathPrefix: Type.Optional(Type.String({ pattern: '^/', description: 'Only for requests at this path or below (segment-aware). Absent: any path. Scope an endpoint\'s intended change so it cannot hide a regression elsewhere.' })),
  reason: Type.String({ minLength: 1, description: 'Why the team accepts this difference (shown on the report).' }),
}, strict);

export const CompareSchema = Type.Object({
  headers: Type.Array(Type.String(), { default: ['content-type'], description: 'Response headers compared (case-insensitive). Default: content-type.' }),
  ignore: Type.Array(Type.String(), { default: [], description: 'Finding paths never reported (same pattern syntax as accept.path).' }),
  noise: Type.Array(Type.String(), { default: [], description: 'Paths declared as noise up front (values differ for non-regression reasons).' }),
  accept: Type.Array(AcceptedDifferenceSchema, { default: [], description: 'Intended differences: shown, not counted against the migration.' }),
  arrayKeys: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Array path → id field, so arrays are matched by id instead of position.' }),
  redact: Type.Array(Type.String(), { default: [], description: 'Extra body field names masked before storage (password, token, email…). Secret headers are always masked.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: DEFAULTS.compareMaxBodyBytes, description: `Bodies above this size are not compared (counted as skipped). Default ${DEFAULTS.compareMaxBodyBytes}.` }),
  learnNoise: Type.Boolean({ default: true, description: 'Learn noisy fields from traffic (value differs on nearly every comparison and looks generated).' }),
  secondaryLegacy: Type.Optional(httpUrl('A second legacy instance for idempotent requests; noise is then measured legacy vs legacy (Diffy).')),
}, { ...strict, default: {}, description: 'How the two answers are compared.' });

export const RedisKeySchema = Type.Object({
  name: Name,
  key: Type.String({
    minLength: 1,
    description: 'Key template. Placeholders: {header.x-pesto-token}, {query.q}, {body.email} (request JSON body), {response.body.token} (this side\'s response), {keys.<name>.<field>} (a field of an earlier key\'s JSON value), {month} (UTC YYYY-MM). A key whose placeholders cannot be filled is skipped for that request.',
  }),
  when: Type.Optional(Type.Object({
    methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }))),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/' })),
  }, strict)),
}, strict);

export const RouteRedisSchema = Type.Object({
  keys: Type.Array(RedisKeySchema, { minItems: 1, description: 'The keys a request on this route touches.' }),
  settleMs: Type.Integer({ minimum: 0, maximum: 10_000, default: DEFAULTS.redisSettleMs, description: 'Wait this long after an answer before reading keys (services that write after answering).' }),
  ttlToleranceSeconds: Type.Integer({ minimum: 0, default: DEFAULTS.redisTtlToleranceSeconds, description: 'TTLs within this many seconds compare equal.' }),
  liveSampleRate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Mode 2 (no mirror): share of live requests after which the declared keys are read and their shape checked against what legacy writes.' }),
}, { ...strict, description: 'Declared Redis side effects, compared between sides.' });

export const RouteSchema = Type.Object({
  name: Name,
  match: MatchSchema,
  legacy: Type.String({ minLength: 1, description: 'Name of the upstream serving the legacy side.' }),
  new: Type.String({ minLength: 1, description: 'Name of the upstream serving the new side.' }),
  sticky: Type.Optional(StickySchema),
  salt: Type.Optional(Type.String({ description: 'Hash salt for sticky buckets. Default: the route name. Changing it reshuffles clients.' })),
  override: Type.Object({
    enabled: Type.Boolean({ default: false, description: 'Honour the override header (for testers). Off by default.' }),
    header: Type.String({ default: DEFAULTS.overrideHeader, description: `Header whose value (legacy|new) pins the side. Always stripped before forwarding. Default ${DEFAULTS.overrideHeader}.` }),
  }, { ...strict, default: {} }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: DEFAULTS.maxBodyBytes, description: `Request bodies above this get 413. Default ${DEFAULTS.maxBodyBytes} bytes.` }),
  timeouts: Type.Object({
    connectMs: Type.Integer({ minimum: 1, default: DEFAULTS.connectTimeoutMs, description: `Upstream connect deadline (→ 502). Default ${DEFAULTS.connectTimeoutMs}.` }),
    responseMs: Type.Integer({ minimum: 1, default: DEFAULTS.responseTimeoutMs, description: `Deadline for the upstream's response headers (→ 504). Default ${DEFAULTS.responseTimeoutMs}.` }),
    bodyMs: Type.Integer({ minimum: 1, default: DEFAULTS.bodyTimeoutMs, description: `Longest pause between response body chunks. Default ${DEFAULTS.bodyTimeoutMs}.` }),
  }, { ...strict, default: {} }),
  failover: Type.Boolean({ default: true, description: 'When the chosen side cannot be reached at all (nothing was sent), send the request once to the other side.' }),
  mirror: Type.Optional(MirrorSchema),
  compare: CompareSchema,
  redis: Type.Optional(RouteRedisSchema),
}, { ...strict, description: 'One migrated service: which requests, its two sides, and how they are split and compared.' });

export const DiffStoreSchema = Type.Object({
  kind: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'memory: bounded, per instance. redis: capped streams shared by instances, survives restarts.' }),
  redis: Type.Optional(RedisStoreSchema),
  samplesPerClass: Type.Integer({ minimum: 1, default: DEFAULTS.diffStoreMemorySamples, description: `Redacted samples kept per route and class. Default ${DEFAULTS.diffStoreMemorySamples}.` }),
  streamMaxLen: Type.Integer({ minimum: 100, default: DEFAULTS.diffStoreStreamMaxLen, description: `Approximate cap of the Redis stream. Default ${DEFAULTS.diffStoreStreamMaxLen}.` }),
}, { ...strict, default: {}, description: 'Where comparison evidence is kept.' });

export const FigwayConfigSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  listeners: ListenersSchema,
  weightsFile: Type.String({ default: 'weights.yaml', description: 'Traffic-weight file, relative to this file. Default weights.yaml.' }),
  trustedProxies: Type.Array(Type.String(), { default: [], description: 'Addresses or CIDRs whose X-Forwarded-* headers are trusted. Others are overwritten.' }),
  maxHeaderBytes: Type.Integer({ minimum: 1024, default: DEFAULTS.maxHeaderBytes, description: `Request header block above this gets 431. Default ${DEFAULTS.maxHeaderBytes}.` }),
  shutdownGraceMs: Type.Integer({ minimum: 0, default: DEFAULTS.shutdownGraceMs, description: `On SIGTERM, in-flight requests get this long to finish. Default ${DEFAULTS.shutdownGraceMs}.` }),
  workers: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
    default: DEFAULTS.workers,
    description: `Gateway processes sharing the data-plane port (node:cluster). auto: one per core the process may use. With more than 1, a primary process runs the admin listener (its /metrics adds up every worker) and replaces a worker that dies; weights and configuration reloads reach every worker. Read at start: changing it needs a restart. Default ${DEFAULTS.workers}.`,
  }),
  log: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level. Logs are JSON on stdout; they never carry headers, bodies or query strings.' }),
    access: Type.Boolean({ default: true, description: 'One JSON line per request (route, side, status, duration, request id).' }),
  }, { ...strict, default: {}, description: 'Structured logging.' }),
  upstreams: Type.Record(Name, UpstreamSchema, { additionalProperties: false, description: 'Deployments by name; routes refer to them.' }),
  diffStore: DiffStoreSchema,
  routes: Type.Array(RouteSchema, { minItems: 1 }),
}, { ...strict, description: 'figway.yaml' });

export const WeightsSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  routes: Type.Record(Name, Type.Number({ minimum: 0, maximum: 100, description: 'Percent of the route\'s traffic sent to new, 0–100 in steps of 0.01 (checked by the loader: JSON Schema\'s multipleOf is unreliable for decimals).' }), {
    additionalProperties: false,
    default: {},
    description: 'Route name → weight of new in percent. A route absent here has weight 0.',
  }),
}, { ...strict, description: 'weights.yaml: human-edited, machine-written (comments are kept).' });

export type FigwayConfig = Static<typeof FigwayConfigSchema>;
export type RouteConfig = Static<typeof RouteSchema>;
export type UpstreamConfig = Static<typeof UpstreamSchema>;
export type StickyConfig = Static<typeof StickySchema>;
export type MirrorConfig = Static<typeof MirrorSchema>;
export type CompareConfig = Static<typeof CompareSchema>;
export type RouteRedisConfig = Static<typeof RouteRedisSchema>;
export type RedisKeyConfig = Static<typeof RedisKeySchema>;
export type DiffStoreConfig = Static<typeof DiffStoreSchema>;
export type WeightsFile = Static<typeof WeightsSchema>;

/** Schemas whose JSON Schema files are generated into schema/. */
export const GENERATED_SCHEMAS: Record<string, TSchema> = {
  'figway.schema.json': FigwayConfigSchema,
  'weights.schema.json': WeightsSchema,
};
