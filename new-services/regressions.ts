/**
 * The historical bugs of the Pesto rewrite, re-creatable on demand so the gateway can be shown catching them.
 * All are off by default: the rewrite is correct unless a switch is named here and turned on.
 */

/** REGRESSIONS lists every switch with the historical symptom it brings back (pesto-contracts.md §3, §2b). */
export const REGRESSIONS = {
  'token-casing': 'token record read and written as snake_case (user_email/monthly_limit/revoked): auth 500s on every real token (#172)',
  'approve-drops-token': 'approve ignores the token in the body, stores nothing and answers 500 (#173)',
  'email-wrong-field': 'the welcome email carries the user\'s address where the token belongs (#174)',
  'revoke-empty-key': 'revoke writes the record under the empty key "" and answers 500 (None key at HEAD)',
} as const;

/** RegressionName is one switch name. */
export type RegressionName = keyof typeof REGRESSIONS;

/** REGRESSION_NAMES are the valid switch names, in a stable order. */
export const REGRESSION_NAMES = Object.keys(REGRESSIONS) as RegressionName[];

/** REGRESSIONS_ENV is the environment variable standalone services read (`a,b`). */
export const REGRESSIONS_ENV = 'PESTO_REGRESSIONS';

/** REGRESSIONS_HEADER is the /healthz response header listing the active switches. */
export const REGRESSIONS_HEADER = 'x-pesto-regressions';

/** UnknownRegressionError is thrown at startup for a name that is not a switch. */
export class UnknownRegressionError extends Error {
  override readonly name = 'UnknownRegressionError';
  readonly code = 'PESTO_UNKNOWN_REGRESSION';
}

/** ActiveRegressions answers "is this switch on?" for one service instance. */
export interface ActiveRegressions {
  has(name: RegressionName): boolean;
  /** Active names in REGRESSION_NAMES order. */
  readonly names: readonly RegressionName[];
}

function isRegressionName(name: string): name is RegressionName {
  return Object.hasOwn(REGRESSIONS, name);
}

/** parseRegressions validates names from an option or a comma-separated env value; unknown names fail loudly. */
export function parseRegressions(input: readonly string[] | string | undefined): ActiveRegressions {
  const raw = typeof input === 'string' ? input.split(',') : (input ?? []);
  const requested = raw.map((name) => name.trim()).filter((name) => name !== '');
  const unknown = requested.filter((name) => !isRegressionName(name));
  if (unknown.length > 0) {
    throw new UnknownRegressionError(`unknown regression ${unknown.map((name) => JSON.stringify(name)).join(', ')}; valid names: ${REGRESSION_NAMES.join(', ')}`);
  }
  const set = new Set(requested as RegressionName[]);
  const names = REGRESSION_NAMES.filter((name) => set.has(name));
  return { has: (name) => set.has(name), names };
}

/** resolveRegressions accepts a factory option: names (validated) or an already parsed set. */
export function resolveRegressions(input: readonly string[] | ActiveRegressions | undefined): ActiveRegressions {
  if (input === undefined) return parseRegressions([]);
  return isActiveRegressions(input) ? input : parseRegressions(input);
}

function isActiveRegressions(input: readonly string[] | ActiveRegressions): input is ActiveRegressions {
  return !Array.isArray(input) && typeof (input as ActiveRegressions).has === 'function';
}

/** regressionsFromEnv reads REGRESSIONS_ENV. */
export function regressionsFromEnv(env: NodeJS.ProcessEnv = process.env): ActiveRegressions {
  return parseRegressions(env[REGRESSIONS_ENV]);
}

/** healthzText is the /healthz body: `OK`, or `OK regressions=a,b` when switches are on. */
export function healthzText(active: ActiveRegressions): string {
  return active.names.length === 0 ? 'OK' : `OK regressions=${active.names.join(',')}`;
}
