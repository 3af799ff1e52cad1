/**
 * Stable error codes of the gateway and its configuration. Users search docs/errors.md for the code they see in a
 * response or a log line; errors.test.ts fails when this table and the doc drift apart.
 */

/** ErrorSpec is one documented error: its HTTP status (for data-plane errors) and a fixed message. */
export interface ErrorSpec {
  status: number;
  message: string;
}

export const PROXY_ERRORS = {
  PROXY_NO_ROUTE: { status: 404, message: 'No route matches this request.' },
  PROXY_BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  PROXY_DUPLICATE_HOST: { status: 400, message: 'The request carries more than one Host header.' },
  PROXY_TE_ON_HTTP10: { status: 400, message: 'HTTP/1.0 requests must not carry Transfer-Encoding.' },
  PROXY_MISSING_HOST: { status: 400, message: 'HTTP/1.1 requests must carry a Host header.' },
  PROXY_HTTP_VERSION: { status: 505, message: 'Only HTTP/1.0 and HTTP/1.1 are served on this listener.' },
  PROXY_EXPECTATION_FAILED: { status: 417, message: 'The only supported expectation is 100-continue.' },
  PROXY_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time.' },
  PROXY_RESPONSE_STALLED: { status: 408, message: 'The client left the answer unread too long; the connection was cut (counted, never sent).' },
  PROXY_REQUEST_AFTER_CLOSE: { status: 400, message: 'A request arrived on a connection figway had refused and was closing; it was dropped unanswered (counted, never sent).' },
  PROXY_FOREIGN_ABSOLUTE_TARGET: { status: 400, message: 'Absolute-form request target names another host.' },
  PROXY_BAD_PATH: { status: 400, message: 'The request path cannot be normalised.' },
  PROXY_BAD_OVERRIDE: { status: 400, message: 'The side override header must be "legacy" or "new".' },
  PROXY_HEADERS_TOO_LARGE: { status: 431, message: 'Request header fields are too large.' },
  PROXY_BODY_TOO_LARGE: { status: 413, message: 'Request body exceeds the route limit.' },
  PROXY_UPSTREAM_UNREACHABLE: { status: 502, message: 'The upstream could not be reached.' },
  PROXY_UPSTREAM_FAILED: { status: 502, message: 'The upstream connection failed during the exchange.' },
  PROXY_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream did not answer in time.' },
  PROXY_SHUTTING_DOWN: { status: 503, message: 'The gateway is shutting down.' },
} as const satisfies Record<string, ErrorSpec>;

export const ADMIN_ERRORS = {
  ADMIN_UNAUTHORIZED: { status: 401, message: 'A valid admin bearer token (or a dashboard session) is required.' },
  ADMIN_CSRF: { status: 403, message: 'Refused: a state-changing request made with the dashboard session needs the X-Figway-CSRF header from GET /api/session and must come from the dashboard itself.' },
  ADMIN_NOT_FOUND: { status: 404, message: 'No such admin resource.' },
  ADMIN_BAD_WEIGHT: { status: 400, message: 'The weight edit was rejected.' },
  ADMIN_BUSY: { status: 503, message: 'Too many dashboards have the event stream open; retry later.' },
  ADMIN_BAD_ACCEPT: { status: 400, message: 'The accepted-difference edit was rejected; nothing was written.' },
  ADMIN_BAD_REQUEST: { status: 400, message: 'The request does not match the API schema; nothing was changed.' },
  ADMIN_HEADERS_TOO_LARGE: { status: 431, message: 'Request header fields are too large.' },
  ADMIN_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time.' },
  ADMIN_RAMP_CONFLICT: { status: 409, message: 'The ramp action is not allowed in the ramp\'s state; nothing was changed.' },
  ADMIN_RAMP_UNAVAILABLE: { status: 503, message: 'The ramp cannot act now (the shared Redis is unreachable); nothing was changed.' },
} as const satisfies Record<string, ErrorSpec>;

