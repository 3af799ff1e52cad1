/** defaultInstanceName names this process in ramp leases, shared evidence and status: host name and process id. */
import { hostname } from 'node:os';

/** defaultInstanceName: see the module comment. */
export function defaultInstanceName(): string {
  return `${hostname()}:${process.pid}`;
}
