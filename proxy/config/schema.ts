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
  adminSessionTtlSeconds: 8 * 60 * 60,
  adminMaxSessions: 1_000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  shutdownGraceMs: 10_000,
  clientHeadersTimeoutMs: 10_000,
  clientRequestTimeoutMs: 300_000,
  clientBodyIdleMs: 10_000,
  clientResponseStallMs: 30_000,
  clientKeepAliveMs: 65_000,
  workers: 1,
  overrideHeader: 'x-figway-side',
  connectionsPerUpstream: 128,
  mirrorMaxBodyBytes: 256 * 1024,
  mirrorMaxInFlight: 64,
  mirrorMaxQueued: 2048,
  mirrorMaxQueuedBytes: 32 * 1024 * 1024,
  /** What one waiting sample holds beyond its bodies and snapshots (context, captured headers, closures), measured. */
  mirrorQueuedJobOverheadBytes: 16 * 1024,
  mirrorMaxQueueWaitMs: 30_000,
  mirrorTimeoutMs: 2_000,
  compareMaxBodyBytes: 1024 * 1024,
  shadowHeader: 'x-figway-shadow',
  noiseMinSamples: 20,
  noiseMinDifferRatio: 0.9,
  redisSettleMs: 0,
  redisTtlToleranceSeconds: 5,
  redisCommandTimeoutMs: 200,
  redisSnapshotTimeoutMs: 100,
  diffStoreMemorySamples: 50,
  diffStoreStreamMaxLen: 10_000,
  rampSteps: [0, 1, 5, 25, 50, 100],
  rampMinStepMs: 300_000,
  rampMaxErrorRateIncrease: 0.01,
  rampMaxLatencyRatio: 1.5,
  rampLatencySlackMs: 5,
  rampMinRequests: 100,
  rampMaxUnexpectedRate: 0.01,
  rampMinComparisons: 50,
  rampMinCoverage: 0.9,
  webhookTimeoutMs: 2_000,
  webhookRetries: 3,
  evidenceIntervalMs: 10_000,
  timelineMs: 3_600_000,
  leaseMs: 10_000,
  prometheusTimeoutMs: 2_000,
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

/** EntrypointSchema is one named data-plane listener. */
export const EntrypointSchema = Type.Object({
  host: Type.String({ default: DEFAULTS.gatewayHost, description: `Address this entrypoint binds. Default ${DEFAULTS.gatewayHost}.` }),
  port: port(DEFAULTS.gatewayPort, 'Port of this entrypoint.'),
}, strict);

export const ListenersSchema = Type.Object({
  gateway: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Serve client traffic on this listener (the entrypoint named `gateway`). Turn it off when every route binds to named entrypoints. Default true.' }),
    host: Type.String({ default: DEFAULTS.gatewayHost, description: `Address the data plane binds. Default ${DEFAULTS.gatewayHost}.` }),
    port: port(DEFAULTS.gatewayPort, `Data-plane port. Default ${DEFAULTS.gatewayPort}.`),
  }, { ...strict, default: {}, description: 'The data plane (client traffic): the entrypoint named `gateway`.' }),
  entrypoints: Type.Record(Name, EntrypointSchema, {
    default: {},
    description: 'More data-plane listeners by name (entrypoints, as Traefik and Envoy call them), so each migrated service keeps an address of its own; routes bind to them with match.entrypoints. Same limits and behaviour as the gateway listener. Listeners are read at start. Default none.',
  }),
  admin: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Serve the admin API, /metrics, /healthz and /readyz.' }),
    host: Type.String({ default: DEFAULTS.adminHost, description: `Admin bind address. Default ${DEFAULTS.adminHost} (loopback only).` }),
    port: port(DEFAULTS.adminPort, `Admin port. Default ${DEFAULTS.adminPort}.`),
    tokenEnv: Type.String({
      default: DEFAULTS.adminTokenEnv,
      description: `Environment variable holding the admin bearer token, named \`admin\` in the audit log (never put the token in this file). Default ${DEFAULTS.adminTokenEnv}. Optional when \`tokens\` names others; the admin listener refuses to start with no token at all.`,
    }),
    tokens: Type.Array(Type.Object({
      name: Name,
      env: Type.String({ minLength: 1, description: 'Environment variable holding this token (at least 16 characters).' }),
    }, strict), {
      default: [],
      description: 'More admin tokens, each with a name that the audit log records as who acted (e.g. one per person or per CI job). Default none.',
    }),
    sessionTtlSeconds: Type.Integer({
      minimum: 60, maximum: 7 * 24 * 60 * 60, default: DEFAULTS.adminSessionTtlSeconds,
      description: `Lifetime of a dashboard session after sign-in, in seconds (absolute, not sliding). Default ${DEFAULTS.adminSessionTtlSeconds}.`,
    }),
  }, { ...strict, default: {}, description: 'The admin listener: probes, metrics, route and diff API.' }),
}, { ...strict, default: {}, description: 'Where figway listens.' });

