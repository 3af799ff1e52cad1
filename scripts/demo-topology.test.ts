/**
 * docker-compose.yml and deploy/*.yaml cannot be run here (no Docker), so this test parses them and checks they
 * agree with scripts/demo-topology.ts, pesto-routes.ts and figway's schema.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { EntrypointSchema, FigwayConfigSchema, UpstreamSchema, WeightsSchema, type FigwayConfig } from '../proxy/config/schema.js';
import { parseConfigText, parseWeightsText } from '../proxy/config/load.js';
import { PESTO_ENTRYPOINTS, pestoRoutes, pestoUpstreams } from '../legacy-adapters/pesto-routes.js';
import {
  COMPOSE_FILES, COMPOSE_PESTO_URLS, COORDINATION_REDIS_URL, DEMO_ROUTE_OPTIONS, ENV, FIGWAY, FIGWAY_REPLICA, GRAFANA, MAIL_SINK, PESTO_SERVICES, PESTO_SHADOWS,
  PROMETHEUS, REDIS, REDIS_SHADOW, publishedPort, type DemoService,
} from './demo-topology.js';

// dist/scripts/x.test.js → repository root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Merge keys (`<<: *anchor`) as Docker Compose reads them.
const readYaml = (path: string): unknown => parse(readFileSync(`${ROOT}${path}`, 'utf8'), { merge: true });

interface ComposeService {
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
}
const compose = readYaml('docker-compose.yml') as { services: Record<string, ComposeService>; volumes?: Record<string, unknown>; secrets?: Record<string, { environment?: string }> };

function figwayConfig(): FigwayConfig {
  const config = Value.Default(FigwayConfigSchema, readYaml(COMPOSE_FILES.figwayConfig)) as FigwayConfig;
  // TypeBox does not descend into Record values when filling defaults (the loader does the same).
  for (const upstream of Object.values(config.upstreams)) Value.Default(UpstreamSchema, upstream);
  for (const entrypoint of Object.values(config.listeners.entrypoints)) Value.Default(EntrypointSchema, entrypoint);
  return config;
}

describe('docker-compose.yml agrees with demo-topology.ts', () => {
  const nodeServices: DemoService[] = [...Object.values(PESTO_SERVICES), ...Object.values(PESTO_SHADOWS), MAIL_SINK];

  it('has exactly the demo services: production, shadow twins, their stores, figway and its observers', () => {
    assert.deepEqual(
      Object.keys(compose.services).sort(),
      [REDIS.service, REDIS_SHADOW.service, ...nodeServices.map((service) => service.service), FIGWAY.service, FIGWAY_REPLICA.service, PROMETHEUS.service, GRAFANA.service].sort(),
    );
  });
  for (const service of nodeServices) {
    it(`runs ${service.service} from ${service.entry} on port ${service.port} with its environment`, () => {
      const entry = compose.services[service.service];
      assert.ok(entry);
      assert.deepEqual(entry.command, ['node', service.entry]);
      assert.deepEqual(entry.ports, service.hostPortEnv === undefined ? undefined : [publishedPort(service.hostPortEnv, service.port, service.port)]);
      assert.deepEqual(entry.environment, service.env);
      assert.equal(entry.environment?.[ENV.port], String(service.port));
    });
  }
  it('gives each shadow twin a store of its own on the shadow Redis, never the production one', () => {
    const stores = Object.values(PESTO_SHADOWS).map((service) => compose.services[service.service]?.environment?.[ENV.redisUrl]);
    assert.equal(new Set(stores).size, 4);
    for (const store of stores) assert.match(String(store), new RegExp(`^redis://${REDIS_SHADOW.service}:`));
  });
  it('points the new registration at the mail sink', () => {
    assert.equal(compose.services[PESTO_SERVICES.newRegistration.service]?.environment?.[ENV.mailerUrl], `http://${MAIL_SINK.service}:${MAIL_SINK.port}`);
  });
  it('runs redis on an overridable loopback port that does not collide with a local Redis', () => {
    assert.deepEqual(compose.services[REDIS.service]?.ports, [publishedPort(REDIS.hostPortEnv, REDIS.hostPort, REDIS.port)]);
    assert.equal(compose.services[REDIS.service]?.image, REDIS.image);
    assert.equal(compose.services[REDIS_SHADOW.service]?.ports, undefined);
  });
  it('publishes only on 127.0.0.1, every host port overridable', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:\$\{[A-Z0-9_]+:-\d+\}:\d+$/, name);
    }
  });
  it('runs figway with each service on its own entrypoint, its config read-only and its state in a volume it owns', () => {
    const figway = compose.services[FIGWAY.service];
    assert.ok(figway);
    assert.deepEqual(figway.command, ['node', FIGWAY.entry, 'start', '-c', FIGWAY.configFile]);
    assert.deepEqual(figway.ports, [
      ...Object.values(FIGWAY.entrypoints).map((entrypoint) => publishedPort(entrypoint.hostPortEnv, entrypoint.port, entrypoint.port)),
      publishedPort(FIGWAY.adminHostPortEnv, FIGWAY.adminPort, FIGWAY.adminPort),
    ]);
    assert.deepEqual(figway.environment, FIGWAY.env);
    assert.deepEqual(figway.volumes, [`./${COMPOSE_FILES.figwayConfig}:${FIGWAY.configFile}:ro`, `${FIGWAY.stateVolume}:${FIGWAY.stateDir}`]);
    assert.ok(FIGWAY.stateVolume in (compose.volumes ?? {}));
    // The image creates the state directory for its unprivileged user and seeds it with the first weights.
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    assert.match(dockerfile, new RegExp(`mkdir -p ${FIGWAY.stateDir} && chown node:node ${FIGWAY.stateDir}`));
    assert.match(dockerfile, new RegExp(`COPY --chown=node:node ${COMPOSE_FILES.weights} ${FIGWAY.stateDir}/weights.yaml`));
    assert.ok(dockerfile.indexOf('USER node') > dockerfile.indexOf(`chown node:node ${FIGWAY.stateDir}`));
  });
  it('runs a second figway replica like the first, on its own host ports, coordinating through the shared Redis', () => {
    const first = compose.services[FIGWAY.service]!;
    const replica = compose.services[FIGWAY_REPLICA.service];
    assert.ok(replica);
    assert.deepEqual(replica.command, first.command);
    assert.deepEqual(replica.environment, first.environment);
    assert.deepEqual(replica.volumes, first.volumes);
    assert.deepEqual(replica.ports, [
      ...Object.entries(FIGWAY_REPLICA.entrypoints).map(([name, entrypoint]) => publishedPort(entrypoint.hostPortEnv, entrypoint.port, FIGWAY.entrypoints[name as keyof typeof FIGWAY.entrypoints].port)),
      publishedPort(FIGWAY_REPLICA.adminHostPortEnv, FIGWAY_REPLICA.adminPort, FIGWAY.adminPort),
    ]);
    assert.equal(figwayConfig().coordination?.redis.url, COORDINATION_REDIS_URL);
    const targets = (readYaml(COMPOSE_FILES.prometheus) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> }).scrape_configs[0]!.static_configs[0]!.targets;
    assert.deepEqual(targets, [`${FIGWAY.service}:${FIGWAY.adminPort}`, `${FIGWAY_REPLICA.service}:${FIGWAY.adminPort}`], 'Prometheus scrapes both');
  });
  it('runs prometheus with the scrape config and the admin token as a secret', () => {
    const prometheus = compose.services[PROMETHEUS.service];
    assert.ok(prometheus);
    assert.equal(prometheus.image, PROMETHEUS.image);
    assert.deepEqual(prometheus.ports, [publishedPort(PROMETHEUS.hostPortEnv, PROMETHEUS.port, PROMETHEUS.containerPort)]);
    assert.ok(prometheus.volumes?.includes(`./${COMPOSE_FILES.prometheus}:/etc/prometheus/prometheus.yml:ro`));
    assert.deepEqual(prometheus.secrets, [COMPOSE_FILES.adminTokenSecret]);
    assert.equal(compose.secrets?.[COMPOSE_FILES.adminTokenSecret]?.environment, ENV.figwayAdminToken);
    assert.ok(prometheus.volumes?.includes('./deploy/figway-alerts.yml:/etc/prometheus/figway-alerts.yml:ro'), 'the alerting rules are loaded');
    assert.deepEqual((readYaml(COMPOSE_FILES.prometheus) as { rule_files?: string[] }).rule_files, ['/etc/prometheus/figway-alerts.yml']);
  });
  it('runs grafana with the figway dashboard and the Prometheus datasource provisioned', () => {
    const grafana = compose.services[GRAFANA.service];
    assert.ok(grafana);
    assert.equal(grafana.image, GRAFANA.image);
    assert.ok(grafana.volumes?.includes('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'));
    assert.ok(grafana.volumes?.includes('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro'));
    const datasource = readYaml('deploy/grafana/provisioning/datasources/prometheus.yml') as { datasources: Array<{ uid: string; url: string }> };
    assert.equal(datasource.datasources[0]?.url, `http://${PROMETHEUS.service}:${PROMETHEUS.containerPort}`);
    const dashboard = JSON.parse(readFileSync(`${ROOT}deploy/grafana/dashboards/figway.json`, 'utf8')) as { panels: Array<{ title: string; datasource?: { uid: string } }> };
    assert.ok(dashboard.panels.every((panel) => panel.datasource === undefined || panel.datasource.uid === datasource.datasources[0]?.uid));
    for (const title of ['Weight on new', 'Unexpected-difference rate', 'Error rate (5xx) per side', 'p99 latency per side']) {
      assert.ok(dashboard.panels.some((panel) => panel.title === title), title);
    }
  });
});

describe('deploy/ files', () => {
  it('figway.yaml is valid against the figway schema after defaults', () => {
    const config = figwayConfig();
    assert.ok(Value.Check(FigwayConfigSchema, config), JSON.stringify([...Value.Errors(FigwayConfigSchema, config)].slice(0, 5)));
  });
  it('figway.yaml routes equal pestoRoutes(DEMO_ROUTE_OPTIONS)', () => {
    assert.deepEqual(figwayConfig().routes, pestoRoutes(DEMO_ROUTE_OPTIONS));
  });
  it('figway.yaml upstreams equal pestoUpstreams for the compose URLs', () => {
    assert.deepEqual(figwayConfig().upstreams, pestoUpstreams(COMPOSE_PESTO_URLS));
  });
  it('figway.yaml listens where compose publishes and reads the admin token from FIGWAY_ADMIN_TOKEN', () => {
    const config = figwayConfig();
    assert.equal(config.listeners.gateway.enabled, false);
    assert.deepEqual(Object.fromEntries(Object.entries(config.listeners.entrypoints).map(([name, entrypoint]) => [name, entrypoint.port])),
      Object.fromEntries(Object.entries(FIGWAY.entrypoints).map(([name, entrypoint]) => [name, entrypoint.port])));
    assert.deepEqual(Object.keys(FIGWAY.entrypoints), Object.values(PESTO_ENTRYPOINTS));
    assert.equal(config.weightsFile, `${FIGWAY.stateDir}/weights.yaml`);
    assert.equal(config.listeners.admin.port, FIGWAY.adminPort);
    assert.equal(config.listeners.admin.host, '0.0.0.0');
    assert.equal(config.listeners.admin.tokenEnv, ENV.figwayAdminToken);
  });
  it('weights.yaml is valid and names only configured routes', () => {
    const weights = Value.Default(WeightsSchema, readYaml(COMPOSE_FILES.weights)) as { routes: Record<string, number> };
    assert.ok(Value.Check(WeightsSchema, weights));
    const names = new Set(figwayConfig().routes.map((route) => route.name));
    for (const route of Object.keys(weights.routes)) assert.ok(names.has(route), route);
  });
  it('figway.yaml and weights.yaml pass figway\'s own loader, semantic checks included', () => {
    const path = `${ROOT}${COMPOSE_FILES.figwayConfig}`;
    const loaded = parseConfigText(path, readFileSync(path, 'utf8'));
    const names = new Set(loaded.config.routes.map((route) => route.name));
    // In the container the weights are the state volume's copy of deploy/weights.yaml.
    assert.doesNotThrow(() => parseWeightsText(`${ROOT}${COMPOSE_FILES.weights}`, readFileSync(`${ROOT}${COMPOSE_FILES.weights}`, 'utf8'), names));
  });
  it('prometheus.yml scrapes figway admin /metrics with a bearer token file', () => {
    const prometheus = readYaml(COMPOSE_FILES.prometheus) as {
      scrape_configs: Array<{ metrics_path: string; authorization: { type: string; credentials_file: string }; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = prometheus.scrape_configs[0];
    assert.equal(job?.metrics_path, '/metrics');
    assert.equal(job?.authorization.type, 'Bearer');
    assert.equal(job?.authorization.credentials_file, `/run/secrets/${COMPOSE_FILES.adminTokenSecret}`);
    assert.deepEqual(job?.static_configs[0]?.targets, [`${FIGWAY.service}:${FIGWAY.adminPort}`, `${FIGWAY_REPLICA.service}:${FIGWAY.adminPort}`]);
  });
});
