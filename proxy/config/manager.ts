/**
 * ConfigManager owns the live configuration: it loads figway.yaml and the weight file, watches both, applies a valid
 * edit by swapping the runtime snapshot, and rejects an invalid one (logged, counted) while the last good state keeps
 * serving. It also writes weights (for the admin API, the CLI and the ramp) atomically, keeping the file's comments.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { Logger } from 'pino';
import { ConfigError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import { loadConfigFiles, loadWeightsFile, parseConfigText, parseWeightsText, type LoadedConfig, type LoadedWeights } from './load.js';
import { buildSnapshot, PoolRegistry, type RuntimeSnapshot } from '../runtime.js';
import type { GatewayMetrics } from '../metrics.js';
import type { RandomSource } from '../routing/select.js';
import type { AcceptedDifferenceSchema } from './schema.js';

/** AcceptedDifference is one `compare.accept` entry. */
export type AcceptedDifference = typeof AcceptedDifferenceSchema.static;

/** writeAtomically replaces `path` with `text` by rename, so readers (and the watcher) never see half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

/** ReloadOutcome is what one reload attempt did. */
export interface ReloadOutcome {
  file: string;
  result: 'applied' | 'rejected' | 'unchanged';
  issues: ConfigIssue[];
  at: string;
}

/** ConfigManagerOptions inject what the manager needs. */
export interface ConfigManagerOptions {
  configPath: string;
  logger: Logger;
  metrics: GatewayMetrics;
  random?: RandomSource;
  /** Called after each applied snapshot (plugins rebuild their per-route state). */
  onApplied?: (snapshot: RuntimeSnapshot) => void;
}

/** createConfigManager loads the files once; it throws ConfigError when the initial files are invalid. */
export async function createConfigManager(options: ConfigManagerOptions): Promise<ConfigManager> {
  const { loaded, weights } = await loadConfigFiles(options.configPath);
  return new ConfigManager(options, loaded, weights);
}

/** ConfigManager: see the module comment. */
export class ConfigManager {
  readonly pools = new PoolRegistry();
  private loaded: LoadedConfig;
  private weightsState: LoadedWeights;
  private current: RuntimeSnapshot;
  private watchers: FSWatcher[] = [];
  private timers = new Map<string, NodeJS.Timeout>();
  private lastText = new Map<string, string>();
  private writeChain: Promise<unknown> = Promise.resolve();
  readonly history: ReloadOutcome[] = [];

  constructor(private readonly options: ConfigManagerOptions, loaded: LoadedConfig, weights: LoadedWeights) {
    this.loaded = loaded;
    this.weightsState = weights;
    this.current = this.build();
  }

  /** snapshot is the live runtime state; read it once per request. */
  snapshot = (): RuntimeSnapshot => this.current;

  get configPath(): string { return this.loaded.configPath; }
  get weightsPath(): string { return this.loaded.weightsPath; }
  get config(): LoadedConfig['config'] { return this.loaded.config; }

  private build(): RuntimeSnapshot {
    const snapshot = buildSnapshot(this.loaded.config, this.weightsState.weights, this.pools, this.options.random ?? Math.random);
    for (const route of snapshot.routes) this.options.metrics.setWeight(route.name, route.weight);
    this.current = snapshot;
    this.options.onApplied?.(snapshot);
    return snapshot;
  }

  private record(outcome: ReloadOutcome): ReloadOutcome {
    this.history.push(outcome);
    if (this.history.length > 50) this.history.shift();
    if (outcome.result !== 'unchanged') this.options.metrics.configReload(basename(outcome.file), outcome.result);
    if (outcome.result === 'rejected') {
      this.options.logger.error({ file: outcome.file, issues: outcome.issues.map(formatConfigIssue) }, 'configuration edit rejected; the last good configuration keeps serving');
    } else if (outcome.result === 'applied') {
      this.options.logger.info({ file: outcome.file }, 'configuration applied');
    }
    return outcome;
  }

  /** reloadConfig re-reads figway.yaml (and the weight file it names) and applies it when valid. */
  async reloadConfig(): Promise<ReloadOutcome> {
    const at = new Date().toISOString();
    const file = this.loaded.configPath;
    try {
      const text = await readFile(file, 'utf8');
      if (this.lastText.get(file) === text) return { file, result: 'unchanged', issues: [], at };
      const loaded = parseConfigText(file, text);
      const weights = await loadWeightsFile(loaded);
      this.lastText.set(file, text);
      const weightsMoved = loaded.weightsPath !== this.loaded.weightsPath;
      this.loaded = loaded;
      this.weightsState = weights;
      this.build();
      if (weightsMoved) this.rewatch();
      return this.record({ file, result: 'applied', issues: [], at });
    } catch (error) {
      return this.record({ file, result: 'rejected', issues: issuesOf(error, file), at });
    }
  }