export const ClientTimeoutsSchema = Type.Object({
  headersMs: Type.Integer({ minimum: 1, default: DEFAULTS.clientHeadersTimeoutMs, description: `The request line and headers must arrive within this many ms of the connection or of the previous answer (slow headers, slowloris); else 408 and the connection closes. Default ${DEFAULTS.clientHeadersTimeoutMs}.` }),
  requestMs: Type.Integer({ minimum: 0, default: DEFAULTS.clientRequestTimeoutMs, description: `The whole request, headers and body, must arrive within this many ms (a body trickled just under bodyIdleMs); else 408 and the connection closes. 0: no limit. Default ${DEFAULTS.clientRequestTimeoutMs}.` }),
  bodyIdleMs: Type.Integer({ minimum: 0, default: DEFAULTS.clientBodyIdleMs, description: `Longest pause between two pieces of a request body (slow body); else 408, the upstream exchange is aborted and the connection closes. 0: no limit. Default ${DEFAULTS.clientBodyIdleMs}.` }),
  responseStallMs: Type.Integer({ minimum: 0, default: DEFAULTS.clientResponseStallMs, description: `Longest time a client may leave answer data unread while figway holds more for it (slow read); then the connection is cut and the upstream connection freed. 0: no limit. Default ${DEFAULTS.clientResponseStallMs}.` }),
  keepAliveMs: Type.Integer({ minimum: 1, default: DEFAULTS.clientKeepAliveMs, description: `An idle keep-alive connection is closed after this many ms. Keep it above the idle timeout of a load balancer in front (AWS ALB: 60 s). Default ${DEFAULTS.clientKeepAliveMs}.` }),
}, { ...strict, default: {}, description: 'Limits on slow or idle clients of the gateway listeners. Read at start: changing them needs a restart.' });

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
  entrypoints: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Listeners whose requests the route takes: `gateway` and/or names under listeners.entrypoints. Absent: every listener.' })),
}, { ...strict, default: {}, description: 'Which requests the route takes. Routes are tried in order; the first match wins.' });

