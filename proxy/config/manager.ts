/**
 * ConfigManager owns the live configuration: it loads figway.yaml and the weight file, watches both, applies a valid
 * edit by swapping the runtime snapshot, and rejects an invalid one (logged, counted) while the last good state keeps
 * serving. An emptied, deleted, truncated or route-dropping weights file is rejected too (weights-guard.ts), and a
 * copy of the last good weights is kept beside the file for a restart. It writes weights and ramp state (for the
 * admin API, the CLI, the ramp and peers sharing a Redis) atomically, keeping the file's comments and layout, and
 * tells listeners which weights changed and who changed them.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument, Scalar, type Document } from 'yaml';
import type { Logger } from 'pino';
import { ConfigError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import {
  loadConfigFiles, loadWeightsFile, parseConfigText, parseWeightsText, type LoadedConfig, type LoadedWeights,
} from './load.js';
import { guardWeights } from './weights-guard.js';
import { writeFileAtomic } from './atomic-write.js';
import type { AcceptedDifferenceSchema, RampRecord } from './schema.js';

/** AcceptedDifference is one `compare.accept` entry. */
export type AcceptedDifference = typeof AcceptedDifferenceSchema.static;
import { buildSnapshot, PoolRegistry, type RuntimeSnapshot } from '../runtime.js';
import type { GatewayMetrics } from '../metrics.js';
import type { RandomSource } from '../routing/select.js';

/** ReloadOutcome is what one reload attempt did. */
export interface ReloadOutcome {
  file: string;
  result: 'applied' | 'rejected' | 'unchanged';
  issues: ConfigIssue[];
  at: string;
}

/** WeightSource says who changed weights: the file (a human or another process), the admin API, the ramp, a peer instance. */
export type WeightSource = 'file' | 'config' | 'api' | 'ramp' | 'peer' | 'cli';

/** WeightChange is one route whose weight moved. */
export interface WeightChange {
  route: string;
  old: number;
  new: number;
}

/** WeightsEvent is one applied weights state: what changed, who changed it, and the state before and after. */
export interface WeightsEvent {
  source: WeightSource;
  changes: WeightChange[];
  previous: LoadedWeights;
  current: LoadedWeights;
}

/** WeightsEdit is one write: weights to set and ramp states to set (null removes one). */
export interface WeightsEdit {
  weights?: Record<string, number>;
  ramps?: Record<string, RampRecord | null>;
}

const DEFAULT_WEIGHTS_TEXT = '# figway traffic weights: percent of each route sent to the new side\nroutes: {}\n';
const RAMPS_COMMENT = ' Ramp state, written by figway (figway ramp <route> start|pause|resume|promote|abort); not for editing by hand.';

