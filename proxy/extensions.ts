/**
 * defaultExtensions lists the features `figway start` plugs into the gateway: mirroring with response comparison
 * (proxy/mirror), so the data plane itself stays free of them.
 */
import type { FigwayExtension, StartOptions } from './main.js';
import { createMirrorExtension } from './mirror/extension.js';

/** defaultExtensions returns the extensions of a production figway. */
export const defaultExtensions: NonNullable<StartOptions['extensions']> = async ({ logger, metrics }): Promise<FigwayExtension[]> => [
  createMirrorExtension({ logger, metrics }),
];
