/**
 * demo-topology: the one description of the Pesto demo deployment (service names, ports, entry points, environment
 * variable names) that docker-compose.yml, deploy/*.yaml and the demo scripts share. The compose test fails when
 * docker-compose.yml drifts from it.
 */

/** ENV names the environment variables the services and figway read. */
export const ENV = {
  port: 'PORT',
  redisUrl: 'REDIS_URL',
  logLevel: 'LOG_LEVEL',
  regressions: 'PESTO_REGRESSIONS',
  mailerUrl: 'MAILER_URL',
  mailerTransport: 'MAILER_TRANSPORT',
  mailersendApiKey: 'MAILERSEND_API_KEY',
  figwayConfig: 'FIGWAY_CONFIG',
  figwayAdminToken: 'FIGWAY_ADMIN_TOKEN',
} as const;

/** DemoService is one node service of the demo. */
export interface DemoService {
  /** Compose service name and DNS host name. */
  service: string;
  /** Port the service listens on inside its container. */
  port: number;
  /** Variable naming its host port, published on 127.0.0.1 (default: the same port); absent: not published. */
  hostPortEnv?: string;
  /** Compiled entry point, relative to the image's working directory. */
  entry: string;
  /** Environment the service needs, name → value, as written into docker-compose.yml. */
  env: Record<string, string>;
}

/** REDIS is the shared Pesto store, published on 127.0.0.1:${REDIS_PORT:-16379} (not 6379: a local Redis has that). */
export const REDIS = { service: 'redis', port: 6379, hostPort: 16379, hostPortEnv: 'REDIS_PORT', image: 'redis:7-alpine' } as const;
/** REDIS_URL_IN_COMPOSE is the store URL every service gets inside the compose network. */
export const REDIS_URL_IN_COMPOSE = `redis://${REDIS.service}:${REDIS.port}`;
/** REDIS_SHADOW holds the shadow twins' four stores (databases 1–4); figway watches its writes, never production's. */
export const REDIS_SHADOW = { service: 'redis-shadow', port: 6379, image: 'redis:7-alpine' } as const;
/** SHADOW_STORES are the shadow twins' stores, as shadowStoreUrls() lays them out for the in-process demo. */
export const SHADOW_STORES = {
  legacyAuth: `redis://${REDIS_SHADOW.service}:${REDIS_SHADOW.port}/1`,
  newAuth: `redis://${REDIS_SHADOW.service}:${REDIS_SHADOW.port}/2`,
  legacyRegistration: `redis://${REDIS_SHADOW.service}:${REDIS_SHADOW.port}/3`,
  newRegistration: `redis://${REDIS_SHADOW.service}:${REDIS_SHADOW.port}/4`,
} as const;

/** MAIL_SINK is the local MailerSend stand-in. */
export const MAIL_SINK: DemoService = {
  service: 'mail-sink', port: 8025, hostPortEnv: 'MAIL_SINK_PORT', entry: 'dist/new-services/mail-sink/main.js', env: { [ENV.port]: '8025' },
};

/** PESTO_SERVICES are the four Pesto services, keyed like PestoServiceUrls. */
export const PESTO_SERVICES = {
  legacyAuth: {
    service: 'legacy-auth', port: 3001, hostPortEnv: 'LEGACY_AUTH_PORT', entry: 'dist/legacy-adapters/auth/main.js',
    env: { [ENV.port]: '3001', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE },
  },
  newAuth: {
    service: 'new-auth', port: 3002, hostPortEnv: 'NEW_AUTH_PORT', entry: 'dist/new-services/auth/main.js',
    env: { [ENV.port]: '3002', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE, [ENV.regressions]: '${PESTO_REGRESSIONS:-}' },
  },
  legacyRegistration: {
    service: 'legacy-registration', port: 3003, hostPortEnv: 'LEGACY_REGISTRATION_PORT', entry: 'dist/legacy-adapters/registration/main.js',
    env: { [ENV.port]: '3003', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE },
  },
  newRegistration: {
    service: 'new-registration', port: 3004, hostPortEnv: 'NEW_REGISTRATION_PORT', entry: 'dist/new-services/registration/main.js',
    env: {
      [ENV.port]: '3004', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE, [ENV.regressions]: '${PESTO_REGRESSIONS:-}',
      [ENV.mailerTransport]: 'capture', [ENV.mailerUrl]: `http://${MAIL_SINK.service}:${MAIL_SINK.port}`,
    },
  },
} as const satisfies Record<string, DemoService>;

/**
 * PESTO_SHADOWS are the shadow twins: the same four services, each against its own store on REDIS_SHADOW, where
 * figway sends mirrored requests (dual mirroring: both sides' twins, compared with each other). Not published.
 */