export const MirrorSchema = Type.Object({
  sampleRate: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Share of eligible requests mirrored, counter-based (0.1 = exactly every 10th). Default 1.' }),
  methods: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { default: ['GET', 'HEAD'], description: 'Methods mirrored. Non-idempotent methods need sideEffects: isolated or none.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: DEFAULTS.mirrorMaxBodyBytes, description: `Requests with a larger body are served but not mirrored. Default ${DEFAULTS.mirrorMaxBodyBytes} bytes.` }),
  maxInFlight: Type.Integer({ minimum: 1, default: DEFAULTS.mirrorMaxInFlight, description: `Shadow exchanges running at once per route; further sampled requests wait in the route's shadow lane (bounded by maxQueued, maxQueuedBytes and maxQueueWaitMs). Default ${DEFAULTS.mirrorMaxInFlight}.` }),
  maxQueued: Type.Integer({ minimum: 0, default: DEFAULTS.mirrorMaxQueued, description: `Sampled requests waiting in the shadow lane per route (for a free slot, or for an earlier comparison on the same Redis keys); beyond it a sample is dropped and counted as queue-full. 0: no waiting, drops count as in-flight-cap. Default ${DEFAULTS.mirrorMaxQueued}.` }),
  maxQueuedBytes: Type.Integer({ minimum: 0, default: DEFAULTS.mirrorMaxQueuedBytes, description: `Memory held by waiting samples per route, in bytes: their bodies, answers and key snapshots plus ${DEFAULTS.mirrorQueuedJobOverheadBytes / 1024} KiB each for the rest; beyond it: queue-full. Default ${DEFAULTS.mirrorMaxQueuedBytes} (32 MiB).` }),
  maxQueueWaitMs: Type.Integer({ minimum: 1, default: DEFAULTS.mirrorMaxQueueWaitMs, description: `A sample waiting longer is dropped and counted as queue-timeout. Default ${DEFAULTS.mirrorMaxQueueWaitMs} ms.` }),
  timeoutMs: Type.Integer({ minimum: 1, default: DEFAULTS.mirrorTimeoutMs, description: `Whole-shadow deadline in ms. Default ${DEFAULTS.mirrorTimeoutMs}.` }),
  sideEffects: Type.Union([Type.Literal('unsafe'), Type.Literal('isolated'), Type.Literal('dual'), Type.Literal('none')], {
    default: 'unsafe',
    description: 'unsafe: the shadow may write to production, so only GET/HEAD/OPTIONS may be mirrored. isolated: the copy goes to the other side\'s shadow deployment (upstream.shadow) with its own store, and is compared with the primary\'s answer and production writes (under concurrent writes to the same keys such comparisons are dropped and counted). dual: both sides\' shadow deployments get the copy, against their own stores seeded identically with the request\'s keys as they were before the primary ran; the two shadows are compared, which is exact under any concurrency and lets figway discover undeclared writes. none: the team states the shadow side has no side effects.',
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
  headers: Type.Array(Type.String(), { default: ['content-type'], description: 'Response headers compared (case-insensitive). `*` = every response header except the hop-by-hop ones (connection, keep-alive, proxy-*, te, trailer, transfer-encoding, upgrade and any named in Connection), content-length, content-encoding (bodies are compared decoded) and date; names listed beside `*` are compared even when they are in that list. Default: content-type.' }),
  ignore: Type.Array(Type.String(), { default: [], description: 'Finding paths never reported (same pattern syntax as accept.path).' }),
  noise: Type.Array(Type.String(), { default: [], description: 'Paths declared as noise up front (values differ for non-regression reasons).' }),
  accept: Type.Array(AcceptedDifferenceSchema, { default: [], description: 'Intended differences: shown, not counted against the migration.' }),
  arrayKeys: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Array path → id field, so arrays are matched by id instead of position.' }),
  redact: Type.Array(Type.String(), { default: [], description: 'Extra body field names masked before storage (password, token, email…). Secret headers are always masked.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: DEFAULTS.compareMaxBodyBytes, description: `Bodies above this size are not compared (counted as skipped). Default ${DEFAULTS.compareMaxBodyBytes}.` }),
  learnNoise: Type.Boolean({ default: true, description: 'Learn noisy fields from traffic, per path and class (the value differs on nearly every comparison and looks generated).' }),
  secondaryLegacy: Type.Optional(httpUrl('A second legacy instance for safe requests (GET, HEAD, OPTIONS); noise is then measured legacy vs legacy (Diffy), per path and class, only from pairs asked while no write reached legacy that the second instance did not get. Casing, type, status, missing fields and Redis classes are never noise.')),
}, { ...strict, default: {}, description: 'How the two answers are compared.' });

export const RedisKeySchema = Type.Object({
  name: Name,
  key: Type.String({
    minLength: 1,
    description: 'Key template. Placeholders: {header.x-pesto-token}, {query.q}, {body.email} (request JSON body), {response.body.token} (this side\'s response), {keys.<name>.<field>} (a field of an earlier key\'s JSON value), {month} (UTC YYYY-MM), {path} (the request path without the query, e.g. /api/users/42), {path.N} (its N-th non-empty segment, 0-based: {path.2} = 42). A key whose placeholders cannot be filled is skipped for that request.',
  }),
  when: Type.Optional(Type.Object({
    methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }))),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/' })),
  }, strict)),
}, strict);

export const RouteRedisSchema = Type.Object({
  keys: Type.Array(RedisKeySchema, { default: [], description: 'The keys a request on this route touches (named per request by templates). They are seeded into shadow stores before a mirrored request and compared by name. With dual mirroring, writes to other keys are discovered without any declaration (discoverWrites); keys a shadow reads must still be declared, or its store will not hold them.' }),
  settleMs: Type.Integer({ minimum: 0, maximum: 10_000, default: DEFAULTS.redisSettleMs, description: 'Wait this long after an answer before reading keys (services that write after answering).' }),
  ttlToleranceSeconds: Type.Integer({ minimum: 0, default: DEFAULTS.redisTtlToleranceSeconds, description: 'TTLs within this many seconds compare equal.' }),
  snapshotTimeoutMs: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULTS.redisSnapshotTimeoutMs, description: `isolated/dual mirroring: a sampled request waits, before it is forwarded, for one read of its keys' current values from the primary's store (the state both shadows start from). Past this budget the request is forwarded unmirrored and the drop is counted (redis-snapshot-timeout). Default ${DEFAULTS.redisSnapshotTimeoutMs} ms.` }),
  liveSampleRate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Mode 2 (no mirror): share of live requests after which the declared keys are read and their shape checked against what legacy writes.' }),
  discoverWrites: Type.Union([Type.Literal('attributed'), Type.Literal('exclusive'), Type.Literal('off')], {
    default: 'attributed',
    description: 'dual mirroring: watch every write of both shadow deployments (keyspace notifications on the shadow stores, which figway turns on — never on a production store) and compare the two write sets: same value under another key name → redis-key-renamed, a key only one side writes → redis-missing-write / redis-extra-write. attributed: comparisons run side by side, and an undeclared write made while several were open is not attributed (counted as discovery-ambiguous). exclusive: one comparison at a time per shadow store, so every write is attributed (slower). off: declared keys only. Default attributed.',
  }),
}, { ...strict, description: 'Declared Redis side effects, compared between sides.' });


