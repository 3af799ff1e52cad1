/**
 * The weights guard: an editor's truncate-then-write, a failed copy or an `rm` must never silently undo a migration
 * (issue #12). A weights file is only applied over the last good state when it still has a `routes:` section, still
 * names every route that had a weight above 0, keeps the state of every ramp in progress, and does not end in
 * a number cut short of the weight in force. Setting a route to 0 is always possible: write `<route>: 0`.
 */
import type { ConfigIssue } from '../errors.js';
import type { LoadedWeights } from './load.js';

/** Ramp states whose loss would silently end a ramp in progress (a halted or completed one has nothing left to lose). */
const IN_PROGRESS: ReadonlySet<string> = new Set(['running', 'paused', 'awaiting-approval']);

// `  auth: 5` — a route weight on the file's last line, as a truncation would leave it.
const WEIGHT_LINE = /^\s*([a-z0-9][a-z0-9_-]*)\s*:\s*([0-9][0-9.]*)\s*$/;

/**
 * guardWeights returns why `next` must not replace `previous` (empty when it may). `routeNames` are the configured
 * routes: a route that no longer exists in the configuration is gone, not dropped.
 */
export function guardWeights(previous: LoadedWeights, next: LoadedWeights, routeNames: ReadonlySet<string>): ConfigIssue[] {
  const file = next.weightsPath;
  if (!next.hasRoutes) {
    return [{
      code: 'CONFIG_WEIGHTS_EMPTY', file, field: 'routes',
      message: next.text === '' ? 'the weights file is missing or empty; the last good weights keep serving (write `routes:` with each route\'s weight to change them)'
        : 'the weights file has no routes section (comments only?); the last good weights keep serving',
    }];
  }
  const issues: ConfigIssue[] = [];
  const truncated = truncatedLine(next.text);
  if (truncated !== undefined) {
    const inForce = previous.weights.get(truncated.route);
    if (inForce !== undefined && truncated.value !== String(inForce) && String(inForce).startsWith(truncated.value)) {
      issues.push({
        code: 'CONFIG_WEIGHTS_TRUNCATED', file, line: next.text.split('\n').length, field: `routes.${truncated.route}`,
        message: `the file ends mid-line with "${truncated.value}" where ${inForce} is in force: it looks cut off (if ${truncated.value} is meant, end the file with a newline)`,
      });
    }
  }
  for (const [route, weight] of previous.weights) {
    if (weight > 0 && routeNames.has(route) && !next.weights.has(route)) {
      issues.push({
        code: 'CONFIG_WEIGHTS_ROUTE_DROPPED', file, field: `routes.${route}`,
        message: `route "${route}" had weight ${weight} and is no longer in the file; write "${route}: 0" to send all of it back to legacy`,
      });
    }
  }
  for (const [route, ramp] of previous.ramps) {
    if (IN_PROGRESS.has(ramp.state) && routeNames.has(route) && !next.ramps.has(route)) {
      issues.push({
        code: 'CONFIG_WEIGHTS_RAMP_STATE_DROPPED', file, field: `ramps.${route}`,
        message: `the ramp of "${route}" is ${ramp.state} and its state is no longer in the file; end a ramp with "figway ramp ${route} abort"`,
      });
    }
  }
  return issues;
}

/** truncatedLine returns the route weight on the last line when the text does not end with a newline. */
function truncatedLine(text: string): { route: string; value: string } | undefined {
  if (text === '' || text.endsWith('\n')) return undefined;
  const last = text.slice(text.lastIndexOf('\n') + 1);
  const match = WEIGHT_LINE.exec(last);
  return match === null ? undefined : { route: match[1]!, value: match[2]! };
}
