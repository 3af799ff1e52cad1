/**
 * FigwayEvents is the in-process event bus the admin app reaches (`app.figwayEvents`): audit entries and ramp status
 * changes are emitted here so the dashboard's server-sent events push them without polling.
 */
import { EventEmitter } from 'node:events';
import type { AuditEntry } from './audit.js';

/** FigwayEventMap names each event and its payload. `ramp` carries a RampStatus (proxy/ramp/status.ts). */
export interface FigwayEventMap {
  audit: [AuditEntry];
  ramp: [unknown];
}

/** FigwayEvents is a typed EventEmitter of FigwayEventMap. */
export type FigwayEvents = EventEmitter<FigwayEventMap>;

/** createFigwayEvents returns an emitter without a listener cap (every open event stream is one listener). */
export function createFigwayEvents(): FigwayEvents {
  const events = new EventEmitter<FigwayEventMap>();
  events.setMaxListeners(0);
  return events;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** figwayEvents: see proxy/events.ts. */
    figwayEvents: FigwayEvents;
  }
}