const Percent = Type.Number({ minimum: 0, maximum: 100, description: 'Percent of the route\'s traffic on new, 0–100 in steps of 0.01.' });
const TRANSITION_KINDS = ['start', 'promote', 'rollback', 'halt', 'pause', 'resume', 'complete', 'abort'] as const;

export const PromqlGateSchema = Type.Object({
  name: Name,
  query: Type.String({ minLength: 1, description: 'PromQL instant query; `$route` is replaced by the route name. It must return one number (a scalar or a one-element vector); no value means hold, never pass or fail.' }),
  max: Type.Optional(Type.Number({ description: 'The gate fails when the value is above this.' })),
  min: Type.Optional(Type.Number({ description: 'The gate fails when the value is below this.' })),
}, { ...strict, description: 'A gate on one aggregate Prometheus value (e.g. the error rate across every figway instance). Needs the top-level prometheus.url and one of max/min.' });

export const RampGatesSchema = Type.Object({
  errorRate: Type.Object({
    maxIncrease: Type.Number({ minimum: 0, maximum: 1, default: DEFAULTS.rampMaxErrorRateIncrease, description: `Fails when new's error rate (5xx answers, figway's own 502/504 included, and answers cut mid-body) minus legacy's exceeds this ratio. Default ${DEFAULTS.rampMaxErrorRateIncrease} (one percentage point).` }),
    minRequests: Type.Integer({ minimum: 1, default: DEFAULTS.rampMinRequests, description: `Requests each side must have served in the step's window before this gate is judged; fewer means hold. Default ${DEFAULTS.rampMinRequests}.` }),
  }, { ...strict, default: {}, description: 'Error rate of new against legacy, from client traffic (not judged during a 0 % shadow bake).' }),
  latencyP99: Type.Object({
    maxRatio: Type.Number({ minimum: 1, default: DEFAULTS.rampMaxLatencyRatio, description: `Fails when new's p99 latency divided by legacy's exceeds this. Default ${DEFAULTS.rampMaxLatencyRatio}.` }),
    slackMs: Type.Number({ minimum: 0, default: DEFAULTS.rampLatencySlackMs, description: `A p99 at most this many milliseconds above legacy's always passes (sub-millisecond services would otherwise fail on noise). Default ${DEFAULTS.rampLatencySlackMs}.` }),
    minRequests: Type.Integer({ minimum: 1, default: DEFAULTS.rampMinRequests, description: `Requests each side must have served in the window; fewer means hold. Default ${DEFAULTS.rampMinRequests}.` }),
  }, { ...strict, default: {}, description: 'p99 latency of new against legacy, from client traffic (not judged during a 0 % shadow bake).' }),
  unexpectedDifferences: Type.Object({
    maxRate: Type.Number({ minimum: 0, maximum: 1, default: DEFAULTS.rampMaxUnexpectedRate, description: `Fails when the share of compared requests with an unexpected difference (responses and Redis; accepted differences and noise — including fields later learned as noise — do not count) exceeds this. Default ${DEFAULTS.rampMaxUnexpectedRate}.` }),
    minComparisons: Type.Integer({ minimum: 1, default: DEFAULTS.rampMinComparisons, description: `Comparisons needed in the window; fewer means hold. Default ${DEFAULTS.rampMinComparisons}.` }),
  }, { ...strict, default: {}, description: 'Unexpected differences found by mirroring. Needs the route to mirror; without mirroring it holds.' }),
  coverage: Type.Object({
    min: Type.Number({ minimum: 0, maximum: 1, default: DEFAULTS.rampMinCoverage, description: `Holds while compared ÷ sampled shadows is below this: evidence that was dropped is not evidence of health. Default ${DEFAULTS.rampMinCoverage}.` }),
    minSampled: Type.Integer({ minimum: 1, default: DEFAULTS.rampMinComparisons, description: `Sampled shadows needed in the window; fewer means hold. Default ${DEFAULTS.rampMinComparisons}.` }),
  }, { ...strict, default: {}, description: 'Comparison coverage. Low coverage holds the ramp; it never fails it.' }),
  promql: Type.Array(PromqlGateSchema, { default: [], description: 'Extra gates on Prometheus queries.' }),
}, { ...strict, default: {}, description: 'What must hold before the ramp moves on. Too few samples for a gate means hold, never pass and never fail.' });

