/**
 * createControlExtensions: the coordination (shared Redis, when configured) and the ramp (evidence timeline and
 * controller), wired to a comparison stack that may be loaded later (lazy-extensions.ts) — they run on every figway
 * that has the admin listener, mirroring or not, and load nothing heavy until the configuration asks for it.
 */
import type { ExtensionContext, FigwayExtension } from './main.js';
import type { DiffSummaryLike } from './evidence/counters.js';
import { createCoordinationExtension } from './coordination/extension.js';
import { createRampExtension, type RampExtension } from './ramp/extension.js';

/**
 * createControlExtensions returns [coordination, ramp] — coordination first (the ramp takes its store from it) — and
 * the ramp, whose evidence the dashboard shows. Put them before the dashboard: it looks at the routes they registered.
 */
export function createControlExtensions(
  context: ExtensionContext, diffSummaries: () => Promise<readonly DiffSummaryLike[]> | undefined,
): { extensions: FigwayExtension[]; ramp: RampExtension } {
  const coordination = createCoordinationExtension(context);
  const ramp = createRampExtension(context, { diffSummaries, store: coordination.rampStore, source: coordination.evidenceSource });
  return { extensions: [coordination, ramp], ramp };
}
