/** The ASP.NET Core error bodies the legacy registration answers with (RFC 9110 problem details). */
import { randomBytes } from 'node:crypto';
import { dotnetJsonSerialize } from './dotnet-json.js';

/** PROBLEM_CONTENT_TYPE is what ASP.NET Core sets on problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** newTraceId makes a W3C traceparent-style id like `Activity.Current.Id` (`00-<32 hex>-<16 hex>-00`). */
export function newTraceId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

/** validationProblem is the automatic 400 ValidationProblemDetails body of an `[ApiController]`. */
export function validationProblem(errors: Record<string, string[]>): string {
  return dotnetJsonSerialize({
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors,
    traceId: newTraceId(),
  });
}

/** unsupportedMediaTypeProblem is the 415 ProblemDetails body for a body that is not JSON. */
export function unsupportedMediaTypeProblem(): string {
  return dotnetJsonSerialize({
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.16',
    title: 'Unsupported Media Type',
    status: 415,
    traceId: newTraceId(),
  });
}