export const WebhookSchema = Type.Object({
  url: httpUrl('Where to POST the JSON event ({ route, kind, from, to, state, reason, at }).'),
  events: Type.Array(Type.Union(TRANSITION_KINDS.map((kind) => Type.Literal(kind))), { minItems: 1, default: ['promote', 'rollback', 'halt', 'complete'], description: 'Transition kinds that are sent. Default promote, rollback, halt, complete.' }),
  tokenEnv: Type.Optional(Type.String({ minLength: 1, description: 'Environment variable whose value is sent as `Authorization: Bearer …` (never put the token in this file).' })),
  timeoutMs: Type.Integer({ minimum: 1, default: DEFAULTS.webhookTimeoutMs, description: `Deadline of one attempt. Default ${DEFAULTS.webhookTimeoutMs}.` }),
  retries: Type.Integer({ minimum: 0, maximum: 10, default: DEFAULTS.webhookRetries, description: `Further attempts after a failure (exponential backoff from 500 ms); then the event is dropped and logged. Never blocks the ramp or the data plane. Default ${DEFAULTS.webhookRetries}.` }),
}, { ...strict, description: 'A JSON POST on ramp transitions.' });

export const RampSchema = Type.Object({
  steps: Type.Array(Percent, { minItems: 1, default: [...DEFAULTS.rampSteps], description: `Weights the ramp walks through, ascending; sub-1 % steps are allowed. A 0 step is a shadow bake: no client moves and the gates judge the mirrored comparisons alone. Default ${DEFAULTS.rampSteps.join(', ')}.` }),
  minStepMs: Type.Integer({ minimum: 0, default: DEFAULTS.rampMinStepMs, description: `Least time at each step before the next (gates must also pass). Default ${DEFAULTS.rampMinStepMs} (5 min).` }),
  approvalBefore: Type.Array(Percent, { default: [], description: 'Steps that wait for a human (`figway ramp <route> promote`) before they are entered; each must be one of steps.' }),
  rollbackTo: Type.Union([Type.Literal('zero'), Type.Literal('previous')], { default: 'zero', description: 'Where a failed gate sends the weight: zero (every client back to legacy) or the previous step. The ramp halts either way.' }),
  gates: RampGatesSchema,
  webhooks: Type.Array(WebhookSchema, { default: [], description: 'JSON POSTs on transitions.' }),
}, { ...strict, description: 'Automatic, evidence-gated ramp of this route\'s weight. Started by `figway ramp <route> start` (or the API); its state is kept in the weights file.' });

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
  ramp: Type.Optional(RampSchema),
}, { ...strict, description: 'One migrated service: which requests, its two sides, and how they are split and compared.' });

