/**
 * defaultExtensions lists the features `figway start` plugs into the gateway. Mirroring and comparison register
 * here (proxy/mirror), so the data plane itself stays free of them.
 */
import type { FigwayExtension, StartOptions } from './main.js';

/** defaultExtensions returns the extensions of a production figway. */
export const defaultExtensions: NonNullable<StartOptions['extensions']> = async (): Promise<FigwayExtension[]> => [];