/** Configuration error codes; their messages are built per occurrence (file, line, field). */
export const CONFIG_ERROR_CODES = {
  CONFIG_READ: 'The file cannot be read.',
  CONFIG_YAML: 'The file is not valid YAML.',
  CONFIG_SCHEMA: 'A field does not match the schema (unknown field, wrong type, out of range).',
  CONFIG_UNKNOWN_UPSTREAM: 'A route names an upstream that is not declared.',
  CONFIG_DUPLICATE_ROUTE: 'Two routes have the same name.',
  CONFIG_UNKNOWN_ROUTE: 'The weight file names a route that the configuration does not have.',
  CONFIG_UNSAFE_MIRROR: 'A route mirrors non-idempotent methods without isolating the shadow\'s writes.',
  CONFIG_SHADOW_DEPLOYMENT_MISSING: 'sideEffects: isolated or dual needs a shadow deployment (upstream.shadow) on both sides.',
  CONFIG_SHADOW_STORE_SHARED: 'A shadow store is also a production store, or both sides\' shadows share one store in dual mirroring.',
  CONFIG_BAD_TEMPLATE: 'A Redis key template cannot be parsed.',
  CONFIG_BAD_CIDR: 'A trusted proxy entry is not an address or CIDR.',
  CONFIG_ADMIN_TOKEN_MISSING: 'The admin listener is enabled but its token environment variable is empty.',
  CONFIG_DIFF_STORE_REDIS_MISSING: 'diffStore.kind is redis but diffStore.redis.url is missing.',
  CONFIG_BAD_RAMP: 'A route\'s ramp is inconsistent (steps not rising or off the 0.01 grid, approval on a step that does not exist, a PromQL gate without a bound).',
  CONFIG_PROMETHEUS_MISSING: 'A ramp has a PromQL gate but prometheus.url is not set.',
  CONFIG_WEIGHTS_EMPTY: 'The weights file is empty, missing, comment-only or has no routes section; the last good weights keep serving.',
  CONFIG_WEIGHTS_ROUTE_DROPPED: 'The weights file no longer names a route that had a weight; write the route with 0 to mean 0.',
  CONFIG_WEIGHTS_TRUNCATED: 'The weights file ends mid-line with a number that is a cut-off prefix of the weight in force.',
  CONFIG_WEIGHTS_RAMP_STATE_DROPPED: 'The weights file lost the state of a ramp in progress; end a ramp with figway ramp <route> abort.',
  CONFIG_UNKNOWN_ENTRYPOINT: 'A route binds to an entrypoint that is not a listener (or an entrypoint is named gateway).',
  CONFIG_NO_LISTENER: 'The gateway listener is disabled and no entrypoint is declared.',
  CONFIG_LISTEN_FAILED: 'A listener cannot bind its address (port in use, no permission, address not on this machine).',
} as const;

export type ProxyErrorCode = keyof typeof PROXY_ERRORS;
export type AdminErrorCode = keyof typeof ADMIN_ERRORS;
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/** errorBody renders figway's own JSON error body: a stable code and a message, never an upstream host or stack. */
export function errorBody(code: ProxyErrorCode | AdminErrorCode, requestId?: string, detail?: string): string {
  const spec: ErrorSpec = (PROXY_ERRORS as Record<string, ErrorSpec>)[code] ?? (ADMIN_ERRORS as Record<string, ErrorSpec>)[code]!;
  return JSON.stringify({
    error: { code, message: detail ?? spec.message, ...(requestId === undefined ? {} : { requestId }) },
  });
}

/** REASONS are the reason phrases of the statuses figway writes on a raw socket (no response object exists then). */
const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * rawErrorResponse is a whole HTTP/1.1 error answer in figway's JSON format, closing the connection: for errors
 * found before a request exists (the parser refused it), when only the socket is left to write to.
 */
export function rawErrorResponse(code: ProxyErrorCode | AdminErrorCode): string {
  const body = errorBody(code);
  const status = statusOf(code);
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** statusOf returns the HTTP status of a data-plane or admin error code. */
export function statusOf(code: ProxyErrorCode | AdminErrorCode): number {
  return ((PROXY_ERRORS as Record<string, ErrorSpec>)[code] ?? (ADMIN_ERRORS as Record<string, ErrorSpec>)[code]!).status;
}

/** ConfigIssue is one problem found in a configuration or weight file, located by file, line and field path. */
export interface ConfigIssue {
  code: ConfigErrorCode;
  file: string;
  /** 1-based line, when the field exists in the file. */
  line?: number;
  /** Field path, e.g. routes[0].mirror.methods. */
  field: string;
  message: string;
}

/** formatConfigIssue renders `file:line: field: message [CODE]`, the form used by logs and `figway validate`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.field || '(root)'}: ${issue.message} [${issue.code}]`;
}

/** ConfigError carries every issue found in one load attempt. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
    this.code = issues[0]?.code ?? 'CONFIG_SCHEMA';
  }
}