export const PESTO_SHADOWS = {
  legacyAuth: { ...PESTO_SERVICES.legacyAuth, service: 'legacy-auth-shadow', hostPortEnv: undefined, env: { ...PESTO_SERVICES.legacyAuth.env, [ENV.redisUrl]: SHADOW_STORES.legacyAuth } },
  newAuth: { ...PESTO_SERVICES.newAuth, service: 'new-auth-shadow', hostPortEnv: undefined, env: { ...PESTO_SERVICES.newAuth.env, [ENV.redisUrl]: SHADOW_STORES.newAuth } },
  legacyRegistration: {
    ...PESTO_SERVICES.legacyRegistration, service: 'legacy-registration-shadow', hostPortEnv: undefined,
    env: { ...PESTO_SERVICES.legacyRegistration.env, [ENV.redisUrl]: SHADOW_STORES.legacyRegistration },
  },
  newRegistration: {
    ...PESTO_SERVICES.newRegistration, service: 'new-registration-shadow', hostPortEnv: undefined,
    env: { ...PESTO_SERVICES.newRegistration.env, [ENV.redisUrl]: SHADOW_STORES.newRegistration },
  },
} as const satisfies Record<string, DemoService>;

/**
 * FIGWAY is the gateway container: each Pesto service's entrypoint, the admin listener, its configuration (read-only
 * from deploy/) and its state directory (a volume the container user owns: the weights figway writes).
 */
export const FIGWAY = {
  service: 'figway',
  entrypoints: { auth: { port: 8080, hostPortEnv: 'FIGWAY_AUTH_PORT' }, registration: { port: 8081, hostPortEnv: 'FIGWAY_REGISTRATION_PORT' } },
  adminPort: 9090,
  adminHostPortEnv: 'FIGWAY_ADMIN_PORT',
  entry: 'dist/proxy/cli.js',
  configFile: '/etc/figway/figway.yaml',
  stateDir: '/var/lib/figway',
  stateVolume: 'figway-state',
  env: { [ENV.figwayConfig]: '/etc/figway/figway.yaml', [ENV.figwayAdminToken]: '${FIGWAY_ADMIN_TOKEN:?set FIGWAY_ADMIN_TOKEN}' },
} as const;

/**
 * FIGWAY_REPLICA is a second figway behind the same Redis (coordination in deploy/figway.yaml): the same image,
 * command, configuration and state volume, its listeners published on other host ports.
 */
export const FIGWAY_REPLICA = {
  service: 'figway-2',
  entrypoints: { auth: { port: 8180, hostPortEnv: 'FIGWAY_2_AUTH_PORT' }, registration: { port: 8181, hostPortEnv: 'FIGWAY_2_REGISTRATION_PORT' } },
  adminPort: 9092,
  adminHostPortEnv: 'FIGWAY_2_ADMIN_PORT',
} as const;

/** COORDINATION_REDIS_URL is the shared Redis the figway replicas coordinate through (its own logical database). */
export const COORDINATION_REDIS_URL = `${REDIS_URL_IN_COMPOSE}/15`;

/** PROMETHEUS scrapes figway's admin /metrics with the admin bearer token. */
export const PROMETHEUS = { service: 'prometheus', port: 9091, hostPortEnv: 'PROMETHEUS_PORT', containerPort: 9090, image: 'prom/prometheus:v2.53.0' } as const;

/** GRAFANA shows deploy/grafana/dashboards/figway.json from the Prometheus beside it. */
export const GRAFANA = { service: 'grafana', port: 3000, hostPortEnv: 'GRAFANA_PORT', image: 'grafana/grafana:11.1.0' } as const;

/** publishedPort is the compose `ports` entry of a published service: loopback only, host port overridable. */
export function publishedPort(hostPortEnv: string, hostPort: number, containerPort: number): string {
  return `127.0.0.1:\${${hostPortEnv}:-${hostPort}}:${containerPort}`;
}

/** serviceUrl is the in-network base URL of a service. */
export function serviceUrl(service: { service: string; port: number }): string {
  return `http://${service.service}:${service.port}`;
}

/** COMPOSE_PESTO_URLS are the four upstream URLs (and shadow twins) figway uses inside the compose network. */
export const COMPOSE_PESTO_URLS = {
  legacyAuth: serviceUrl(PESTO_SERVICES.legacyAuth),
  newAuth: serviceUrl(PESTO_SERVICES.newAuth),
  legacyRegistration: serviceUrl(PESTO_SERVICES.legacyRegistration),
  newRegistration: serviceUrl(PESTO_SERVICES.newRegistration),
  redisUrl: REDIS_URL_IN_COMPOSE,
  shadow: {
    legacyAuth: serviceUrl(PESTO_SHADOWS.legacyAuth),
    newAuth: serviceUrl(PESTO_SHADOWS.newAuth),
    legacyRegistration: serviceUrl(PESTO_SHADOWS.legacyRegistration),
    newRegistration: serviceUrl(PESTO_SHADOWS.newRegistration),
    redis: SHADOW_STORES,
  },
} as const;

/**
 * DEMO_ROUTE_OPTIONS are the pestoRoutes() options of the demo, in-process (npm run demo) and in compose alike:
 * every request mirrored to the shadow twins, testers may pin a side, each service on its own entrypoint.
 */
export const DEMO_ROUTE_OPTIONS = { mirror: { sampleRate: 1 }, override: true, entrypoints: true } as const;

/** COMPOSE_FILES name the files the compose demo mounts. */
export const COMPOSE_FILES = {
  figwayConfig: 'deploy/figway.yaml',
  /** The first weights; the image copies them into the state volume, where figway keeps them from then on. */
  weights: 'deploy/weights.yaml',
  prometheus: 'deploy/prometheus.yml',
  adminTokenSecret: 'figway_admin_token',
} as const;