export const DiffStoreSchema = Type.Object({
  kind: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'memory: bounded, per instance. redis: capped streams shared by instances, survives restarts.' }),
  redis: Type.Optional(RedisStoreSchema),
  samplesPerClass: Type.Integer({ minimum: 1, default: DEFAULTS.diffStoreMemorySamples, description: `Redacted samples kept per route and class. Once a class holds this many, at most one new sample per second replaces the oldest; other comparisons of that class are counted without being redacted or copied. Default ${DEFAULTS.diffStoreMemorySamples}.` }),
  streamMaxLen: Type.Integer({ minimum: 100, default: DEFAULTS.diffStoreStreamMaxLen, description: `Approximate cap of the Redis stream. Default ${DEFAULTS.diffStoreStreamMaxLen}.` }),
}, { ...strict, default: {}, description: 'Where comparison evidence is kept.' });


export const CoordinationSchema = Type.Object({
  redis: RedisStoreSchema,
  prefix: Type.String({ pattern: '^[A-Za-z0-9:_-]+$', default: 'figway', description: 'Key and channel prefix, so several figway fleets can share one Redis. Default figway.' }),
  leaseMs: Type.Integer({ minimum: 500, default: DEFAULTS.leaseMs, description: `Ramp leader lease; renewed at a third of it, taken over by another instance when it lapses. Default ${DEFAULTS.leaseMs}.` }),
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'This instance\'s name in leases and status. Default: host name and process id.' })),
}, { ...strict, description: 'Several figway instances acting as one through a shared Redis: weights broadcast (pub/sub, plus a stored copy read at start and after a reconnect), one ramp leader per route (lease with fencing), evidence summed across instances, shared audit history. While Redis is down weights keep their last value and ramps pause.' });

export const PrometheusSchema = Type.Object({
  url: httpUrl('Prometheus base URL (the /api/v1/query endpoint is used).'),
  tokenEnv: Type.Optional(Type.String({ minLength: 1, description: 'Environment variable holding a bearer token for Prometheus.' })),
  timeoutMs: Type.Integer({ minimum: 1, default: DEFAULTS.prometheusTimeoutMs, description: `Query deadline; a timeout holds the gate. Default ${DEFAULTS.prometheusTimeoutMs}.` }),
}, { ...strict, description: 'Where ramp gates of kind promql are evaluated.' });

export const EvidenceSchema = Type.Object({
  intervalMs: Type.Integer({ minimum: 100, default: DEFAULTS.evidenceIntervalMs, description: `How often counters are read, a timeline point is kept and ramps are evaluated. Default ${DEFAULTS.evidenceIntervalMs}.` }),
  timelineMs: Type.Integer({ minimum: 1_000, default: DEFAULTS.timelineMs, description: `How much timeline history is kept per route (GET /api/routes/:route/timeline). Default ${DEFAULTS.timelineMs} (1 h).` }),
}, { ...strict, default: {}, description: 'The windowed evidence the ramp gates and the dashboard timeline read.' });

