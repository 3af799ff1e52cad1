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
  /** Port the service listens on inside its container (also published on the host). */
  port: number;
  /** Compiled entry point, relative to the image's working directory. */
  entry: string;
  /** Environment the service needs, name → value, as written into docker-compose.yml. */
  env: Record<string, string>;
}

/** REDIS is the shared Pesto store. */
export const REDIS = { service: 'redis', port: 6379, image: 'redis:7-alpine' } as const;
/** REDIS_URL_IN_COMPOSE is the store URL every service gets inside the compose network. */
export const REDIS_URL_IN_COMPOSE = `redis://${REDIS.service}:${REDIS.port}`;

/** MAIL_SINK is the local MailerSend stand-in. */
export const MAIL_SINK: DemoService = {
  service: 'mail-sink', port: 8025, entry: 'dist/new-services/mail-sink/main.js', env: { [ENV.port]: '8025' },
};

/** PESTO_SERVICES are the four Pesto services, keyed like PestoServiceUrls. */
export const PESTO_SERVICES = {
  legacyAuth: {
    service: 'legacy-auth', port: 3001, entry: 'dist/legacy-adapters/auth/main.js',
    env: { [ENV.port]: '3001', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE },
  },
  newAuth: {
    service: 'new-auth', port: 3002, entry: 'dist/new-services/auth/main.js',
    env: { [ENV.port]: '3002', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE, [ENV.regressions]: '${PESTO_REGRESSIONS:-}' },
  },
  legacyRegistration: {
    service: 'legacy-registration', port: 3003, entry: 'dist/legacy-adapters/registration/main.js',
    env: { [ENV.port]: '3003', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE },
  },
  newRegistration: {
    service: 'new-registration', port: 3004, entry: 'dist/new-services/registration/main.js',
    env: {
      [ENV.port]: '3004', [ENV.redisUrl]: REDIS_URL_IN_COMPOSE, [ENV.regressions]: '${PESTO_REGRESSIONS:-}',
      [ENV.mailerTransport]: 'capture', [ENV.mailerUrl]: `http://${MAIL_SINK.service}:${MAIL_SINK.port}`,
    },
  },
} as const satisfies Record<string, DemoService>;

/** FIGWAY is the gateway container: data plane, admin listener and its config files. */
export const FIGWAY = {
  service: 'figway',
  gatewayPort: 8080,
  adminPort: 9090,
  entry: 'dist/proxy/cli.js',
  configDir: '/etc/figway',
  configFile: '/etc/figway/figway.yaml',
  env: { [ENV.figwayConfig]: '/etc/figway/figway.yaml', [ENV.figwayAdminToken]: '${FIGWAY_ADMIN_TOKEN:?set FIGWAY_ADMIN_TOKEN}' },
} as const;

/**
 * FIGWAY_REPLICA is a second figway behind the same Redis (coordination in deploy/figway.yaml): the same image,
 * command and configuration, its listeners published on other host ports.
 */
export const FIGWAY_REPLICA = { service: 'figway-2', gatewayPort: 8081, adminPort: 9092 } as const;

/** COORDINATION_REDIS_URL is the shared Redis the figway replicas coordinate through (its own logical database). */
export const COORDINATION_REDIS_URL = `${REDIS_URL_IN_COMPOSE}/15`;

/** PROMETHEUS scrapes figway's admin /metrics with the admin bearer token. */
export const PROMETHEUS = { service: 'prometheus', port: 9091, containerPort: 9090, image: 'prom/prometheus:v2.53.0' } as const;

/** GRAFANA shows deploy/grafana/dashboards/figway.json from the Prometheus beside it. */
export const GRAFANA = { service: 'grafana', port: 3000, image: 'grafana/grafana:11.1.0' } as const;

/** serviceUrl is the in-network base URL of a service. */
export function serviceUrl(service: { service: string; port: number }): string {
  return `http://${service.service}:${service.port}`;
}

/** COMPOSE_PESTO_URLS are the four upstream URLs figway uses inside the compose network. */
export const COMPOSE_PESTO_URLS = {
  legacyAuth: serviceUrl(PESTO_SERVICES.legacyAuth),
  newAuth: serviceUrl(PESTO_SERVICES.newAuth),
  legacyRegistration: serviceUrl(PESTO_SERVICES.legacyRegistration),
  newRegistration: serviceUrl(PESTO_SERVICES.newRegistration),
  redisUrl: REDIS_URL_IN_COMPOSE,
} as const;

/** DEMO_ROUTE_OPTIONS are the pestoRoutes() options of the compose demo: no shadow deployments, so no mirroring; live shape checks instead. */
export const DEMO_ROUTE_OPTIONS = { liveSampleRate: 0.25 } as const;

/** COMPOSE_FILES name the files the compose demo mounts. */
export const COMPOSE_FILES = {
  figwayConfig: 'deploy/figway.yaml',
  weights: 'deploy/weights.yaml',
  prometheus: 'deploy/prometheus.yml',
  adminTokenSecret: 'figway_admin_token',
} as const;
