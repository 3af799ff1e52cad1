/**
 * pesto-routes: how the Pesto services are described to figway, written once and used by the demo, the compose
 * files (deploy/figway.yaml is checked against it) and tests. Every returned object is a complete `RouteConfig` /
 * `UpstreamConfig`: the entries are written minimally and the schema's own defaults are then filled in with
 * `Value.Default`, so defaults are never copied by hand and cannot drift from proxy/config/schema.ts.
 */
import { Value } from '@sinclair/typebox/value';
import {
  RouteSchema, UpstreamSchema, type RedisKeyConfig, type RouteConfig, type UpstreamConfig,
} from '../proxy/config/schema.js';
import { acceptEntriesFor } from './pesto-changes.js';
import { TOKEN_HEADER, WAITING_LIST_KEY } from '../pesto-common/pesto-model.js';

/** PestoUpstreamNames are the upstream names routes refer to. */
export interface PestoUpstreamNames {
  legacyAuth: string;
  newAuth: string;
  legacyRegistration: string;
  newRegistration: string;
}

/** PESTO_UPSTREAM_NAMES are the default upstream names. */
export const PESTO_UPSTREAM_NAMES: PestoUpstreamNames = {
  legacyAuth: 'legacy-auth',
  newAuth: 'new-auth',
  legacyRegistration: 'legacy-registration',
  newRegistration: 'new-registration',
};

/** AUTH_SETTLE_MS covers the legacy Go auth's counter write, which lands after its answer. */
export const AUTH_SETTLE_MS = 50;

/** PestoRoutesOptions tune the generated routes. */
export interface PestoRoutesOptions {
  /** Upstream names. Default PESTO_UPSTREAM_NAMES. */
  upstreams?: Partial<PestoUpstreamNames>;
  /**
   * Mirror sampled requests. Both routes write to Redis (auth counts calls, registration appends and sets), so
   * mirroring goes to shadow deployments: `dual` (default: both sides' shadows, compared with each other — exact
   * under any concurrency) or `isolated` (the other side's shadow, compared with the primary). Default: no mirroring.
   */
  mirror?: { sampleRate?: number; sideEffects?: 'dual' | 'isolated' };
  /** Honour the override header (testers pinning a side). Default false. */
  override?: boolean;
  /** Share of live (unmirrored) requests whose Redis writes are shape-checked. Default 0. */
  liveSampleRate?: number;
  /**
   * Give each service a listener of its own, as in production: the route `auth` takes every request of the
   * entrypoint named `auth`, `registration` every request of `registration` (its /healthz included), so clients
   * see each service at its own address exactly as they did. Default: one listener, registration under /api.
   */
  entrypoints?: boolean;
}

/** PESTO_ENTRYPOINTS name the listeners of the services when each has its own (PestoRoutesOptions.entrypoints). */
export const PESTO_ENTRYPOINTS = { auth: 'auth', registration: 'registration' } as const;

function complete(route: unknown): RouteConfig {
  return Value.Default(RouteSchema, route) as RouteConfig;
}

/**
 * pestoRoutes returns `[registration, auth]`, in that order: routes are tried first match wins, and on a shared
 * listener auth's prefix `/` would otherwise swallow `/api/*`.
 */
export function pestoRoutes(options: PestoRoutesOptions = {}): RouteConfig[] {
  const names = { ...PESTO_UPSTREAM_NAMES, ...options.upstreams };
  const mirror = (methods: string[]) => (options.mirror === undefined
    ? {}
    : { mirror: { sampleRate: options.mirror.sampleRate ?? 1, methods, sideEffects: options.mirror.sideEffects ?? 'dual' } });
  const override = { override: { enabled: options.override ?? false } };
  const live = options.liveSampleRate === undefined ? {} : { liveSampleRate: options.liveSampleRate };

  const registrationKeys: RedisKeyConfig[] = [
    { name: 'waiting-list', key: WAITING_LIST_KEY },
    // approve/revoke name the token in the body; trial hands it out (rewrite: {"token"}, legacy: the bare text).
    { name: 'token', key: '{body.token|response.body.token|response.text}', when: { methods: ['PUT', 'POST'] } },
  ];
  const registration = complete({
    name: 'registration',
    match: options.entrypoints === true ? { pathPrefix: '/', entrypoints: [PESTO_ENTRYPOINTS.registration] } : { pathPrefix: '/api' },
    legacy: names.legacyRegistration,
    new: names.newRegistration,
    // The landing form has no token yet: keep each browser on one side by its address.
    sticky: { clientAddress: true },
    ...override,
    ...mirror(['GET', 'POST', 'PUT']),
    compare: {
      headers: ['content-type'],
      // Trial tokens and trial addresses are random per side.
      noise: ['body.token'],
      accept: acceptEntriesFor('registration'),
      // Pending users are matched by address, not by position.
      arrayKeys: { body: 'email' },
      redact: ['token', 'Token', 'email', 'UserEmail', 'name'],
    },
    redis: { keys: registrationKeys, ...live },
  });

  const authKeys: RedisKeyConfig[] = [
    { name: 'token', key: `{header.${TOKEN_HEADER}}` },
    { name: 'counter', key: 'counter/{month}/{keys.token.UserEmail}' },
  ];
  const auth = complete({
    name: 'auth',
    // Any method: Traefik's forward-auth sends GET, but a client that sends something else must get what the legacy
    // service answers (Go's 405 to POST), not a gateway 404.
    match: options.entrypoints === true ? { pathPrefix: '/', entrypoints: [PESTO_ENTRYPOINTS.auth] } : { pathPrefix: '/' },
    legacy: names.legacyAuth,
    new: names.newAuth,
    sticky: { header: 'X-Pesto-Token' },
    ...override,
    ...mirror(['GET']),
    compare: {
      headers: ['content-type'],
      noise: ['header.sentry-trace', 'header.baggage'],
      accept: acceptEntriesFor('auth'),
      redact: ['UserEmail'],
    },
    redis: { keys: authKeys, settleMs: AUTH_SETTLE_MS, ...live },
  });
  return [registration, auth];
}

/** PestoServiceUrls locate the four deployments (and, optionally, their stores and shadow twins). */
export interface PestoServiceUrls {
  legacyAuth: string;
  newAuth: string;
  legacyRegistration: string;
  newRegistration: string;
  /** Store of every side (Pesto shares one Redis). */
  redisUrl?: string;
  /** Shadow deployments receiving mirrored requests, each against its own store (`redis`). */
  shadow?: {
    legacyAuth: string;
    newAuth: string;
    legacyRegistration: string;
    newRegistration: string;
    redis: Record<keyof PestoUpstreamNames, string>;
  };
}

/** pestoUpstreams returns the four upstream entries, keyed by `names`, complete with schema defaults. */
export function pestoUpstreams(urls: PestoServiceUrls, names: PestoUpstreamNames = PESTO_UPSTREAM_NAMES): Record<string, UpstreamConfig> {
  const entry = (which: keyof PestoUpstreamNames): UpstreamConfig => Value.Default(UpstreamSchema, {
    url: urls[which],
    ...(urls.redisUrl !== undefined ? { redis: { url: urls.redisUrl } } : {}),
    ...(urls.shadow !== undefined ? { shadow: { url: urls.shadow[which], redis: { url: urls.shadow.redis[which] } } } : {}),
  }) as UpstreamConfig;
  return {
    [names.legacyAuth]: entry('legacyAuth'),
    [names.newAuth]: entry('newAuth'),
    [names.legacyRegistration]: entry('legacyRegistration'),
    [names.newRegistration]: entry('newRegistration'),
  };
}