/** lastGoodPath is where the copy of the last applied weights file is kept: `.weights.yaml.last-good` beside it. */
export function lastGoodPath(weightsPath: string): string {
  return join(dirname(weightsPath), `.${basename(weightsPath)}.last-good`);
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

/**
 * createConfigManager loads the files once; it throws ConfigError when the initial files are invalid. A weights file
 * that is missing, empty or fails the guard against the last good copy kept beside it is not applied: the last good
 * copy serves and the rejection is logged and kept in the reload history.
 */
export async function createConfigManager(options: ConfigManagerOptions): Promise<ConfigManager> {
  const { loaded, weights } = await loadConfigFiles(options.configPath);
  const routeNames = new Set(loaded.config.routes.map((route) => route.name));
  const lastGood = await readFile(lastGoodPath(loaded.weightsPath), 'utf8').then(
    (text) => { try { return parseWeightsText(loaded.weightsPath, text, routeNames); } catch { return undefined; } },
    () => undefined,
  );
  const issues = lastGood === undefined ? [] : guardWeights(lastGood, weights, routeNames);
  const manager = new ConfigManager(options, loaded, issues.length > 0 ? lastGood! : weights);
  if (issues.length > 0) {
    manager.recordStartRejection(loaded.weightsPath, issues);
  } else if (weights.hasRoutes) {
    manager.keepLastGood();
  }
  return manager;
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
  private lastGoodChain: Promise<unknown> = Promise.resolve();
  private weightListeners = new Set<(event: WeightsEvent) => void>();
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
  /** weights is the applied weights state (weights and ramp records). */
  get weights(): LoadedWeights { return this.weightsState; }

  /** onWeights hears every applied weights state; it returns the unsubscribe function. */
  onWeights(listener: (event: WeightsEvent) => void): () => void {
    this.weightListeners.add(listener);
    return () => this.weightListeners.delete(listener);
  }

  private routeNames(): Set<string> {
    return new Set(this.loaded.config.routes.map((route) => route.name));
  }

  /** applyWeights swaps in a new weights state, rebuilds the snapshot and tells listeners what changed. */
  private applyWeights(next: LoadedWeights, source: WeightSource): void {
    const previous = this.weightsState;
    this.weightsState = next;
    this.build();
    const changes: WeightChange[] = [];
    for (const route of this.loaded.config.routes) {
      const old = previous.weights.get(route.name) ?? 0;
      const now = next.weights.get(route.name) ?? 0;
      if (old !== now) changes.push({ route: route.name, old, new: now });
    }
    if (next.hasRoutes) this.keepLastGood();
    const event: WeightsEvent = { source, changes, previous, current: next };
    for (const listener of this.weightListeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.error({ err: error }, 'weights listener failed');
      }
    }
  }

  /** keepLastGood copies the applied weights file beside it, so a restart after an rm or truncation still has it. */
  keepLastGood(): void {
    const text = this.weightsState.text;
    const path = lastGoodPath(this.weightsState.weightsPath);
    this.lastGoodChain = this.lastGoodChain.then(() => writeFileAtomic(path, text)).catch((error: unknown) => {
      this.options.logger.warn({ err: error, path }, 'could not keep the last good weights copy');
    });
  }

  /** recordStartRejection notes that the weights file found at start was not applied (the last good copy serves). */
  recordStartRejection(file: string, issues: ConfigIssue[]): void {
    this.record({ file, result: 'rejected', issues, at: new Date().toISOString() });
    this.options.logger.error({ file, lastGood: lastGoodPath(file) }, 'serving the last good weights kept beside the weights file');
  }

  private build(): RuntimeSnapshot {
    const snapshot = buildSnapshot(this.loaded.config, this.weightsState.weights, this.pools, this.options.random ?? Math.random);
    this.options.metrics.routes(snapshot.routes.map((route) => route.name));
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
      const guard = guardWeights(this.weightsState, weights, new Set(loaded.config.routes.map((route) => route.name)));
      // A first start without a weights file has nothing to protect.
      if (guard.length > 0 && this.weightsState.hasRoutes) throw new ConfigError(guard);
      this.lastText.set(file, text);
      const weightsMoved = loaded.weightsPath !== this.loaded.weightsPath;
      this.loaded = loaded;
      this.applyWeights(weights, 'config');
      if (weightsMoved) this.rewatch();
      return this.record({ file, result: 'applied', issues: [], at });
    } catch (error) {
      return this.record({ file, result: 'rejected', issues: issuesOf(error, file), at });
    }
  }

  /** reloadWeights re-reads the weight file and applies it when valid and not emptied, truncated or route-dropping. */
  reloadWeights(): Promise<ReloadOutcome> {
    // Serialised with writes: a reload must not interleave with a write's read-modify-write.
    const run = this.writeChain.then(() => this.syncWeightsFromDisk());
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async syncWeightsFromDisk(): Promise<ReloadOutcome> {
    const at = new Date().toISOString();
    const file = this.loaded.weightsPath;
    try {
      const weights = await loadWeightsFile(this.loaded);
      if (weights.text === this.weightsState.text) return { file, result: 'unchanged', issues: [], at };
      const guard = guardWeights(this.weightsState, weights, this.routeNames());
      if (guard.length > 0 && (this.weightsState.hasRoutes || weights.text !== '')) throw new ConfigError(guard);
      if (!weights.hasRoutes) return { file, result: 'unchanged', issues: [], at };
      this.applyWeights(weights, 'file');
      return this.record({ file, result: 'applied', issues: [], at });
    } catch (error) {
      return this.record({ file, result: 'rejected', issues: issuesOf(error, file), at });
    }
  }

  /**
   * setWeight writes one route's weight into the weight file (atomic rename, comments kept) and applies it.
   * Writes are serialised so two callers never interleave. Throws ConfigError for an unknown route or bad value.
   */
  setWeight(route: string, percent: number, source: WeightSource = 'api'): Promise<ReloadOutcome> {
    return this.write({ weights: { [route]: percent } }, source);
  }

  /**
   * write applies one edit to the weights file — weights and ramp states — atomically, keeping comments and layout.
   * A pending edit on disk is applied first (so a human edit is heard before it is written over); `check` then sees
   * the current state and may throw to abort (compare-and-set). An invalid file on disk is replaced from the last
   * good state: the ramp must always be able to roll back. The file is never half-written (writeFileAtomic).
   */
  write(edit: WeightsEdit, source: WeightSource, check?: (current: LoadedWeights) => void): Promise<ReloadOutcome> {
    const run = this.writeChain.then(async () => {
      const pending = await this.syncWeightsFromDisk();
      if (pending.result === 'rejected') this.options.logger.warn({ file: pending.file }, 'writing over a rejected weights file edit, from the last good state');
      check?.(this.weightsState);
      const path = this.loaded.weightsPath;
      const next = editWeightsText(this.weightsState.hasRoutes ? this.weightsState.text : DEFAULT_WEIGHTS_TEXT, edit);
      // Validate exactly what will be written before it touches the disk.
      const weights = parseWeightsText(path, next, this.routeNames());
      await writeFileAtomic(path, next);
      this.applyWeights(weights, source);
      return this.record({ file: path, result: 'applied', issues: [], at: new Date().toISOString() });
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /**
   * addAccepted appends one entry to a route's `compare.accept` in figway.yaml (atomic write, comments kept) and
   * applies the result. The whole new file is validated first, exactly as a hand edit would be; a rejected edit writes
   * nothing. An entry equal to an existing one is not added twice (result `unchanged`). Throws ConfigError.
   */
  addAccepted(route: string, entry: AcceptedDifference): Promise<ReloadOutcome> {
    const run = this.writeChain.then(async () => {
      const path = this.loaded.configPath;
      const document = parseDocument(await readFile(path, 'utf8'));
      const routes = document.get('routes');
      const index = isSeq(routes) ? routes.items.findIndex((item) => isMap(item) && item.get('name') === route) : -1;
      if (index < 0) {
        throw new ConfigError([{ code: 'CONFIG_UNKNOWN_ROUTE', file: path, field: 'routes', message: `route "${route}" does not exist in the configuration` }]);
      }
      const clean = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
      const existing = document.getIn(['routes', index, 'compare', 'accept']);
      const known = isSeq(existing) ? (existing.toJSON() as unknown[]).map((item) => JSON.stringify(item)) : [];
      if (known.includes(JSON.stringify(clean))) return { file: path, result: 'unchanged' as const, issues: [], at: new Date().toISOString() };
      if (isSeq(existing)) existing.add(document.createNode(clean));
      else document.setIn(['routes', index, 'compare', 'accept'], document.createNode([clean]));
      const next = document.toString();
      // Validate exactly what will be written; route names do not change, so the weights stay valid.
      const loaded = parseConfigText(path, next);
      await writeFileAtomic(path, next);
      // The watcher will see this text: remember it, so it is not applied twice.
      this.lastText.set(path, next);
      this.loaded = loaded;
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

  /** close stops watching, finishes pending writes and closes the upstream pools (waiting for their requests). */
  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.writeChain.catch(() => undefined);
    await this.lastGoodChain;
    await this.pools.closeAll();
  }
}

/** editWeightsText applies an edit to weights.yaml text with the yaml Document API, so comments and layout survive. */
export function editWeightsText(text: string, edit: WeightsEdit): string {
  const document = parseDocument(text);
  const routes = document.get('routes');
  if (!isMap(routes)) document.set('routes', document.createNode({}));
  else if (routes.items.length === 0) routes.flow = false;
  for (const [route, percent] of Object.entries(edit.weights ?? {})) document.setIn(['routes', route], percent);
  for (const [route, record] of Object.entries(edit.ramps ?? {})) {
    if (record === null) {
      if (document.hasIn(['ramps', route])) document.deleteIn(['ramps', route]);
      continue;
    }
    ensureRampsSection(document);
    document.setIn(['ramps', route], document.createNode(record));
  }
  return document.toString();
}

function ensureRampsSection(document: Document): void {
  if (isMap(document.get('ramps'))) return;
  const key = new Scalar('ramps');
  key.commentBefore = RAMPS_COMMENT;
  document.set(key, document.createNode({}));
}

function issuesOf(error: unknown, file: string): ConfigIssue[] {
  if (error instanceof ConfigError) return error.issues;
  return [{ code: 'CONFIG_READ', file, field: '', message: (error as Error).message }];
}