export const FigwayConfigSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  listeners: ListenersSchema,
  weightsFile: Type.String({ default: 'weights.yaml', description: 'Traffic-weight file, relative to this file. Default weights.yaml.' }),
  trustedProxies: Type.Array(Type.String(), { default: [], description: 'Addresses or CIDRs whose X-Forwarded-* headers are trusted. Others are overwritten.' }),
  maxHeaderBytes: Type.Integer({ minimum: 1024, default: DEFAULTS.maxHeaderBytes, description: `Request header block above this gets 431. Default ${DEFAULTS.maxHeaderBytes}.` }),
  clientTimeouts: ClientTimeoutsSchema,
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
  evidence: EvidenceSchema,
  prometheus: Type.Optional(PrometheusSchema),
  coordination: Type.Optional(CoordinationSchema),
  routes: Type.Array(RouteSchema, { minItems: 1 }),
}, { ...strict, description: 'figway.yaml' });


export const RAMP_STATES = ['idle', 'running', 'paused', 'awaiting-approval', 'halted', 'completed'] as const;

export const RampStateSchema = Type.Object({
  state: Type.Union(RAMP_STATES.map((name) => Type.Literal(name)), { description: 'Where the ramp stands.' }),
  step: Type.Integer({ minimum: -1, description: 'Index into the route\'s ramp.steps; -1 before the first step.' }),
  weight: Percent,
  stepStartedAt: Type.Union([Type.String(), Type.Null()], { description: 'ISO time the current step began (or the ramp resumed).' }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it is paused, halted or rolled back.' }),
  version: Type.Integer({ minimum: 0, description: 'Incremented on every write (compare-and-set).' }),
  fence: Type.Integer({ minimum: 0, description: 'Fencing token of the leader that wrote it last.' }),
  updatedAt: Type.String({ description: 'ISO time of the last write.' }),
  updatedBy: Type.String({ description: 'Who wrote it last (token name, or ramp).' }),
}, { ...strict, description: 'One route\'s ramp state, written by figway. The weight the ramp set is kept here too: a weight under routes that differs from it is a human edit, and pauses the ramp.' });

export const WeightsSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  routes: Type.Record(Name, Type.Number({ minimum: 0, maximum: 100, description: 'Percent of the route\'s traffic sent to new, 0–100 in steps of 0.01 (checked by the loader: JSON Schema\'s multipleOf is unreliable for decimals).' }), {
    additionalProperties: false,
    default: {},
    description: 'Route name → weight of new in percent. A route absent here has weight 0 — but once a route has had a weight, dropping it from the file is rejected: write 0 explicitly.',
  }),
  ramps: Type.Optional(Type.Record(Name, RampStateSchema, { additionalProperties: false, description: 'Ramp state per route, written by figway (use figway ramp … to change it, not an editor).' })),
}, { ...strict, description: 'weights.yaml: human-edited, machine-written (comments are kept).' });

export type FigwayConfig = Static<typeof FigwayConfigSchema>;
export type ClientTimeouts = Static<typeof ClientTimeoutsSchema>;
export type RouteConfig = Static<typeof RouteSchema>;
export type UpstreamConfig = Static<typeof UpstreamSchema>;
export type StickyConfig = Static<typeof StickySchema>;
export type MirrorConfig = Static<typeof MirrorSchema>;
export type CompareConfig = Static<typeof CompareSchema>;
export type RouteRedisConfig = Static<typeof RouteRedisSchema>;
export type RedisKeyConfig = Static<typeof RedisKeySchema>;
export type DiffStoreConfig = Static<typeof DiffStoreSchema>;
export type WeightsFile = Static<typeof WeightsSchema>;
export type RampConfig = Static<typeof RampSchema>;
export type RampGatesConfig = Static<typeof RampGatesSchema>;
export type PromqlGateConfig = Static<typeof PromqlGateSchema>;
export type WebhookConfig = Static<typeof WebhookSchema>;
export type RampRecord = Static<typeof RampStateSchema>;
export type RampState = (typeof RAMP_STATES)[number];
export type TransitionKind = (typeof TRANSITION_KINDS)[number];
export type CoordinationConfig = Static<typeof CoordinationSchema>;
export type PrometheusConfig = Static<typeof PrometheusSchema>;
export type EvidenceConfig = Static<typeof EvidenceSchema>;
export { TRANSITION_KINDS };

/** Schemas whose JSON Schema files are generated into schema/. */
export const GENERATED_SCHEMAS: Record<string, TSchema> = {
  'figway.schema.json': FigwayConfigSchema,
  'weights.schema.json': WeightsSchema,
};
