/**
 * createControlExtensions: the coordination (shared Redis, when configured) and the ramp (evidence timeline and
 * controller), wired to a comparison stack that may be loaded later (lazy-extensions.ts) — they run on every figway
 * that has the admin listener, mirroring or not, and load nothing heavy until the configuration asks for it.
 */
import type { ExtensionContext, FigwayExtension } from './main.js';
import type { DiffSummaryLike } from './evidence/counters.js';
import { createCoordinationExtension } from './coordination/extension.js';
import { createRampExtension } from './ramp/extension.js';

/** createControlExtensions returns [coordination, ramp]; coordination first (the ramp takes its store from it). */
export function createControlExtensions(
  context: ExtensionContext, diffSummaries: () => Promise<readonly DiffSummaryLike[]> | undefined,
): FigwayExtension[] {
  const coordination = createCoordinationExtension(context);
  const ramp = createRampExtension(context, { diffSummaries, store: coordination.rampStore, source: coordination.evidenceSource });
  return [coordination, ramp];
}