  /** reloadWeights re-reads the weight file and applies it when valid. */
  async reloadWeights(): Promise<ReloadOutcome> {
    const at = new Date().toISOString();
    const file = this.loaded.weightsPath;
    try {
      const weights = await loadWeightsFile(this.loaded);
      if (weights.text === this.weightsState.text) return { file, result: 'unchanged', issues: [], at };
      this.weightsState = weights;
      this.build();
      return this.record({ file, result: 'applied', issues: [], at });
    } catch (error) {
      return this.record({ file, result: 'rejected', issues: issuesOf(error, file), at });
    }
  }

  /**
   * setWeight writes one route's weight into the weight file (atomic rename, comments kept) and applies it.
   * Writes are serialised so two callers never interleave. Throws ConfigError for an unknown route or bad value.
   */
  setWeight(route: string, percent: number): Promise<ReloadOutcome> {
    const run = this.writeChain.then(async () => {
      const path = this.loaded.weightsPath;
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '# figway traffic weights: percent of each route sent to the new side\nroutes: {}\n';
        throw error;
      });
      const document = parseDocument(text);
      if (document.errors.length > 0 || document.get('routes') === undefined || document.get('routes') === null) {
        document.set('routes', document.createNode({}));
      }
      document.setIn(['routes', route], percent);
      const next = document.toString();
      // Validate exactly what will be written before it touches the disk.
      const weights = parseWeightsText(path, next, new Set(this.loaded.config.routes.map((r) => r.name)));
      await writeAtomically(path, next);
      this.weightsState = weights;
      this.build();
      return this.record({ file: path, result: 'applied', issues: [], at: new Date().toISOString() });
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /**
   * addAccepted appends one entry to a route's `compare.accept` in figway.yaml (atomic rename, comments kept) and
   * applies the result. The whole new file is validated first, exactly as a hand edit would be; a rejected edit writes
   * nothing. An entry equal to an existing one is not added twice. Throws ConfigError.
   */
  addAccepted(route: string, entry: AcceptedDifference): Promise<ReloadOutcome> {
    const run = this.writeChain.then(async () => {
      const path = this.loaded.configPath;
      const text = await readFile(path, 'utf8');
      const document = parseDocument(text);
      const routes = document.get('routes');
      const index = isSeq(routes) ? routes.items.findIndex((item) => isMap(item) && item.get('name') === route) : -1;
      if (index < 0) {
        throw new ConfigError([{ code: 'CONFIG_UNKNOWN_ROUTE', file: path, field: 'routes', message: `route "${route}" does not exist in the configuration` }]);
      }
      const clean = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
      const existing = document.getIn(['routes', index, 'compare', 'accept']);
      const known = isSeq(existing) ? (existing.toJSON() as unknown[]).map((item) => JSON.stringify(item)) : [];
      if (known.includes(JSON.stringify(clean))) return this.record({ file: path, result: 'unchanged', issues: [], at: new Date().toISOString() });
      if (isSeq(existing)) existing.add(document.createNode(clean));
      else document.setIn(['routes', index, 'compare', 'accept'], document.createNode([clean]));
      const next = document.toString();
      const loaded = parseConfigText(path, next);
      const weights = parseWeightsText(this.loaded.weightsPath, this.weightsState.text, new Set(loaded.config.routes.map((r) => r.name)));
      await writeAtomically(path, next);
      // The watcher will see this text: remember it, so it is not applied twice.
      this.lastText.set(path, next);
      this.loaded = loaded;
      this.weightsState = weights;
      this.build();
      return this.record({ file: path, result: 'applied', issues: [], at: new Date().toISOString() });
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** watch starts watching both files' directories (editors often replace files by rename). */
  watch(): void {
    this.rewatch();
  }

  private rewatch(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    const targets = new Map<string, () => Promise<ReloadOutcome>>([
      [this.loaded.configPath, () => this.reloadConfig()],
      [this.loaded.weightsPath, () => this.reloadWeights()],
    ]);
    const byDirectory = new Map<string, Map<string, () => Promise<ReloadOutcome>>>();
    for (const [file, reload] of targets) {
      const directory = dirname(file);
      if (!byDirectory.has(directory)) byDirectory.set(directory, new Map());
      byDirectory.get(directory)!.set(basename(file), reload);
    }
    for (const [directory, files] of byDirectory) {
      const watcher = watch(directory, { persistent: false }, (_event, filename) => {
        const name = filename?.toString();
        const reload = name === undefined ? undefined : files.get(name);
        if (reload === undefined || name === undefined) return;
        clearTimeout(this.timers.get(name));
        // Debounce: editors write in several steps; read once the burst is over.
        this.timers.set(name, setTimeout(() => { void reload(); }, 75));
      });
      watcher.on('error', (error) => this.options.logger.error({ err: error, directory }, 'file watch failed'));
      this.watchers.push(watcher);
    }
  }

  /** close stops watching and closes the upstream pools (waiting for their requests). */
  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.pools.closeAll();
  }
}

function issuesOf(error: unknown, file: string): ConfigIssue[] {
  if (error instanceof ConfigError) return error.issues;
  return [{ code: 'CONFIG_READ', file, field: '', message: (error as Error).message }];
}
